/** The agent's options: defaults plus one zod parse at the entry point. */
import { z } from 'zod';
import { DEFAULT_PIDS_MAX } from './isolation/cgroups-pids.js';
import { TlsFiles } from '../security/tls/index.js';
import { Credential } from '../security/http/index.js';

export const AgentOptions = z.object({
  nats: z.string().min(1),
  workDir: z.string().min(1),
  /** Mesos resource text; what is not given is detected. */
  resources: z.string().optional(),
  attributes: z.string().optional(),
  /** `--isolation`: a comma-separated list of isolators, or auto / cgroups / posix (see isolation/selection.ts). */
  isolation: z.string().min(1).default('auto'),
  cgroupsRoot: z.string().default('mesos'),
  /** A hard CFS quota of `cpus` per task besides the shares (cgroups/cpu). */
  cgroupsEnableCfs: z.boolean().default(false),
  /** Per-task process (and thread) limit with cgroups/pids. */
  cgroupsPidsMax: z.number().int().positive().default(DEFAULT_PIDS_MAX),
  /** How often disk/du measures the sandboxes (Mesos: 15 s). */
  diskWatchIntervalMs: z.number().int().positive().default(15_000),
  /** Mesos's `--docker_registry`: a local directory, or a registry URL `https://host:port` — the image store of tasks with `container.mesos.image` (agent/provisioner). */
  dockerRegistry: z.string().min(1).optional(),
  /** A PEM file of the CA the remote registry's (and its token server's) certificates are verified against. */
  dockerRegistryCa: z.string().min(1).optional(),
  /** Mesos's `--docker_config`: a file in Docker's config.json shape with credentials per registry. */
  dockerConfig: z.string().min(1).optional(),
  /** The local APPC store: `.aci` files named as App Container's simple discovery names them (`<name>-<version>-<os>-<arch>.aci`). */
  appcStore: z.string().min(1).optional(),
  /** Refuse images whose layers (compressed, or unpacked) are bigger than this many MB. */
  imageMaxSizeMb: z.number().int().positive().optional(),
  /** Garbage-collect the image rootfs cache (under the work dir) above this many MB; unset: never. */
  imageCacheMaxMb: z.number().int().positive().optional(),
  /** Start as a new agent (new id) even though the work dir holds an earlier one; its tasks are killed. */
  newAgentId: z.boolean().default(false),
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
  /** Mesos's --executor_shutdown_grace_period: SHUTDOWN, then this long, then SIGKILL, for a custom executor that names none. */
  executorShutdownGracePeriodMs: z.number().int().nonnegative().default(5000),
  /** Mesos's --executor_registration_timeout: a custom executor that has not subscribed by then is killed. */
  executorRegistrationTimeoutMs: z.number().int().positive().default(60_000),
  /** Mesos's --executor_reregistration_timeout: after a restart, how long a re-attached executor has to subscribe again (Mesos: 2 s, at most 15 s). */
  executorReregistrationTimeoutMs: z.number().int().positive().max(15_000, 'at most 15 s, as Mesos').default(2000),
  /** Mesos's --authenticate_http_executors: executors prove who they are with the token the agent gave them (MESOS_EXECUTOR_AUTHENTICATION_TOKEN). */
  authenticateHttpExecutors: z.boolean().default(true),
  /** How often a subscribed executor gets HEARTBEAT (Mesos: 30 s). */
  executorHeartbeatMs: z.number().int().positive().default(30_000),
  /** How long a stopping agent waits for its last status updates to reach the log (what is left stays queued on disk). */
  stopFlushTimeoutMs: z.number().int().nonnegative().default(10_000),
  /** Mesos's `--switch_user`: tasks run as their user (CommandInfo.user, else FrameworkInfo.user); off: as the agent's own. */
  switchUser: z.boolean().default(true),
  /** Whether a task may run as root (uid 0): off by default; the master's run_tasks ACL must allow the user as well. */
  allowRootTasks: z.boolean().default(false),
  /** Re-register when no master has pinged for this long (Mesos: ping timeout × max timeouts = 75 s). */
  masterPingTimeoutMs: z.number().int().positive().default(75_000),
  /** --tls-cert/--tls-key: the HTTP endpoint serves HTTPS only; --tls-ca: the CA NATS's certificate is verified against. */
  tls: TlsFiles.default({}),
  /** --creds: the agent's NATS credentials (a `.creds` file; default MESOS_CREDS). */
  creds: z.string().min(1).optional(),
  /** Mesos's agent --http_credentials (parsed) and --authenticate_http_readonly / --authenticate_http_readwrite. */
  httpCredentials: z.array(Credential).nullable().default(null),
  authenticateHttpReadonly: z.boolean().default(false),
  authenticateHttpReadwrite: z.boolean().default(false),
});
export type AgentOptions = z.infer<typeof AgentOptions>;
export type AgentOptionsInput = z.input<typeof AgentOptions>;
