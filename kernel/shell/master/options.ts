/** The master's options: defaults plus one zod parse at the entry point; deep modules get the result. */
import { z } from 'zod';
import { TlsFiles } from '../../../security/tls/index.js';
import { type Acls, Credential } from '../../../security/http/index.js';

export const MasterOptions = z.object({
  /** NATS server URL(s), comma separated. */
  nats: z.string().min(1),
  /** Address and port of the HTTP API. */
  ip: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(5050),
  /** The host name the master advertises. */
  hostname: z.string().optional(),
  allocationIntervalMs: z.number().int().positive().default(1000),
  /** Offers are rescinded after this long (null: never, which is Mesos's default; ours is 30 s so a framework that ignores offers cannot hold resources for ever). */
  offerTimeoutMs: z.number().int().positive().nullable().default(30_000),
  /** Mesos's --agent_ping_timeout and --max_agent_ping_timeouts. */
  agentPingTimeoutMs: z.number().int().positive().default(15_000),
  maxAgentPingTimeouts: z.number().int().positive().default(5),
  /** Native (NATS) frameworks are pinged this often; one that misses this many in a row is disconnected. */
  frameworkPingTimeoutMs: z.number().int().positive().default(5000),
  maxFrameworkPingTimeouts: z.number().int().positive().default(3),
  /** The leader lease: a standby takes over this long after the leader stops renewing it. */
  leaderLeaseMs: z.number().int().positive().default(2000),
  /**
   * A leader whose main thread has not run (or whose fold has not kept up) for this long gives its
   * lease up; at least the lease. A crashed leader is noticed at once (its presence), not after this.
   */
  leaderStallTimeoutMs: z.number().int().positive().default(10_000),
  /** The leader writes a snapshot of the projection every this many events (0: never). */
  snapshotEveryEvents: z.number().int().nonnegative().default(10_000),
  /** Snapshots kept besides the newest 3, spread evenly over all of history (for `mesos replay state --at`). */
  snapshotHistory: z.number().int().nonnegative().default(32),
  /** HEARTBEAT events on Mesos v1 scheduler streams (Mesos: 15 s). */
  heartbeatIntervalMs: z.number().int().positive().default(15_000),
  /** Largest request body the HTTP API accepts. */
  maxBodyBytes: z.number().int().positive().default(8 * 1024 * 1024),
  /** Unacknowledged status updates are delivered again after this long, doubling each time (Mesos's agent: 10 s)… */
  statusUpdateRetryMinMs: z.number().int().positive().default(10_000),
  /** …up to this (Mesos: 10 min). */
  statusUpdateRetryMaxMs: z.number().int().positive().default(600_000),
  /**
   * What this master's election does to the outstanding offers: rescinded, and offered afresh
   * (false, the default: what Mesos frameworks expect of a failover), or kept (true).
   */
  keepOffersOnElection: z.boolean().default(false),
  /** Replicas of the cluster stream when this master creates it. */
  streamReplicas: z.number().int().min(1).max(5).default(1),
  /** Mesos's --weights (deprecated there too): role weights, applied once if the log holds none. */
  weights: z.record(z.string(), z.number().positive().finite()).default({}),
  /** Mesos's --roles: the roles frameworks may use (absent: any). */
  roles: z.array(z.string().min(1)).nullable().default(null),
  /** Mesos's --min_allocatable_resources: an offer must hold at least one of these. */
  minAllocatableResources: z.array(z.record(z.string(), z.number().nonnegative().finite())).default([{ cpus: 0.01 }, { mem: 32 }]),
  /** Mesos's --filter_gpu_resources. */
  filterGpuResources: z.boolean().default(true),
  /** How often the master checks that the stream still holds what it folded (log-guard.ts). */
  logCheckIntervalMs: z.number().int().positive().default(1000),
  /** A framework's unmet demand is explained (and recorded if its reasons changed) at most this often. */
  whyPendingIntervalMs: z.number().int().positive().default(5000),
  /** The operator event stream (SUBSCRIBE on /api/v1): events kept for resuming subscribers. */
  operatorStreamJournalEvents: z.number().int().positive().default(50_000),
  /** A subscriber more than this many events behind is dropped. */
  operatorStreamMaxLagEvents: z.number().int().positive().default(20_000),
  /** A subscriber whose connection has not taken data for this long is dropped. */
  operatorStreamMaxStallMs: z.number().int().positive().default(30_000),
  /** Events are written to subscribers in batches, at most this often. */
  operatorStreamFlushMs: z.number().int().positive().default(100),
  /** Mesos's --max_operator_event_stream_subscribers: beyond this, the oldest subscriber is closed. */
  operatorStreamMaxSubscribers: z.number().int().positive().default(1000),
  /** HEARTBEAT on the operator event stream (Mesos: 15 s). */
  operatorHeartbeatIntervalMs: z.number().int().positive().default(15_000),
  /** --tls-cert/--tls-key: the HTTP API serves HTTPS only; --tls-ca: the CA NATS's certificate is verified against. */
  tls: TlsFiles.default({}),
  /** --creds: the master's NATS credentials (a `.creds` file; default MESOS_CREDS). */
  creds: z.string().min(1).optional(),
  /** Mesos's --credentials, parsed (security/http): the HTTP Basic credentials accepted. */
  credentials: z.array(Credential).nullable().default(null),
  /** Mesos's --authenticate_http_readonly, --authenticate_http_readwrite, --authenticate_http_frameworks. */
  authenticateHttpReadonly: z.boolean().default(false),
  authenticateHttpReadwrite: z.boolean().default(false),
  authenticateHttpFrameworks: z.boolean().default(false),
  /** Mesos's --acls, parsed (null: no authorizer, everything is allowed). */
  acls: z.custom<Acls>((v) => v !== null && typeof v === 'object' && 'rules' in v).nullable().default(null),
  /** The files these came from, shown in the master's flags. */
  credentialsFile: z.string().optional(),
  aclsFile: z.string().optional(),
});
export type MasterOptions = z.infer<typeof MasterOptions>;
export type MasterOptionsInput = z.input<typeof MasterOptions>;
