/**
 * A job's run history, read from its events in the log (pure): each run with its trigger, its
 * instant, when it started and ended, how it ended, and every attempt's task (agent, task id, a
 * link to the sandbox in the master's web UI); skipped instants as entries of their own.
 */
import type { JobsEvent } from './events.js';
import { TERMINAL } from './state.js';

export interface AttemptView {
  readonly attempt: number;
  readonly taskId: string;
  readonly agentId: string;
  readonly agent: string;
  readonly state: string;
  readonly launchedAt: string;
  readonly endedAt: string | null;
  readonly message?: string;
  /** The task's page in the master's web UI (its sandbox tail), a path on the leading master. */
  readonly sandbox: string;
}

export interface RunView {
  readonly runId: string;
  readonly trigger: string;
  /** The scheduled instant (or when a manual or dependent run became due). */
  readonly instant: string;
  readonly state: 'running' | 'retrying' | 'success' | 'failed' | 'killed' | 'skipped';
  readonly start: string | null;
  readonly end: string | null;
  readonly agent: string | null;
  readonly taskId: string | null;
  readonly sandbox: string | null;
  readonly parentRuns?: readonly string[];
  readonly attempts: readonly AttemptView[];
  /** A skipped entry: how many instants, up to when, and why. */
  readonly count?: number;
  readonly until?: string;
  readonly reason?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function runHistory(events: readonly JobsEvent[], frameworkId: string): RunView[] {
  const runs = new Map<string, { view: RunView; attempts: AttemptView[] }>();
  const out: Array<{ key: number; seq: number; run: string | RunView }> = [];
  const sandbox = (taskId: string): string => `/ui/tasks/${encodeURIComponent(frameworkId)}/${encodeURIComponent(taskId)}`;
  let seq = 0;
  for (const e of events) {
    seq++;
    switch (e.type) {
      case 'RunStarted': {
        const a: AttemptView = { attempt: 1, taskId: e.taskId, agentId: e.agentId, agent: e.hostname, state: 'TASK_STAGING', launchedAt: iso(e.at), endedAt: null, sandbox: sandbox(e.taskId) };
        runs.set(e.runId, {
          view: { runId: e.runId, trigger: e.trigger, instant: iso(e.instant), state: 'running', start: iso(e.at), end: null, agent: e.hostname, taskId: e.taskId, sandbox: sandbox(e.taskId), ...(e.parentRuns !== undefined ? { parentRuns: e.parentRuns } : {}), attempts: [] },
          attempts: [a],
        });
        out.push({ key: e.instant, seq, run: e.runId });
        break;
      }
      case 'RunRetried': {
        const r = runs.get(e.runId);
        if (r === undefined) break;
        r.attempts.push({ attempt: e.attempt, taskId: e.taskId, agentId: e.agentId, agent: e.hostname, state: 'TASK_STAGING', launchedAt: iso(e.at), endedAt: null, sandbox: sandbox(e.taskId) });
        r.view = { ...r.view, state: 'running', agent: e.hostname, taskId: e.taskId, sandbox: sandbox(e.taskId) };
        break;
      }
      case 'TaskStatusChanged': {
        const r = runs.get(e.runId);
        if (r === undefined) break;
        const i = r.attempts.findIndex((a) => a.taskId === e.taskId);
        if (i < 0) break;
        const a = r.attempts[i]!;
        r.attempts[i] = { ...a, state: e.state, ...(TERMINAL.has(e.state) ? { endedAt: iso(e.at) } : {}), ...(e.message !== undefined ? { message: e.message } : {}) };
        if (TERMINAL.has(e.state) && e.state !== 'TASK_FINISHED' && r.view.state === 'running' && i === r.attempts.length - 1) r.view = { ...r.view, state: 'retrying' };
        break;
      }
      case 'RunFinished': {
        const r = runs.get(e.runId);
        if (r === undefined) break;
        r.view = { ...r.view, state: e.outcome === 'SUCCESS' ? 'success' : e.outcome === 'KILLED' ? 'killed' : 'failed', end: iso(e.at), ...(e.reason !== undefined ? { reason: e.reason } : {}) };
        break;
      }
      case 'InstantsSkipped':
        out.push({
          key: e.from,
          seq,
          run: {
            runId: '',
            trigger: e.parentRuns !== undefined ? 'dependency' : 'schedule',
            instant: iso(e.from),
            state: 'skipped',
            start: null,
            end: null,
            agent: null,
            taskId: null,
            sandbox: null,
            attempts: [],
            count: e.count,
            until: iso(e.to),
            reason: e.reason,
            ...(e.parentRuns !== undefined ? { parentRuns: e.parentRuns } : {}),
          },
        });
        break;
      default:
        break;
    }
  }
  return out
    .sort((a, b) => a.key - b.key || a.seq - b.seq)
    .map((x) => {
      if (typeof x.run !== 'string') return x.run;
      const r = runs.get(x.run)!;
      return { ...r.view, attempts: r.attempts };
    });
}
