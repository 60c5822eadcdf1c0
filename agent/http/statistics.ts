/**
 * The agent's `/monitor/statistics`, as Mesos's: one entry per live executor with its framework,
 * names and a ResourceStatistics object (`timestamp`, `processes`, `cpus_user_time_secs`,
 * `cpus_system_time_secs`, `cpus_limit`, `mem_rss_bytes`, `mem_total_bytes`, `mem_limit_bytes`).
 * Usage comes from each container's isolator (cgroups accounting, or /proc under posix); a task
 * group's executor sums its tasks' containers. Fields the isolator cannot tell are left out, as
 * Mesos leaves unset fields out.
 */
import type { ContainerStats } from '../containerizer/index.js';
import type { RunningTask } from '../task-runner.js';
import { commandExecutorName } from './state-json.js';

export interface ResourceStatisticsJson {
  timestamp: number;
  processes?: number;
  cpus_user_time_secs?: number;
  cpus_system_time_secs?: number;
  cpus_limit: number;
  mem_total_bytes?: number;
  mem_limit_bytes: number;
  mem_rss_bytes?: number;
  threads?: number;
  disk_limit_bytes?: number;
  disk_used_bytes?: number;
}

export interface ExecutorStatisticsJson {
  executor_id: string;
  executor_name: string;
  framework_id: string;
  source: string;
  statistics: ResourceStatisticsJson;
}

const sumOf = (xs: ReadonlyArray<number | undefined>): number | undefined =>
  xs.some((x) => x === undefined) ? undefined : xs.reduce<number>((a, x) => a + (x ?? 0), 0);

/** Adds up the samples of one executor's containers (a value is given only if every container gave it). */
export function combineStats(stats: readonly ContainerStats[]): ResourceStatisticsJson {
  const out: ResourceStatisticsJson = {
    timestamp: Math.max(...stats.map((s) => s.timestamp)),
    cpus_limit: stats.reduce((a, s) => a + s.cpusLimit, 0),
    mem_limit_bytes: stats.reduce((a, s) => a + s.memLimitBytes, 0),
  };
  const processes = sumOf(stats.map((s) => s.processes));
  if (processes !== undefined) out.processes = processes;
  const user = sumOf(stats.map((s) => s.cpuUserSecs));
  if (user !== undefined) out.cpus_user_time_secs = user;
  const system = sumOf(stats.map((s) => s.cpuSystemSecs));
  if (system !== undefined) out.cpus_system_time_secs = system;
  const total = sumOf(stats.map((s) => s.memTotalBytes));
  if (total !== undefined) out.mem_total_bytes = total;
  const rss = sumOf(stats.map((s) => s.memRssBytes));
  if (rss !== undefined) out.mem_rss_bytes = rss;
  const threads = sumOf(stats.map((s) => s.threads));
  if (threads !== undefined) out.threads = threads;
  const diskLimit = sumOf(stats.map((s) => s.diskLimitBytes));
  if (diskLimit !== undefined) out.disk_limit_bytes = diskLimit;
  const diskUsed = sumOf(stats.map((s) => s.diskUsedBytes));
  if (diskUsed !== undefined) out.disk_used_bytes = diskUsed;
  return out;
}

export async function executorStatistics(running: readonly RunningTask[]): Promise<ExecutorStatisticsJson[]> {
  const byExecutor = new Map<string, RunningTask[]>();
  for (const t of running) {
    if (t.container === null) continue;
    const k = `${t.frameworkId}/${t.executorId}`;
    byExecutor.set(k, [...(byExecutor.get(k) ?? []), t]);
  }
  // All containers at once: reading their cgroup files (or /proc) is I/O, not CPU.
  const entries = await Promise.all(
    [...byExecutor.values()].map(async (tasks): Promise<ExecutorStatisticsJson | undefined> => {
      const stats = await Promise.all(tasks.flatMap((t) => (t.container === null ? [] : [t.container.usage()])));
      if (stats.length === 0) return undefined;
      const first = tasks[0]!;
      const group = first.executorId !== first.taskId;
      return {
        executor_id: first.executorId,
        executor_name: group ? '' : commandExecutorName({ taskId: first.taskId, command: first.info.command }),
        framework_id: first.frameworkId,
        source: group ? '' : first.executorId,
        statistics: combineStats(stats),
      };
    }),
  );
  return entries.filter((e): e is ExecutorStatisticsJson => e !== undefined);
}
