/**
 * What a job needs now, from its state and the time (pure): a retry to launch, a run to start (a
 * scheduled instant, a manual run, a firing its parents made due), instants to record as skipped
 * (they did not start within epsilon of their time), or nothing until some later time.
 *
 * Instants are taken in order, one at a time: the next one after the last decided is started
 * if it is due and has not waited more than epsilon, and skipped otherwise, so a framework that
 * was away less than epsilon runs every instant it missed, late, and one away longer records the
 * older instants as skipped. Without `concurrent`, a due run waits for the job's running one.
 */
import { epsilonOf, type JobDefinition, scheduleOf } from './job.js';
import { countBetween, firstAtOrAfter, indexAtOrAfter, instantAt, nextAfter, type Schedule } from './schedule.js';
import { type JobState, type JobsState, type PendingTrigger, type RunState, activeRuns, awaitingRetry, scheduledRunId } from './state.js';

export interface StartWanted {
  readonly runId: string;
  readonly trigger: 'schedule' | 'manual' | 'dependency';
  readonly instant: number;
  readonly parentRuns?: readonly string[];
}

export interface SkipWanted {
  readonly from: number;
  readonly to: number;
  readonly count: number;
  readonly capped: boolean;
  readonly parentRuns?: readonly string[];
  readonly reason: string;
}

export interface JobPlan {
  /** Runs whose last task failed, with retries left: launch their next attempt. */
  readonly retries: readonly RunState[];
  /** Start these (in order) when an offer fits. */
  readonly starts: readonly StartWanted[];
  readonly skips: readonly SkipWanted[];
  /** Why a due run does not start (besides offers). */
  readonly blocked?: string;
  /** Nothing changes before this, unless something happens. */
  readonly wakeAt?: number;
}

const schedules = new WeakMap<JobDefinition, Schedule | null>();
/** The schedule of a stored job (parsed once per definition). */
export function scheduleFor(j: JobState): Schedule | undefined {
  let s = schedules.get(j.job);
  if (s === undefined) {
    s = scheduleOf(j.job, j.definedAt) ?? null;
    schedules.set(j.job, s);
  }
  return s ?? undefined;
}

/** The next instant the job has not decided yet (undefined: a dependent job, or no more). */
export function nextInstant(j: JobState): number | undefined {
  const s = scheduleFor(j);
  if (s === undefined || j.kind !== 'schedule') return undefined;
  return firstAtOrAfter(s, Math.max(j.since, (j.cursor ?? -1) + 1));
}

/** The instants of [from, before) : how many, and the last (iterated up to `cap`). */
function range(s: Schedule, from: number, before: number, cap = 100_000): { count: number; last: number; capped: boolean } {
  if (s.kind === 'iso8601') {
    // Exact, by index: a job every second left alone for a week is one subtraction.
    const { count } = countBetween(s, from, before);
    return { count, last: count > 0 ? instantAt(s, indexAtOrAfter(s, before) - 1) : from, capped: false };
  }
  let n = 0;
  let last = from;
  for (let t: number | undefined = from; t !== undefined && t < before; t = nextAfter(s, t)) {
    last = t;
    if (++n >= cap) return { count: n, last, capped: true };
  }
  return { count: n, last, capped: false };
}

export function planJob(state: JobsState, name: string, now: number): JobPlan {
  const j = state.jobs.get(name);
  if (j === undefined) return { retries: [], starts: [], skips: [] };
  const eps = epsilonOf(j.job);
  const active = activeRuns(state, name);
  const retries = active.filter(awaitingRetry);
  const running = active.filter((r) => !awaitingRetry(r)).length + retries.length;
  let free = j.job.concurrent ? Number.POSITIVE_INFINITY : Math.max(0, 1 - running);
  const starts: StartWanted[] = [];
  const skips: SkipWanted[] = [];
  let blocked: string | undefined;
  let wakeAt: number | undefined;
  const wake = (t: number): void => {
    wakeAt = wakeAt === undefined ? t : Math.min(wakeAt, t);
  };
  const busy = (): string => `the job's previous run ${active[0]?.runId ?? ''} is still running (concurrent: false)`;

  // Manual runs and dependent firings, in the order they became due.
  for (const p of j.pending) {
    if (p.trigger === 'dependency' && now > p.dueAt + eps) {
      skips.push(skipOf(p, `not started within epsilon ${j.job.epsilon} of its parents' success${free === 0 ? `: ${busy()}` : ''}`));
      continue;
    }
    if (j.job.disabled && p.trigger === 'dependency') continue;
    if (free > 0) {
      starts.push({ runId: p.runId, trigger: p.trigger, instant: p.dueAt, ...(p.parentRuns !== undefined ? { parentRuns: p.parentRuns } : {}) });
      free--;
    } else {
      blocked = busy();
      if (p.trigger === 'dependency') wake(p.dueAt + eps + 1);
    }
  }

  const s = scheduleFor(j);
  if (j.kind === 'schedule' && s !== undefined && !j.job.disabled) {
    let next = nextInstant(j);
    if (next !== undefined && next <= now - eps - 1) {
      // Instants whose epsilon has passed: skipped, all at once.
      const firstLive = firstAtOrAfter(s, now - eps);
      const r = range(s, next, firstLive ?? now + 1);
      if (r.count > 0) {
        skips.push({ from: next, to: r.last, count: r.count, capped: r.capped, reason: `not started within epsilon ${j.job.epsilon} of its time${free === 0 ? `: ${busy()}` : ''}` });
        next = firstLive;
      }
    }
    if (next !== undefined) {
      if (next > now) wake(next);
      else if (free > 0) starts.push({ runId: scheduledRunId(name, next), trigger: 'schedule', instant: next });
      else {
        blocked = busy();
        wake(next + eps + 1);
      }
    }
  }
  return { retries, starts, skips, ...(blocked !== undefined ? { blocked } : {}), ...(wakeAt !== undefined ? { wakeAt } : {}) };
}

const skipOf = (p: PendingTrigger, reason: string): SkipWanted => ({ from: p.dueAt, to: p.dueAt, count: 1, capped: false, ...(p.parentRuns !== undefined ? { parentRuns: p.parentRuns } : {}), reason });
