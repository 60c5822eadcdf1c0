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
  /** Port advertised for the agent's HTTP endpoint (0: none). */
  port: z.number().int().min(0).max(65535).default(0),
  /** Grace between SIGTERM and SIGKILL when a task does not name one (Mesos's command executor uses 3 s). */
  killGracePeriodMs: z.number().int().nonnegative().default(3000),
  /** How long a stopping agent waits for its last status updates to reach the log. */
  stopFlushTimeoutMs: z.number().int().nonnegative().default(10_000),
  /** Re-register when no master has pinged for this long (Mesos: ping timeout × max timeouts = 75 s). */
  masterPingTimeoutMs: z.number().int().positive().default(75_000),
});
export type AgentOptions = z.infer<typeof AgentOptions>;
export type AgentOptionsInput = z.input<typeof AgentOptions>;
