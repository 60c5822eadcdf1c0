/**
 * Task health checks and general checks, as Apache Mesos's `HealthCheck` and `CheckInfo`
 * (mesos.proto v1), and the result of a general check (`CheckStatusInfo`). Durations are whole
 * milliseconds here (Mesos: seconds as doubles); the defaults are Mesos's: delay 15 s, interval
 * 10 s, timeout 20 s (0 = none), consecutive failures 3, grace period 10 s.
 *
 * A health check is run by the agent that runs the task: it declares the task healthy or not,
 * and kills it after `consecutiveFailures` failures once its grace period is over. A general
 * check only reports its result (`TaskStatus.checkStatus`); nothing acts on it.
 */
import { z } from 'zod';

export const CHECK_TYPES = ['COMMAND', 'HTTP', 'TCP'] as const;
export const CheckType = z.enum(CHECK_TYPES);
export type CheckType = z.infer<typeof CheckType>;

/** The command of a command check. As in Mesos, it has no `user` and no `uris`: it runs as the task's user, in its sandbox. */
export const CheckCommand = z.object({
  /** The command line (shell) or the executable (not shell). */
  value: z.string().min(1),
  shell: z.boolean().default(true),
  arguments: z.array(z.string()).optional(),
  /** Added to the task's environment. */
  environment: z.record(z.string(), z.string()).optional(),
});
export type CheckCommand = z.infer<typeof CheckCommand>;

const Port = z.number().int().min(1).max(65535);
const Protocol = z.enum(['IPv4', 'IPv6']);

export const HttpCheck = z.object({
  /** The port on 127.0.0.1 (::1 for IPv6). Absent: the task's first port (its PORT0). */
  port: Port.optional(),
  /** Request path (default `/`). */
  path: z.string().max(2048).regex(/^\//, 'the path of an HTTP check must start with /').optional(),
  /** `https` does not verify the certificate (as Mesos's `curl -k`). */
  scheme: z.enum(['http', 'https']).optional(),
  protocol: Protocol.optional(),
});
export type HttpCheck = z.infer<typeof HttpCheck>;

export const TcpCheck = z.object({
  /** The port on 127.0.0.1 (::1 for IPv6). Absent: the task's first port (its PORT0). */
  port: Port.optional(),
  protocol: Protocol.optional(),
});
export type TcpCheck = z.infer<typeof TcpCheck>;

const ms = z.number().int().nonnegative();
const timing = {
  /** From TASK_RUNNING to the first check. */
  delayMs: ms.default(15_000),
  /** From the end of one check (or its timeout) to the start of the next. */
  intervalMs: ms.default(10_000),
  /** A check still running after this long is aborted (0: no timeout). */
  timeoutMs: ms.default(20_000),
};

/** Exactly the field that `type` names is set. */
function oneKind(c: { type: CheckType; command?: unknown; http?: unknown; tcp?: unknown }, ctx: z.core.$RefinementCtx<unknown>): void {
  const field = c.type.toLowerCase() as 'command' | 'http' | 'tcp';
  if (c[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `a ${c.type} check needs '${field}'` });
  for (const other of ['command', 'http', 'tcp'] as const) {
    if (other !== field && c[other] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [other], message: `a ${c.type} check must not set '${other}'` });
    }
  }
}

/** What to check: the type and its one field. */
const kind = {
  type: CheckType,
  command: CheckCommand.optional(),
  http: HttpCheck.optional(),
  tcp: TcpCheck.optional(),
};

export const HealthCheck = z
  .object({
    ...kind,
    ...timing,
    /** Failures in a row (after the grace period) that get the task killed. */
    consecutiveFailures: z.number().int().nonnegative().default(3),
    /**
     * From TASK_RUNNING, failures are ignored this long unless a check has succeeded already
     * (it includes `delayMs`).
     */
    gracePeriodMs: ms.default(10_000),
  })
  .superRefine(oneKind);
export type HealthCheck = z.infer<typeof HealthCheck>;

export const CheckInfo = z
  .object({
    ...kind,
    ...timing,
  })
  .superRefine(oneKind);
export type CheckInfo = z.infer<typeof CheckInfo>;

/**
 * The result of a general check, as Mesos's CheckStatusInfo: the field of the check's type is
 * always present, and empty when there is no result (not run yet, timed out, could not run).
 */
export const CheckStatusInfo = z.object({
  type: CheckType,
  command: z.object({ exitCode: z.number().int().optional() }).optional(),
  http: z.object({ statusCode: z.number().int().min(0).max(999).optional() }).optional(),
  tcp: z.object({ succeeded: z.boolean().optional() }).optional(),
});
export type CheckStatusInfo = z.infer<typeof CheckStatusInfo>;

/** The CheckStatusInfo of a check without a result yet. */
export const emptyCheckStatus = (type: CheckType): CheckStatusInfo =>
  type === 'COMMAND' ? { type, command: {} } : type === 'HTTP' ? { type, http: {} } : { type, tcp: {} };
