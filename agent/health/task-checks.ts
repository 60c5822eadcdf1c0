/**
 * The checks of one running task: its health check (health-state.ts decides) and its general
 * check (its status is reported whenever it changes), each run by its own checker. Updates go out
 * as Mesos's built-in executors send them: a TASK_RUNNING update with
 * REASON_TASK_HEALTH_CHECK_STATUS_UPDATED (`healthy`) or REASON_TASK_CHECK_STATUS_UPDATED
 * (`checkStatus`), each carrying the latest value of the other.
 */
import type { Logger } from 'pino';
import { type CheckInfo, type CheckStatusInfo, type HealthCheck, emptyCheckStatus } from '../../events/index.js';
import type { Clock } from './clock.js';
import { type Checker, startChecker } from './checker.js';
import { type HealthState, healthFailed, healthPassed, initialHealth } from './health-state.js';
import { type Probe, checkStatusOf, healthVerdict, sameCheckStatus } from './probe.js';

export interface CheckUpdate {
  readonly reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' | 'REASON_TASK_CHECK_STATUS_UPDATED';
  readonly healthy?: boolean;
  readonly checkStatus?: CheckStatusInfo;
}

export interface TaskChecksOptions {
  readonly healthCheck?: HealthCheck | undefined;
  readonly check?: CheckInfo | undefined;
  /** The probe of a check definition (I/O: command, HTTP or TCP). */
  readonly probeFor: (c: HealthCheck | CheckInfo) => Probe;
  readonly clock: Clock;
  readonly log: Logger;
  /** Send a TASK_RUNNING update carrying these fields. */
  readonly update: (u: CheckUpdate) => void;
  /** The health check failed too many times in a row: kill the task. */
  readonly kill: (message: string) => void;
}

export interface TaskChecks {
  /** Why the health check had the task killed, once it has. */
  readonly killedBecause: string | undefined;
  /** Stop checking (the task is ending); nothing is reported after this. */
  stop(): void;
}

/** Fields of a task's fresh status updates (STARTING, RUNNING, terminal): an empty check status when it has a check. */
export const freshCheckFields = (check: CheckInfo | undefined): { checkStatus?: CheckStatusInfo } =>
  check === undefined ? {} : { checkStatus: emptyCheckStatus(check.type) };

export function startTaskChecks(o: TaskChecksOptions): TaskChecks {
  const checkers: Checker[] = [];
  let healthy: boolean | undefined;
  let checkStatus: CheckStatusInfo | undefined = o.check === undefined ? undefined : emptyCheckStatus(o.check.type);
  let killedBecause: string | undefined;
  let stopped = false;
  const carried = (): { healthy?: boolean; checkStatus?: CheckStatusInfo } => ({
    ...(healthy !== undefined ? { healthy } : {}),
    ...(checkStatus !== undefined ? { checkStatus } : {}),
  });

  const hc = o.healthCheck;
  if (hc !== undefined) {
    const label = `${hc.type} health check`;
    const policy = { gracePeriodMs: hc.gracePeriodMs, consecutiveFailures: hc.consecutiveFailures };
    let state: HealthState = initialHealth(o.clock.now());
    checkers.push(
      startChecker({
        timing: hc,
        probe: o.probeFor(hc),
        clock: o.clock,
        label,
        onResult: (result, now) => {
          if (stopped) return;
          const verdict = healthVerdict(result);
          const step = verdict.ok ? healthPassed(state) : healthFailed(state, policy, now);
          state = step.next;
          const d = step.decision;
          if (!verdict.ok) {
            if (d.kind === 'in-grace-period') o.log.info({ check: label, why: verdict.why }, 'health check failed; ignored in the grace period');
            else o.log.warn({ check: label, why: verdict.why, consecutiveFailures: state.consecutiveFailures }, 'health check failed');
          }
          if (d.kind !== 'report') return;
          healthy = d.healthy;
          o.update({ reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', ...carried() });
          if (d.killTask && killedBecause === undefined && !verdict.ok) {
            killedBecause = `${label} failed ${d.consecutiveFailures} consecutive time${d.consecutiveFailures === 1 ? '' : 's'} (last: ${verdict.why})`;
            o.log.warn({ check: label, why: killedBecause }, 'killing an unhealthy task');
            o.kill(killedBecause);
          }
        },
      }),
    );
  }

  const ck = o.check;
  if (ck !== undefined) {
    checkers.push(
      startChecker({
        timing: ck,
        probe: o.probeFor(ck),
        clock: o.clock,
        label: `${ck.type} check`,
        onResult: (result) => {
          if (stopped) return;
          const next = checkStatusOf(ck.type, result);
          if (result.type === 'ERROR') o.log.info({ check: `${ck.type} check`, why: result.message }, 'check gave no result');
          if (sameCheckStatus(next, checkStatus)) return;
          checkStatus = next;
          o.update({ reason: 'REASON_TASK_CHECK_STATUS_UPDATED', ...carried() });
        },
      }),
    );
  }

  return {
    get killedBecause() {
      return killedBecause;
    },
    stop() {
      stopped = true;
      for (const c of checkers) c.stop();
    },
  };
}
