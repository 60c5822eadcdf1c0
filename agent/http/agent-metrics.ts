/**
 * Mesos's agent `/metrics/snapshot` keys (`slave/*`, `containerizer/*`, `system/*`) from what this
 * agent knows: its resources, the tasks it runs, its task history, and counters of the status updates
 * it sent and the launches it carried out (since the process started, as Mesos's). Keys that cannot
 * apply here are listed in docs/api.md ("Metrics").
 */
import { type TaskStatus, isTerminal } from '../../events/index.js';
import * as R from '../../kernel/core/resources.js';
import { systemMetrics } from '../../kernel/shell/http/system-metrics.js';
import type { RunningTask } from '../task-runner.js';
import type { AgentIdentity } from './state-json.js';
import type { TaskHistory } from './task-history.js';

/** Terminal states an agent's `slave/tasks_*` counters count. */
const TERMINAL = ['finished', 'failed', 'killed', 'lost', 'gone', 'dropped', 'error', 'gone_by_operator'] as const;

export interface AgentCounters {
  /** A status update the agent sent (every one is valid: it made it). */
  status(s: TaskStatus): void;
  readonly terminal: Readonly<Record<string, number>>;
  readonly validStatusUpdates: number;
  /** Tasks that failed with REASON_CONTAINER_LAUNCH_FAILED, and of those the ones whose URIs could not be fetched. */
  readonly containerLaunchErrors: number;
  readonly fetchesFailed: number;
  /** Tasks whose sandbox and URIs were ready (they reached TASK_STARTING or later). */
  readonly fetchesSucceeded: number;
}

export function createAgentCounters(): AgentCounters {
  const terminal: Record<string, number> = Object.fromEntries(TERMINAL.map((t) => [t, 0]));
  /** Tasks whose terminal update was counted (a retried update counts once), bounded, oldest first. */
  const done = new Set<string>();
  /** Tasks seen past their launch (STARTING or later), bounded likewise. */
  const started = new Set<string>();
  const remember = (set: Set<string>, key: string): void => {
    set.add(key);
    if (set.size > 100_000) set.delete(set.values().next().value!);
  };
  let valid = 0;
  let launchErrors = 0;
  let fetchesFailed = 0;
  let fetchesSucceeded = 0;
  return {
    terminal,
    get validStatusUpdates() {
      return valid;
    },
    get containerLaunchErrors() {
      return launchErrors;
    },
    get fetchesFailed() {
      return fetchesFailed;
    },
    get fetchesSucceeded() {
      return fetchesSucceeded;
    },
    status(s) {
      valid++;
      const key = `${s.frameworkId} ${s.taskId}`;
      if (!isTerminal(s.state) && s.state !== 'TASK_STAGING' && !started.has(key)) {
        fetchesSucceeded++;
        remember(started, key);
      }
      if (!isTerminal(s.state) || done.has(key)) return;
      const name = s.state.slice('TASK_'.length).toLowerCase();
      terminal[name] = (terminal[name] ?? 0) + 1;
      if (s.reason === 'REASON_CONTAINER_LAUNCH_FAILED') {
        launchErrors++;
        if (/Failed to fetch/.test(s.message ?? '')) fetchesFailed++;
      }
      remember(done, key);
      started.delete(key);
    },
  };
}

const SCALARS = ['cpus', 'mem', 'disk', 'gpus'] as const;

export function agentMetrics(
  me: AgentIdentity,
  running: readonly RunningTask[],
  history: TaskHistory,
  counters: AgentCounters,
  extra: { registered: boolean; now: number },
): Record<string, number> {
  const m: Record<string, number> = {};
  m['slave/uptime_secs'] = (extra.now - me.startTime) / 1000;
  m['slave/registered'] = extra.registered ? 1 : 0;
  // Used: every running task's resources, and each task group's executor's once.
  const used = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  const groups = new Set<string>();
  for (const t of running) {
    for (const r of SCALARS) used[r] += R.scalar(t.info.resources, r);
    if (t.group !== undefined && !groups.has(`${t.frameworkId} ${t.executorId}`)) {
      groups.add(`${t.frameworkId} ${t.executorId}`);
      for (const r of SCALARS) used[r] += R.scalar(t.group.executor.resources, r);
    }
  }
  for (const r of SCALARS) {
    const total = R.scalar(me.resources, r);
    m[`slave/${r}_total`] = R.roundScalar(total);
    m[`slave/${r}_used`] = R.roundScalar(used[r]);
    m[`slave/${r}_percent`] = total > 0 ? used[r] / total : 0;
    m[`slave/${r}_revocable_total`] = 0;
    m[`slave/${r}_revocable_used`] = 0;
    m[`slave/${r}_revocable_percent`] = 0;
  }
  const byState = new Map<string, number>();
  for (const t of running) byState.set(t.state, (byState.get(t.state) ?? 0) + 1);
  for (const s of ['staging', 'starting', 'running', 'killing'] as const) m[`slave/tasks_${s}`] = byState.get(`TASK_${s.toUpperCase()}`) ?? 0;
  for (const s of TERMINAL) m[`slave/tasks_${s}`] = counters.terminal[s] ?? 0;

  const frameworks = history.frameworks();
  let executors = 0;
  let terminated = 0;
  for (const f of [...frameworks, ...history.completedFrameworks()]) terminated += f.completedExecutors.length;
  for (const f of frameworks) executors += f.executors.size;
  m['slave/frameworks_active'] = frameworks.length;
  m['slave/executors_running'] = executors;
  m['slave/executors_registering'] = 0;
  m['slave/executors_terminating'] = running.filter((t) => t.killing).length;
  m['slave/executors_terminated'] = terminated;
  m['slave/valid_status_updates'] = counters.validStatusUpdates;
  m['slave/invalid_status_updates'] = 0;
  m['slave/container_launch_errors'] = counters.containerLaunchErrors;
  m['containerizer/fetcher/task_fetches_succeeded'] = counters.fetchesSucceeded;
  m['containerizer/fetcher/task_fetches_failed'] = counters.fetchesFailed;
  return { ...m, ...systemMetrics() };
}
