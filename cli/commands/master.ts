import { startMaster } from '../../kernel/master/index.js';
import { type FlagSpec, num, str } from '../flags.js';
import { createLogger } from '../log.js';
import { LOG_LEVEL_FLAG, NATS_FLAG, onShutdown } from './common.js';

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
  { name: 'stream-replicas', type: 'int', default: 1, help: 'Replicas of the cluster stream when the master creates it (3 on a 3-node NATS cluster)' },
  LOG_LEVEL_FLAG,
];

export async function runMaster(v: Readonly<Record<string, unknown>>): Promise<void> {
  const log = createLogger(str(v['log-level'] as string) ?? 'info', 'mesos-master');
  const hostname = str(v.hostname as string);
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
      snapshotEveryEvents: v['snapshot-every'] as number,
      snapshotHistory: v['snapshot-history'] as number,
      maxBodyBytes: v['max-body-bytes'] as number,
      statusUpdateRetryMinMs: v['status-update-retry-min'] as number,
      statusUpdateRetryMaxMs: v['status-update-retry-max'] as number,
    },
    log,
  );
  process.stdout.write(`master listening on ${master.url}\n`);
  onShutdown(async () => master.stop());
}
