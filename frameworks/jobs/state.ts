/**
 * The jobs framework's state, a pure fold of its log (events.ts): jobs, the instant each one has
 * decided up to, its runs (active ones in full, the last finished ones for the API), and the
 * firings its parents made due. Nothing here reads a clock or does I/O; `evolve` never throws (an
 * event about something unknown changes nothing).
 */
import { createHash } from 'node:crypto';
import type { JobsEvent, RunOutcome, RunTrigger } from './events.js';
import { type JobDefinition, type JobKind, sameSchedule } from './job.js';

/** Task states after which a task no longer runs. */
export const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN', 'TASK_UNREACHABLE']);

/** How many finished runs a job keeps in memory (the log keeps them all: GET …/history). */
export const RECENT_RUNS = 20;

export interface Attempt {
  readonly attempt: number;
  readonly taskId: string;
  readonly agentId: string;
  readonly hostname: string;
  readonly launchedAt: number;
  readonly state: string;
  readonly runningAt?: number;
  readonly endedAt?: number;
  readonly reason?: string;
  readonly message?: string;
}

export interface RunState {
  readonly runId: string;
  readonly name: string;
  readonly trigger: RunTrigger;
  /** The scheduled instant (or when a manual or dependent run became due). */
  readonly instant: number;
  readonly parentRuns?: readonly string[];
  readonly startedAt: number;
  readonly attempts: readonly Attempt[];
  readonly outcome?: RunOutcome;
  /** Killed through the API: it ends KILLED when its task ends, and is not retried. */
  readonly killRequested?: boolean;
  readonly endedAt?: number;
  readonly reason?: string;
}

/** A firing waiting to start: a manual run, or one its parents made due. */
export interface PendingTrigger {
  readonly runId: string;
  readonly trigger: 'manual' | 'dependency';
  readonly dueAt: number;
  readonly parentRuns?: readonly string[];
}

export interface JobState {
  readonly job: JobDefinition;
  readonly kind: JobKind;
  readonly definedAt: number;
  /** Instants before this are not the job's (it was defined, or its schedule changed, later). */
  readonly since: number;
  /** The last scheduled instant decided (started or skipped). */
  readonly cursor?: number;
  readonly pending: readonly PendingTrigger[];
  /** Runs not finished, by id, oldest first. */
  readonly active: readonly string[];
  readonly recent: readonly RunState[];
  /** Per parent: its latest success this job has not fired on yet. */
  readonly fired: Readonly<Record<string, string>>;
  readonly successCount: number;
  readonly errorCount: number;
  readonly errorsSinceLastSuccess: number;
  readonly lastSuccess?: number;
  readonly lastError?: number;
  readonly skippedCount: number;
  readonly lastSkip?: { readonly from: number; readonly to: number; readonly count: number; readonly reason: string; readonly at: number };
}

export interface JobsState {
  readonly frameworkId?: string;
  readonly jobs: ReadonlyMap<string, JobState>;
  /** Runs not finished, by id. */
  readonly runs: ReadonlyMap<string, RunState>;
  /** The run of each task that may still run. */
  readonly tasks: ReadonlyMap<string, string>;
}

export const initialState = (): JobsState => ({ jobs: new Map(), runs: new Map(), tasks: new Map() });

/** A scheduled run's id: its job and instant (so the same decision always has the same id). */
export const scheduledRunId = (name: string, instant: number): string => `${name}@${new Date(instant).toISOString()}`;
/** A dependent run's id: its job and the parents' runs that made it due. */
export const dependentRunId = (name: string, parentRuns: readonly string[]): string => `${name}@after-${createHash('sha256').update(parentRuns.join('\n')).digest('hex').slice(0, 16)}`;
/** A run's task id for an attempt (Chronos's `ct:` prefix), made of what the run is. */
export const taskIdOf = (run: { readonly runId: string; readonly name: string; readonly instant: number }, attempt: number): string => {
  const tail = run.runId.slice(run.name.length + 1);
  return `ct:${run.instant}:${attempt - 1}:${run.name}:${createHash('sha256').update(tail).digest('hex').slice(0, 8)}`;
};

export const currentAttempt = (r: RunState): Attempt => r.attempts[r.attempts.length - 1]!;

/** A run whose last task failed and that has retries left waits for its next attempt. */
export const awaitingRetry = (r: RunState): boolean => r.outcome === undefined && r.killRequested !== true && TERMINAL.has(currentAttempt(r).state);

const withJob = (s: JobsState, name: string, f: (j: JobState) => JobState): JobsState => {
  const j = s.jobs.get(name);
  if (j === undefined) return s;
  return { ...s, jobs: new Map(s.jobs).set(name, f(j)) };
};
const withRun = (s: JobsState, runId: string, f: (r: RunState) => RunState): JobsState => {
  const r = s.runs.get(runId);
  if (r === undefined) return s;
  return { ...s, runs: new Map(s.runs).set(runId, f(r)) };
};

export function evolve(s: JobsState, e: JobsEvent): JobsState {
  switch (e.type) {
    case 'FrameworkIdRecorded':
      return { ...s, frameworkId: e.frameworkId };
    case 'JobDefined': {
      const before = s.jobs.get(e.job.name);
      const keep = before !== undefined && before.kind === e.kind && sameSchedule(before.job, e.job);
      const j: JobState =
        before === undefined
          ? { job: e.job, kind: e.kind, definedAt: e.at, since: e.at, pending: [], active: [], recent: [], fired: {}, successCount: 0, errorCount: 0, errorsSinceLastSuccess: 0, skippedCount: 0 }
          : {
              ...before,
              job: e.job,
              kind: e.kind,
              definedAt: e.at,
              // A new schedule (or a job enabled again) starts from now: instants before are not missed runs.
              since: keep ? before.since : e.at,
              fired: e.kind === 'dependency' ? Object.fromEntries(Object.entries(before.fired).filter(([p]) => e.job.parents?.includes(p) === true)) : {},
              pending: e.kind === 'dependency' ? before.pending : before.pending.filter((p) => p.trigger === 'manual'),
            };
      return { ...s, jobs: new Map(s.jobs).set(e.job.name, j) };
    }
    case 'JobDeleted': {
      const jobs = new Map(s.jobs);
      jobs.delete(e.name);
      // Its runs stay until their tasks end (a deleted job's runs are killed, and finish KILLED).
      return { ...s, jobs };
    }
    case 'RunRequested':
      return withJob(s, e.name, (j) => ({ ...j, pending: [...j.pending, { runId: e.runId, trigger: 'manual', dueAt: e.at }] }));
    case 'RunStarted': {
      const run: RunState = {
        runId: e.runId,
        name: e.name,
        trigger: e.trigger,
        instant: e.instant,
        ...(e.parentRuns !== undefined ? { parentRuns: e.parentRuns } : {}),
        startedAt: e.at,
        attempts: [{ attempt: 1, taskId: e.taskId, agentId: e.agentId, hostname: e.hostname, launchedAt: e.at, state: 'TASK_STAGING' }],
      };
      const next = withJob(s, e.name, (j) => ({
        ...j,
        active: [...j.active, e.runId],
        ...(e.trigger === 'schedule' ? { cursor: Math.max(j.cursor ?? -1, e.instant) } : {}),
        pending: j.pending.filter((p) => p.runId !== e.runId),
      }));
      return { ...next, runs: new Map(next.runs).set(e.runId, run), tasks: new Map(next.tasks).set(e.taskId, e.runId) };
    }
    case 'RunRetried': {
      const next = withRun(s, e.runId, (r) => ({ ...r, attempts: [...r.attempts, { attempt: e.attempt, taskId: e.taskId, agentId: e.agentId, hostname: e.hostname, launchedAt: e.at, state: 'TASK_STAGING' }] }));
      return next === s ? s : { ...next, tasks: new Map(next.tasks).set(e.taskId, e.runId) };
    }
    case 'TaskStatusChanged': {
      const next = withRun(s, e.runId, (r) => ({
        ...r,
        attempts: r.attempts.map((a) =>
          a.taskId !== e.taskId
            ? a
            : {
                ...a,
                state: e.state,
                ...(e.state === 'TASK_RUNNING' && a.runningAt === undefined ? { runningAt: e.at } : {}),
                ...(TERMINAL.has(e.state) ? { endedAt: e.at } : {}),
                ...(e.reason !== undefined ? { reason: e.reason } : {}),
                ...(e.message !== undefined ? { message: e.message } : {}),
              },
        ),
      }));
      if (!TERMINAL.has(e.state) || !next.tasks.has(e.taskId)) return next;
      const tasks = new Map(next.tasks);
      tasks.delete(e.taskId);
      return { ...next, tasks };
    }
    case 'RunKillRequested':
      return withRun(s, e.runId, (r) => ({ ...r, killRequested: true }));
    case 'RunFinished': {
      const run = s.runs.get(e.runId);
      if (run === undefined) return s;
      const done: RunState = { ...run, outcome: e.outcome, endedAt: e.at, ...(e.reason !== undefined ? { reason: e.reason } : {}) };
      const runs = new Map(s.runs);
      runs.delete(e.runId);
      const tasks = new Map(s.tasks);
      for (const a of run.attempts) tasks.delete(a.taskId);
      const jobs = new Map(s.jobs);
      const j = jobs.get(e.name);
      if (j !== undefined) {
        const ok = e.outcome === 'SUCCESS';
        jobs.set(e.name, {
          ...j,
          active: j.active.filter((x) => x !== e.runId),
          recent: [...j.recent, done].slice(-RECENT_RUNS),
          successCount: j.successCount + (ok ? 1 : 0),
          errorCount: j.errorCount + (ok ? 0 : 1),
          errorsSinceLastSuccess: ok ? 0 : j.errorsSinceLastSuccess + 1,
          ...(ok ? { lastSuccess: e.at } : { lastError: e.at }),
        });
        // Its children: this run is the parent's latest success (or, failed, none is).
        for (const [cn, c] of jobs) {
          if (c.kind !== 'dependency' || c.job.parents?.includes(e.name) !== true) continue;
          const fired = { ...c.fired };
          if (ok) fired[e.name] = e.runId;
          else delete fired[e.name];
          const parents = c.job.parents;
          if (ok && parents.every((p) => fired[p] !== undefined)) {
            const parentRuns = parents.map((p) => fired[p]!);
            jobs.set(cn, { ...c, fired: {}, pending: [...c.pending, { runId: dependentRunId(cn, parentRuns), trigger: 'dependency', dueAt: e.at, parentRuns }] });
          } else jobs.set(cn, { ...c, fired });
        }
      }
      return { ...s, jobs, runs, tasks };
    }
    case 'InstantsSkipped':
      return withJob(s, e.name, (j) => ({
        ...j,
        ...(e.parentRuns === undefined ? { cursor: Math.max(j.cursor ?? -1, e.to) } : { pending: j.pending.filter((p) => p.trigger !== 'dependency' || p.dueAt !== e.from || p.parentRuns?.join() !== e.parentRuns!.join()) }),
        skippedCount: j.skippedCount + e.count,
        lastSkip: { from: e.from, to: e.to, count: e.count, reason: e.reason, at: e.at },
      }));
  }
  const never: never = e;
  return never;
}

/** The job's runs now running (or waiting for a retry). */
export const activeRuns = (s: JobsState, name: string): RunState[] => (s.jobs.get(name)?.active ?? []).map((id) => s.runs.get(id)).filter((r): r is RunState => r !== undefined);

/** The job's dependency graph refuses `job` with these parents: an unknown parent, or a cycle. */
export function graphError(s: JobsState, name: string, parents: readonly string[]): { field: string; message: string } | undefined {
  const unknown = parents.filter((p) => !s.jobs.has(p));
  if (unknown.length > 0) return { field: 'parents', message: `unknown parent job${unknown.length > 1 ? 's' : ''} ${unknown.map((p) => `'${p}'`).join(', ')}: create ${unknown.length > 1 ? 'them' : 'it'} first` };
  // A cycle: some parent descends from this job.
  const parentsOf = (n: string): readonly string[] => (n === name ? parents : (s.jobs.get(n)?.job.parents ?? []));
  const path: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string): string[] | undefined => {
    if (n === name && path.length > 0) return [...path, n];
    if (seen.has(n)) return undefined;
    seen.add(n);
    path.push(n);
    for (const p of parentsOf(n)) {
      const c = visit(p);
      if (c !== undefined) return c;
    }
    path.pop();
    return undefined;
  };
  const cycle = visit(name);
  if (cycle !== undefined) return { field: 'parents', message: `a dependency cycle: ${[...cycle].reverse().join(' -> ')}` };
  return undefined;
}

/** Jobs that name `name` as a parent. */
export const childrenOf = (s: JobsState, name: string): string[] => [...s.jobs.values()].filter((j) => j.job.parents?.includes(name) === true).map((j) => j.job.name);
