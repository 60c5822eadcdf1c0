/**
 * The schedule of check rounds (pure), as Mesos's checker: the first round `delayMs` after
 * checking starts (TASK_RUNNING); a round ends when its probe answers or when it times out
 * (`timeoutMs`, 0 = never); the next starts `intervalMs` after the previous one ended, so rounds
 * never overlap. Each transition says when the shell must wake up next (`wakeAt`), or null.
 */

export interface RoundTiming {
  readonly delayMs: number;
  readonly intervalMs: number;
  /** 0: a round never times out. */
  readonly timeoutMs: number;
}

export type Rounds =
  | { readonly phase: 'waiting'; readonly round: number; readonly dueAt: number }
  | { readonly phase: 'running'; readonly round: number; readonly startedAt: number; readonly deadline: number | null }
  | { readonly phase: 'stopped'; readonly round: number };

/** How a running round ended. */
export type RoundEnd = 'answered' | 'timed-out';

/** The instant the shell must act next for this state, or null (running without a deadline, or stopped). */
export function wakeAt(s: Rounds): number | null {
  switch (s.phase) {
    case 'waiting':
      return s.dueAt;
    case 'running':
      return s.deadline;
    case 'stopped':
      return null;
  }
}

/** Checking starts at `now`: the first round is due after the delay. */
export function startRounds(t: RoundTiming, now: number): Rounds {
  return { phase: 'waiting', round: 1, dueAt: now + t.delayMs };
}

/** Time passed. A due round starts; a running round past its deadline times out. */
export function tick(s: Rounds, t: RoundTiming, now: number): { readonly next: Rounds; readonly started?: number; readonly ended?: RoundEnd } {
  if (s.phase === 'waiting' && now >= s.dueAt) {
    return { next: { phase: 'running', round: s.round, startedAt: now, deadline: t.timeoutMs > 0 ? now + t.timeoutMs : null }, started: s.round };
  }
  if (s.phase === 'running' && s.deadline !== null && now >= s.deadline) {
    return { next: { phase: 'waiting', round: s.round + 1, dueAt: now + t.intervalMs }, ended: 'timed-out' };
  }
  return { next: s };
}

/**
 * The probe of round `round` answered at `now`. An answer for another round (one that timed out
 * already) or after a stop is stale: nothing changes, and the caller must ignore the answer.
 */
export function answered(s: Rounds, t: RoundTiming, round: number, now: number): { readonly next: Rounds; readonly stale: boolean } {
  if (s.phase !== 'running' || s.round !== round) return { next: s, stale: true };
  return { next: { phase: 'waiting', round: s.round + 1, dueAt: now + t.intervalMs }, stale: false };
}

export function stopRounds(s: Rounds): Rounds {
  return { phase: 'stopped', round: s.round };
}
