/**
 * The task runner's checkpoint of each container, `<work-dir>/meta/containers/<containerId>/
 * container.json`: everything needed to take a task over after an agent restart (its task info,
 * framework, group, sandbox, ports and GPUs, the command that launched it). Written atomically
 * and fsync'ed before the launch command counts as carried out and before anything is spawned;
 * removed once the task's terminal update is in the durable status queue. The container's
 * runtime files (container-runtime.ts) live in the same directory.
 */
import { access, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { z } from 'zod';
import { AgentId, FrameworkId, GroupExecutor, TaskId, TaskInfo } from '../events/index.js';
import { syncDir, writeFileDurably } from './durable-file.js';

export const CONTAINERS_DIR = 'containers';
export const CHECKPOINT_FILE = 'container.json';
/** A custom executor's checkpoint (agent/executor/checkpoint.ts): its directory is the executor manager's. */
const EXECUTOR_FILE = 'executor.json';

export const ContainerCheckpoint = z.object({
  version: z.literal(1),
  containerId: z.string().min(1),
  agentId: AgentId,
  frameworkId: FrameworkId,
  framework: z.object({ name: z.string(), user: z.string(), checkpoint: z.boolean() }),
  /** The executor: the task group's, or the task's own id for a command task. */
  executorId: z.string().min(1),
  /** The task group it belongs to (its executor and every task of the group). */
  group: z.object({ executor: GroupExecutor, taskIds: z.array(TaskId) }).optional(),
  task: TaskInfo,
  /** The user the task runs as (when the agent switches users). */
  user: z.string().optional(),
  sandbox: z.string().min(1),
  ports: z.array(z.number().int()),
  gpus: z.array(z.number().int().nonnegative()),
  /** The agentSeq of the LaunchTasks command. */
  agentSeq: z.number().int().nonnegative(),
  checkpointedAt: z.number().int().nonnegative(),
});
export type ContainerCheckpoint = z.infer<typeof ContainerCheckpoint>;

export const containersDir = (metaDir: string): string => path.join(metaDir, CONTAINERS_DIR);
export const runtimeDirOf = (metaDir: string, containerId: string): string => path.join(containersDir(metaDir), containerId);

/** Write (atomically, fsync'ed) the checkpoint of a container, creating its runtime dir. */
export async function writeContainerCheckpoint(metaDir: string, c: ContainerCheckpoint): Promise<string> {
  const dir = runtimeDirOf(metaDir, c.containerId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileDurably(path.join(dir, CHECKPOINT_FILE), JSON.stringify(c));
  await syncDir(containersDir(metaDir));
  return dir;
}

export type CheckpointRead = { readonly ok: true; readonly checkpoint: ContainerCheckpoint; readonly dir: string } | { readonly ok: false; readonly dir: string; readonly containerId: string; readonly error: string };

/** Every task container checkpoint in the meta dir (unreadable ones as errors, to be cleaned up); custom executors' directories are skipped. */
export async function readContainerCheckpoints(metaDir: string): Promise<CheckpointRead[]> {
  let names: string[];
  try {
    names = await readdir(containersDir(metaDir));
  } catch {
    return [];
  }
  const out: CheckpointRead[] = [];
  for (const containerId of names.sort()) {
    const dir = runtimeDirOf(metaDir, containerId);
    if (await exists(path.join(dir, EXECUTOR_FILE))) continue;
    try {
      const parsed = ContainerCheckpoint.safeParse(JSON.parse(await readFile(path.join(dir, CHECKPOINT_FILE), 'utf8')));
      if (parsed.success && parsed.data.containerId === containerId) out.push({ ok: true, checkpoint: parsed.data, dir });
      else out.push({ ok: false, dir, containerId, error: parsed.success ? 'container id does not match its directory' : parsed.error.issues[0]?.message ?? 'invalid' });
    } catch (err) {
      out.push({ ok: false, dir, containerId, error: (err as Error).message });
    }
  }
  return out;
}

export async function removeContainerDir(metaDir: string, containerId: string): Promise<void> {
  await rm(runtimeDirOf(metaDir, containerId), { recursive: true, force: true });
}


const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );
