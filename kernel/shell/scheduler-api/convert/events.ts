/** The Mesos scheduler API's JSON and ours: events on the SUBSCRIBE stream (see index.ts). */
import { type TaskStatus } from '../../../../events/index.js';
import { id } from './common.js';
import { MesosEvent, MesosMasterInfoJson, MesosOfferJson } from './json.js';
import { statusToMesos } from './statuses.js';

/**
 * An IPv4 address as MasterInfo.ip: the four bytes in network order, read as a little-endian
 * uint32 (127.0.0.1 → 16777343). Throws on anything that is not a dotted-quad IPv4 address.
 */
export function ipToUint32(ip: string): number {
  const parts = ip.split('.');
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  if (bytes.length !== 4 || bytes.some((b) => !(b >= 0 && b <= 255))) {
    throw new RangeError(`not an IPv4 address: '${ip}'`);
  }
  const [a, b, c, d] = bytes as [number, number, number, number];
  return (a | (b << 8) | (c << 16) | (d << 24)) >>> 0;
}

export interface MasterIdentityForMesos {
  readonly id: string;
  readonly hostname: string;
  /** IPv4 address of the master's HTTP API. */
  readonly ip: string;
  readonly port: number;
  readonly version: string;
  /** MasterInfo capabilities to advertise (Mesos 1.12 sends AGENT_UPDATE, AGENT_DRAINING, QUOTA_V2). */
  readonly capabilities?: readonly string[];
}

export function masterInfoToMesos(m: MasterIdentityForMesos): MesosMasterInfoJson {
  return {
    id: m.id,
    ip: ipToUint32(m.ip),
    port: m.port,
    pid: `master@${m.ip}:${m.port}`,
    hostname: m.hostname,
    version: m.version,
    address: { hostname: m.hostname, ip: m.ip, port: m.port },
    ...(m.capabilities !== undefined && m.capabilities.length > 0
      ? { capabilities: m.capabilities.map((type) => ({ type })) }
      : {}),
  };
}

export function subscribedEvent(
  frameworkId: string,
  heartbeatIntervalSeconds: number,
  master: MasterIdentityForMesos,
): MesosEvent {
  return {
    type: 'SUBSCRIBED',
    subscribed: {
      framework_id: id(frameworkId),
      heartbeat_interval_seconds: heartbeatIntervalSeconds,
      master_info: masterInfoToMesos(master),
    },
  };
}

export const offersEvent = (offers: MesosOfferJson[]): MesosEvent => ({ type: 'OFFERS', offers: { offers } });

export const rescindEvent = (offerId: string): MesosEvent => ({ type: 'RESCIND', rescind: { offer_id: id(offerId) } });

export const updateEvent = (status: TaskStatus, partitionAware = true): MesosEvent => ({
  type: 'UPDATE',
  update: { status: statusToMesos(status, partitionAware) },
});

export const errorEvent = (message: string): MesosEvent => ({ type: 'ERROR', error: { message } });

export const heartbeatEvent = (): MesosEvent => ({ type: 'HEARTBEAT' });

/** An executor or agent failed; `status` is the raw wait status of the executor, when known. */
export function failureEvent(f: { agentId?: string; executorId?: string; status?: number }): MesosEvent {
  return {
    type: 'FAILURE',
    failure: {
      ...(f.agentId !== undefined ? { agent_id: id(f.agentId) } : {}),
      ...(f.executorId !== undefined ? { executor_id: id(f.executorId) } : {}),
      ...(f.status !== undefined ? { status: f.status } : {}),
    },
  };
}

/** A framework message from an executor; `data` is raw bytes (sent base64-encoded). */
export function messageEvent(agentId: string, executorId: string, data: Uint8Array): MesosEvent {
  return {
    type: 'MESSAGE',
    message: { agent_id: id(agentId), executor_id: id(executorId), data: Buffer.from(data).toString('base64') },
  };
}
