/**
 * What one check round finds (pure): a command's exit code, an HTTP status code, whether a TCP
 * connection succeeded, or an error (it could not run, it was killed by a signal, the HTTP
 * request failed, it timed out). How a health check reads it, and what a general check reports,
 * follow Mesos's checker library.
 */
import { type CheckStatusInfo, type CheckType, emptyCheckStatus } from '../../events/index.js';

export type ProbeResult =
  /** `output`: the start of what the command printed, for the failure message. */
  | { readonly type: 'COMMAND'; readonly exitCode: number; readonly output?: string }
  | { readonly type: 'HTTP'; readonly statusCode: number }
  | { readonly type: 'TCP'; readonly succeeded: boolean }
  | { readonly type: 'ERROR'; readonly message: string };

/** One round of a check; it must settle soon after `signal` aborts (and never reject). */
export type Probe = (signal: AbortSignal) => Promise<ProbeResult>;

export type HealthVerdict = { readonly ok: true } | { readonly ok: false; readonly why: string };

/** Health: exit code 0; HTTP 200–399 (redirects are followed by the probe); a TCP connection; never an error. */
export function healthVerdict(r: ProbeResult): HealthVerdict {
  switch (r.type) {
    case 'COMMAND':
      return r.exitCode === 0
        ? { ok: true }
        : { ok: false, why: `Command exited with status ${r.exitCode}${r.output !== undefined ? ` (output: ${r.output})` : ''}` };
    case 'HTTP':
      return r.statusCode >= 200 && r.statusCode < 400 ? { ok: true } : { ok: false, why: `Unexpected HTTP response code: ${r.statusCode}` };
    case 'TCP':
      return r.succeeded ? { ok: true } : { ok: false, why: 'TCP connection failed' };
    case 'ERROR':
      return { ok: false, why: r.message };
  }
}

/**
 * A general check's status for a result: the result in the field of the check's type, or that
 * field empty when there is no result (an error, or a result of another type).
 */
export function checkStatusOf(type: CheckType, r: ProbeResult): CheckStatusInfo {
  if (type === 'COMMAND' && r.type === 'COMMAND') return { type, command: { exitCode: r.exitCode } };
  if (type === 'HTTP' && r.type === 'HTTP') return { type, http: { statusCode: r.statusCode } };
  if (type === 'TCP' && r.type === 'TCP') return { type, tcp: { succeeded: r.succeeded } };
  return emptyCheckStatus(type);
}

/** Value equality of two check statuses (what decides whether a check update is sent). */
export function sameCheckStatus(a: CheckStatusInfo | undefined, b: CheckStatusInfo | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.type === b.type &&
    (a.command === undefined) === (b.command === undefined) &&
    a.command?.exitCode === b.command?.exitCode &&
    (a.http === undefined) === (b.http === undefined) &&
    a.http?.statusCode === b.http?.statusCode &&
    (a.tcp === undefined) === (b.tcp === undefined) &&
    a.tcp?.succeeded === b.tcp?.succeeded
  );
}
