import { startMaster } from '../../kernel/shell/master/index.js';
import { replayRoutes } from '../../replay/index.js';
import { FlagError, type FlagSpec, bool, num, str } from '../flags.js';
import { roleError } from '../../kernel/core/roles.js';
import { createLogger } from '../log.js';
import { AclsError, CredentialsError, loadAcls, loadCredentials } from '../../security/http/index.js';
import { LOG_LEVEL_FLAG, NATS_FLAG, TLS_SERVER_FLAGS, CREDS_FLAG, onShutdown, tlsFiles } from './common.js';

export const masterFlags: readonly FlagSpec[] = [
  NATS_FLAG,
  { name: 'ip', type: 'string', default: '127.0.0.1', help: 'Address the HTTP API listens on' },
  { name: 'port', type: 'int', default: 5050, help: 'Port of the HTTP API' },
  { name: 'hostname', type: 'string', help: 'Host name the master advertises' },
  { name: 'allocation-interval', type: 'duration', default: '1s', help: 'How often the allocator runs (it also runs on change)' },
  { name: 'offer-timeout', type: 'optional-duration', default: '30s', placeholder: 'duration|none', help: 'Rescind offers held longer than this' },
  { name: 'agent-ping-timeout', type: 'duration', default: '15s', help: 'Time to wait for an agent to answer a ping' },
  { name: 'max-agent-ping-timeouts', type: 'int', default: 5, help: 'Missed pings after which an agent is unreachable' },
  { name: 'framework-ping-timeout', type: 'duration', default: '5s', help: 'How often native (NATS) frameworks are pinged, and how long each ping waits' },
  { name: 'max-framework-ping-timeouts', type: 'int', default: 3, help: 'Missed pings after which a native framework is disconnected (its failover timeout starts)' },
  { name: 'leader-lease', type: 'duration', default: '2s', help: 'Leader lease: a standby takes over this long after the leader stops renewing it' },
  {
    name: 'leader-stall-timeout',
    type: 'duration',
    default: '10s',
    help: 'A leader whose main thread is blocked (or whose fold is stuck) this long gives its lease up (at least --leader-lease)',
  },
  { name: 'snapshot-every', type: 'int', default: 10_000, help: 'The leader snapshots the projection every this many events (0: never); a cold master starts from the newest' },
  {
    name: 'snapshot-history',
    type: 'int',
    default: 32,
    help: 'Snapshots kept besides the newest 3, spread evenly over all of history, so that `mesos replay state --at` starts near any point (0: only the newest)',
  },
  { name: 'heartbeat-interval', type: 'duration', default: '15s', help: 'HEARTBEAT events on Mesos v1 scheduler streams' },
  { name: 'max-body-bytes', type: 'int', default: 8 * 1024 * 1024, help: 'Largest request body the HTTP API accepts (413 beyond)' },
  { name: 'status-update-retry-min', type: 'duration', default: '10s', help: 'An unacknowledged status update is delivered to its framework again after this long, then twice as long each time…' },
  { name: 'status-update-retry-max', type: 'duration', default: '10mins', help: '…up to this' },
  {
    name: 'keep-offers-on-election',
    type: 'bool',
    default: false,
    help: 'When this master is elected, keep the outstanding offers (default: rescind them and offer afresh, as a Mesos failover does)',
  },
  { name: 'stream-replicas', type: 'int', default: 1, help: 'Replicas of the cluster stream when the master creates it (3 on a 3-node NATS cluster)' },
  {
    name: 'weights',
    type: 'string',
    placeholder: 'role=w,…',
    help: 'Role weights, e.g. eng=2,ops=0.5 (applied when the log holds no weights yet; after that the operator API decides, as in Mesos)',
  },
  { name: 'roles', type: 'string', placeholder: 'role,…', help: "The roles frameworks may use (a whitelist, as Mesos's deprecated --roles); default: any" },
  {
    name: 'min-allocatable-resources',
    type: 'string',
    default: 'cpus:0.01|mem:32',
    placeholder: 'r:q;…|…',
    help: 'An offer must hold at least one of these alternatives (each a set of quantities)',
  },
  { name: 'filter-gpu-resources', type: 'bool', default: true, help: 'Offer agents with GPUs only to GPU_RESOURCES-capable frameworks' },
  { name: 'why-pending-interval', type: 'duration', default: '5s', help: 'Explain a framework\'s unmet demand at most this often (recorded only when the reasons change)' },
  { name: 'operator-heartbeat-interval', type: 'duration', default: '15s', help: 'HEARTBEAT events on the operator event stream (SUBSCRIBE on /api/v1)' },
  { name: 'operator-stream-journal', type: 'int', default: 50_000, help: 'Operator stream events each master keeps, for subscribers that resume with Last-Event-ID' },
  { name: 'operator-stream-max-lag', type: 'int', default: 20_000, help: 'An operator stream subscriber more than this many events behind is dropped' },
  { name: 'operator-stream-max-stall', type: 'duration', default: '30s', help: 'An operator stream subscriber whose connection takes no data this long is dropped' },
  { name: 'max-operator-event-stream-subscribers', type: 'int', default: 1000, help: 'Operator stream subscribers at most (the oldest is closed beyond)' },
  ...TLS_SERVER_FLAGS,
  CREDS_FLAG,
  ...HTTP_AUTH_FLAGS('master'),
  {
    name: 'authenticate-http-frameworks',
    type: 'bool',
    default: false,
    help: 'Frameworks must authenticate (HTTP Basic) to use the scheduler API (/api/v1/scheduler)',
  },
  { name: 'http-framework-authenticators', type: 'string', default: 'basic', choices: ['basic'], help: 'How HTTP frameworks authenticate (only HTTP Basic, as Mesos\'s default)' },
  {
    name: 'acls',
    type: 'string',
    placeholder: 'file',
    help: 'Mesos ACLs (JSON: {"permissive": …, "run_tasks": [{"principals": {"values": […]}, "users": {"type": "ANY"}}], …}); default: everything allowed',
  },
  LOG_LEVEL_FLAG,
];

/** The HTTP authentication flags the master and the agent share (Mesos's names, with dashes). */
export function HTTP_AUTH_FLAGS(who: 'master' | 'agent'): FlagSpec[] {
  return [
    {
      name: who === 'master' ? 'credentials' : 'http-credentials',
      type: 'string',
      placeholder: 'file',
      help: 'HTTP Basic credentials accepted (JSON: {"credentials":[{"principal":"…","secret":"…"}]}, mode 600)',
    },
    { name: 'authenticate-http-readonly', type: 'bool', default: false, help: `Read-only endpoints (/state, /${who === 'master' ? 'master/tasks' : 'files/read'}, /metrics/snapshot, …) need credentials` },
    {
      name: 'authenticate-http-readwrite',
      type: 'bool',
      default: false,
      help: who === 'master' ? 'Read-write endpoints (the operator API /api/v1, /quota, /weights, /maintenance/schedule) need credentials' : 'Read-write endpoints need credentials',
    },
  ];
}

/** Load --credentials and --acls (clear errors for a missing or bad file). */
export function loadHttpSecurity(credentialsFile: string | undefined, aclsFile: string | undefined, flag = '--credentials') {
  try {
    return {
      credentials: credentialsFile === undefined ? null : loadCredentials(credentialsFile, flag),
      acls: aclsFile === undefined ? null : loadAcls(aclsFile),
    };
  } catch (e) {
    if (e instanceof CredentialsError || e instanceof AclsError) throw new FlagError(e.message);
    throw e;
  }
}

export async function runMaster(v: Readonly<Record<string, unknown>>): Promise<void> {
  const log = createLogger(str(v['log-level'] as string) ?? 'info', 'mesos-master');
  const hostname = str(v.hostname as string);
  const credentialsFile = str(v.credentials as string);
  const aclsFile = str(v.acls as string);
  const security = loadHttpSecurity(credentialsFile, aclsFile);
  const master = await startMaster(
    {
      nats: v.nats as string,
      ip: v.ip as string,
      port: v.port as number,
      ...(hostname !== undefined ? { hostname } : {}),
      allocationIntervalMs: v['allocation-interval'] as number,
      offerTimeoutMs: (v['offer-timeout'] as number | null) ?? null,
      agentPingTimeoutMs: v['agent-ping-timeout'] as number,
      maxAgentPingTimeouts: v['max-agent-ping-timeouts'] as number,
      frameworkPingTimeoutMs: v['framework-ping-timeout'] as number,
      maxFrameworkPingTimeouts: v['max-framework-ping-timeouts'] as number,
      streamReplicas: num(v['stream-replicas'] as number) ?? 1,
      heartbeatIntervalMs: v['heartbeat-interval'] as number,
      leaderLeaseMs: v['leader-lease'] as number,
      leaderStallTimeoutMs: v['leader-stall-timeout'] as number,
      snapshotEveryEvents: v['snapshot-every'] as number,
      snapshotHistory: v['snapshot-history'] as number,
      maxBodyBytes: v['max-body-bytes'] as number,
      keepOffersOnElection: v['keep-offers-on-election'] as boolean,
      statusUpdateRetryMinMs: v['status-update-retry-min'] as number,
      statusUpdateRetryMaxMs: v['status-update-retry-max'] as number,
      weights: parseWeights(str(v.weights as string)),
      roles: parseRoleList(str(v.roles as string)),
      minAllocatableResources: parseMinAllocatable(v['min-allocatable-resources'] as string),
      filterGpuResources: bool(v['filter-gpu-resources'] as boolean),
      whyPendingIntervalMs: v['why-pending-interval'] as number,
      operatorHeartbeatIntervalMs: v['operator-heartbeat-interval'] as number,
      operatorStreamJournalEvents: v['operator-stream-journal'] as number,
      operatorStreamMaxLagEvents: v['operator-stream-max-lag'] as number,
      operatorStreamMaxStallMs: v['operator-stream-max-stall'] as number,
      operatorStreamMaxSubscribers: v['max-operator-event-stream-subscribers'] as number,
      tls: tlsFiles(v),
      credentials: security.credentials === null ? null : [...security.credentials],
      acls: security.acls,
      authenticateHttpReadonly: bool(v['authenticate-http-readonly'] as boolean),
      authenticateHttpReadwrite: bool(v['authenticate-http-readwrite'] as boolean),
      authenticateHttpFrameworks: bool(v['authenticate-http-frameworks'] as boolean),
      ...(credentialsFile !== undefined ? { credentialsFile } : {}),
      ...(aclsFile !== undefined ? { aclsFile } : {}),
    },
    log,
    { routes: replayRoutes },
  );
  if (security.acls !== null && security.acls.ignored.length > 0) {
    log.warn({ actions: security.acls.ignored }, 'these ACL actions are accepted but not enforced by this master');
  }
  process.stdout.write(`master listening on ${master.url}\n`);
  onShutdown(async () => master.stop());
}

/** `eng=2,ops=0.5` (Mesos's --weights). */
export function parseWeights(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (text === undefined || text.trim() === '') return out;
  for (const part of text.split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*([0-9.eE+-]+)\s*$/.exec(part);
    if (m === null) throw new FlagError(`--weights: "${part}" is not role=weight (e.g. eng=2,ops=0.5)`);
    const [, role, w] = m as unknown as [string, string, string];
    const why = roleError(role);
    if (why !== undefined) throw new FlagError(`--weights: ${why}`);
    const weight = Number(w);
    if (!(weight > 0) || !Number.isFinite(weight)) throw new FlagError(`--weights: the weight of ${role} must be a positive number (got ${w})`);
    out[role] = weight;
  }
  return out;
}

/** `a,b,c` → the role whitelist (absent: any role). */
export function parseRoleList(text: string | undefined): string[] | null {
  if (text === undefined || text.trim() === '') return null;
  const roles = text.split(',').map((r) => r.trim()).filter((r) => r !== '');
  for (const r of roles) {
    const why = roleError(r);
    if (why !== undefined) throw new FlagError(`--roles: ${why}`);
  }
  return roles;
}

/** `cpus:0.01|mem:32` → alternatives, each a set of quantities (Mesos's --min_allocatable_resources). */
export function parseMinAllocatable(text: string): Record<string, number>[] {
  if (text.trim() === '') return [];
  return text.split('|').map((alt) => {
    const rec: Record<string, number> = {};
    for (const q of alt.split(';')) {
      const m = /^\s*([A-Za-z0-9_.-]+)\s*:\s*([0-9.]+)\s*$/.exec(q);
      if (m === null) throw new FlagError(`--min-allocatable-resources: "${q}" is not name:quantity (e.g. cpus:0.01|mem:32)`);
      rec[m[1]!] = Number(m[2]);
    }
    return rec;
  });
}
