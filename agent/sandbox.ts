/**
 * Task sandboxes: the per-container working directory, laid out as in Mesos
 * `<workDir>/slaves/<agentId>/frameworks/<frameworkId>/executors/<executorId>/runs/<containerId>`.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { idError } from '../events/index.js';

export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  constructor(
    readonly code: 'INVALID_PATH_COMPONENT' | 'SANDBOX_CREATE_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An id used as one directory name, by Mesos's id rule (events/ids.ts: not `.`, `..`, no `/`, `\\`, …). */
function component(kind: string, id: string): string {
  const why = idError(id);
  if (why !== undefined) throw new SandboxError('INVALID_PATH_COMPONENT', `${kind} ${JSON.stringify(id)} cannot be used as a directory name: ${why}`);
  return id;
}

export function sandboxPath(
  workDir: string,
  agentId: string,
  frameworkId: string,
  executorId: string,
  containerId: string,
): string {
  return path.join(
    workDir,
    'slaves',
    component('agent id', agentId),
    'frameworks',
    component('framework id', frameworkId),
    'executors',
    component('executor id', executorId),
    'runs',
    component('container id', containerId),
  );
}

/** As sandboxPath, or undefined where an id cannot name a directory (a launch the agent refused). */
export function sandboxPathIfValid(workDir: string, agentId: string, frameworkId: string, executorId: string, containerId: string): string | undefined {
  try {
    return sandboxPath(workDir, agentId, frameworkId, executorId, containerId);
  } catch (err) {
    if (err instanceof SandboxError) return undefined;
    throw err;
  }
}

/** Sandboxes are rwxr-x---: their user and its group; no other task. */
export const SANDBOX_MODE = 0o750;

/** mkdir -p the sandbox; the sandbox itself gets mode 0750 whatever the umask (its owner, the task's user, is set at launch): other tasks cannot read it. */
export async function createSandbox(dir: string): Promise<string> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(dir, SANDBOX_MODE);
  } catch (err) {
    throw new SandboxError('SANDBOX_CREATE_FAILED', `cannot create sandbox ${dir}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  return dir;
}
