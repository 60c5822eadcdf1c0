/** The agent's options: defaults plus one zod parse at the entry point. */
import { z } from 'zod';

export const AgentOptions = z.object({
  nats: z.string().min(1),
  workDir: z.string().min(1),
  /** Mesos resource text; what is not given is detected. */
  resources: z.string().optional(),
  attributes: z.string().optional(),
  isolation: z.enum(['cgroups', 'posix', 'auto']).default('auto'),
  cgroupsRoot: z.string().default('mesos'),
  hostname: z.string().optional(),
  /** Address the agent's HTTP endpoint listens on. */
  ip: z.string().min(1).default('127.0.0.1'),
  /**
   * Its port; 0 picks a free one (the real one is announced). The command line's default is
   * Mesos's 5051; from code it is 0, so that many agents (tests) can run on one machine.
   */
  port: z.number().int().min(0).max(65535).default(0),
  /** The address announced to the master (and shown in `pid`), when it differs from `ip` (e.g. listening on 0.0.0.0). */
  advertiseIp: z.string().min(1).optional(),
  /** Grace between SIGTERM and SIGKILL when a task does not name one (Mesos's command executor uses 3 s). */
  killGracePeriodMs: z.number().int().nonnegative().default(3000),
  /** How long a stopping agent waits for its last status updates to reach the log. */
  stopFlushTimeoutMs: z.number().int().nonnegative().default(10_000),
  /** Re-register when no master has pinged for this long (Mesos: ping timeout × max timeouts = 75 s). */
  masterPingTimeoutMs: z.number().int().positive().default(75_000),
});
export type AgentOptions = z.infer<typeof AgentOptions>;
export type AgentOptionsInput = z.input<typeof AgentOptions>;
