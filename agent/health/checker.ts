/**
 * The thin shell that runs one check's rounds (rounds.ts) on a clock: it starts the probe when a
 * round is due, aborts it when the round times out (reported as an ERROR result), and hands every
 * result to `onResult`. Stopping cancels the timer and aborts a running probe; nothing is reported
 * after a stop.
 */
import type { Clock, Timer } from './clock.js';
import type { Probe, ProbeResult } from './probe.js';
import { type RoundTiming, type Rounds, answered, startRounds, stopRounds, tick, wakeAt } from './rounds.js';

export interface CheckerOptions {
  readonly timing: RoundTiming;
  readonly probe: Probe;
  readonly clock: Clock;
  /** Names the check in a timeout message, e.g. "HTTP health check". */
  readonly label: string;
  readonly onResult: (result: ProbeResult, now: number) => void;
}

export interface Checker {
  /** Rounds started so far. */
  rounds(): number;
  stop(): void;
}

export function startChecker(o: CheckerOptions): Checker {
  let state: Rounds = startRounds(o.timing, o.clock.now());
  let timer: Timer | undefined;
  let running: AbortController | undefined;
  let started = 0;

  function arm(): void {
    timer?.cancel();
    timer = undefined;
    const at = wakeAt(state);
    if (at !== null) timer = o.clock.setTimer(at - o.clock.now(), wake);
  }

  function wake(): void {
    timer = undefined;
    const now = o.clock.now();
    const t = tick(state, o.timing, now);
    state = t.next;
    if (t.ended === 'timed-out') {
      running?.abort();
      running = undefined;
      o.onResult({ type: 'ERROR', message: `${o.label} timed out after ${o.timing.timeoutMs / 1000}s` }, now);
    }
    if (t.started !== undefined) run(t.started);
    arm();
  }

  function run(round: number): void {
    started++;
    const ac = new AbortController();
    running = ac;
    void o
      .probe(ac.signal)
      .catch((err: unknown): ProbeResult => ({ type: 'ERROR', message: err instanceof Error ? err.message : String(err) }))
      .then((result) => {
        const a = answered(state, o.timing, round, o.clock.now());
        if (a.stale) return;
        state = a.next;
        if (running === ac) running = undefined;
        o.onResult(result, o.clock.now());
        arm();
      });
  }

  arm();
  return {
    rounds: () => started,
    stop() {
      state = stopRounds(state);
      timer?.cancel();
      timer = undefined;
      running?.abort();
      running = undefined;
    },
  };
}
