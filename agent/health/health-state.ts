/**
 * The health of one task (pure), as Mesos's HealthChecker decides it:
 *  - a failure while the task has never passed a check and is within its grace period (counted
 *    from the start of checking, the delay included) is ignored;
 *  - any other failure counts one more consecutive failure and is reported (healthy: false) —
 *    every one of them, not only the first; once the count reaches `consecutiveFailures` the
 *    report says to kill the task;
 *  - a success is reported (healthy: true) only when it is the first ever or ends a run of
 *    failures; it resets the count and ends the grace period for good.
 */

export interface HealthPolicy {
  readonly gracePeriodMs: number;
  readonly consecutiveFailures: number;
}

export interface HealthState {
  /** When checking started (TASK_RUNNING). */
  readonly startedAt: number;
  /** No check has succeeded yet. */
  readonly initializing: boolean;
  readonly consecutiveFailures: number;
  /** The last health reported, if any. */
  readonly healthy: boolean | undefined;
}

export type HealthDecision =
  /** Nothing to report (a success while already healthy). */
  | { readonly kind: 'quiet' }
  /** A failure ignored: still in the grace period. */
  | { readonly kind: 'in-grace-period' }
  | { readonly kind: 'report'; readonly healthy: boolean; readonly consecutiveFailures: number; readonly killTask: boolean };

export const initialHealth = (startedAt: number): HealthState => ({ startedAt, initializing: true, consecutiveFailures: 0, healthy: undefined });

export function healthFailed(s: HealthState, p: HealthPolicy, now: number): { readonly next: HealthState; readonly decision: HealthDecision } {
  if (s.initializing && p.gracePeriodMs > 0 && now - s.startedAt <= p.gracePeriodMs) {
    return { next: s, decision: { kind: 'in-grace-period' } };
  }
  const consecutiveFailures = s.consecutiveFailures + 1;
  return {
    next: { ...s, consecutiveFailures, healthy: false },
    decision: { kind: 'report', healthy: false, consecutiveFailures, killTask: consecutiveFailures >= p.consecutiveFailures },
  };
}

export function healthPassed(s: HealthState): { readonly next: HealthState; readonly decision: HealthDecision } {
  const next: HealthState = { ...s, initializing: false, consecutiveFailures: 0, healthy: true };
  if (s.initializing || s.consecutiveFailures > 0) {
    return { next, decision: { kind: 'report', healthy: true, consecutiveFailures: 0, killTask: false } };
  }
  return { next, decision: { kind: 'quiet' } };
}
