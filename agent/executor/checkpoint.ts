/**
 * The checkpoint of a custom executor, `<work-dir>/meta/containers/<containerId>/executor.json`
 * (beside the container's runtime files, as a task's container.json): what a restarted agent needs
 * to take the executor over (its ExecutorInfo, framework, sandbox, user, and its tasks with their
 * last known state). Written atomically and fsync'ed before its launch command counts as carried
 * out, again whenever a task is added or changes state; removed with the container's directory
 * once the executor's end is reported. The task runner leaves these directories alone
 * (container-checkpoint.ts skips them).
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { z } from 'zod';
import { AgentId, ExecutorInfo, FrameworkId, TaskInfo, TaskStateName } from '../../events/index.js';
import { containersDir, runtimeDirOf } from '../container-checkpoint.js';
import { syncDir, writeFileDurably } from '../durable-file.js';

export const EXECUTOR_CHECKPOINT_FILE = 'executor.json';

export const ExecutorCheckpoint = z.object({
  version: z.literal(1),
  containerId: z.string().min(1),
  agentId: AgentId,
  frameworkId: FrameworkId,
  framework: z.object({ name: z.string(), user: z.string(), checkpoint: z.boolean() }),
  role: z.string().optional(),
  info: ExecutorInfo,
  sandbox: z.string().min(1),
  /** The user it runs as, once resolved. */
  user: z.string().optional(),
  tasks: z.array(z.object({ info: TaskInfo, state: TaskStateName })),
  checkpointedAt: z.number().int().nonnegative(),
});
export type ExecutorCheckpoint = z.infer<typeof ExecutorCheckpoint>;

export async function writeExecutorCheckpoint(metaDir: string, c: ExecutorCheckpoint): Promise<void> {
  const dir = runtimeDirOf(metaDir, c.containerId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileDurably(path.join(dir, EXECUTOR_CHECKPOINT_FILE), JSON.stringify(c));
  await syncDir(containersDir(metaDir));
}

export type ExecutorCheckpointRead = { readonly ok: true; readonly checkpoint: ExecutorCheckpoint } | { readonly ok: false; readonly containerId: string; readonly error: string };

/** Every executor checkpoint in the meta dir (unreadable ones as errors, to be cleaned up). */
export async function readExecutorCheckpoints(metaDir: string): Promise<ExecutorCheckpointRead[]> {
  let names: string[];
  try {
    names = await readdir(containersDir(metaDir));
  } catch {
    return [];
  }
  const out: ExecutorCheckpointRead[] = [];
  for (const containerId of names.sort()) {
    const file = path.join(runtimeDirOf(metaDir, containerId), EXECUTOR_CHECKPOINT_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // a task's container, not an executor's
    }
    try {
      const parsed = ExecutorCheckpoint.safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.containerId === containerId) out.push({ ok: true, checkpoint: parsed.data });
      else out.push({ ok: false, containerId, error: parsed.success ? 'container id does not match its directory' : (parsed.error.issues[0]?.message ?? 'invalid') });
    } catch (err) {
      out.push({ ok: false, containerId, error: (err as Error).message });
    }
  }
  return out;
}
