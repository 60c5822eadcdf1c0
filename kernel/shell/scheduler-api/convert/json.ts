/** The Mesos scheduler API's JSON and ours: outbound JSON shapes (see index.ts). */
import { type FrameworkCapability, type TaskStatus } from '../../../../events/index.js';
import { type MesosCheckStatusJson } from '../checks.js';

export interface MesosIdJson {
  value: string;
}
export interface MesosLabelsJson {
  labels: { key: string; value: string }[];
}
export interface MesosReservationJson {
  type: 'STATIC' | 'DYNAMIC';
  role: string;
  principal?: string;
  labels?: MesosLabelsJson;
}
/** Pre-refinement `Resource.reservation` (a dynamic reservation next to `role`). */
export interface MesosLegacyReservationJson {
  principal?: string;
  labels?: MesosLabelsJson;
}
export interface MesosResourceJson {
  name: string;
  type: 'SCALAR' | 'RANGES' | 'SET';
  scalar?: { value: number };
  ranges?: { range: { begin: number; end: number }[] };
  set?: { item: string[] };
  role?: string;
  allocation_info?: { role: string };
  reservation?: MesosLegacyReservationJson;
  reservations?: MesosReservationJson[];
  disk?: MesosDiskJson;
}
/** Resource.DiskInfo of a persistent volume. */
export interface MesosDiskJson {
  persistence?: { id: string; principal?: string };
  volume?: { container_path: string; mode: 'RW' | 'RO' };
}
export type MesosAttributeJson =
  | { name: string; type: 'TEXT'; text: { value: string } }
  | { name: string; type: 'SCALAR'; scalar: { value: number } }
  | { name: string; type: 'RANGES'; ranges: { range: { begin: number; end: number }[] } }
  | { name: string; type: 'SET'; set: { item: string[] } };
export interface MesosAddressJson {
  hostname?: string;
  ip?: string;
  port: number;
}
export interface MesosOfferJson {
  id: MesosIdJson;
  framework_id: MesosIdJson;
  agent_id: MesosIdJson;
  hostname: string;
  url?: { scheme: string; address: MesosAddressJson; path: string };
  resources: MesosResourceJson[];
  attributes?: MesosAttributeJson[];
  unavailability?: MesosUnavailabilityJson;
  allocation_info: { role: string };
}
export interface MesosUnavailabilityJson {
  start: { nanoseconds: number };
  duration?: { nanoseconds: number };
}
export interface MesosInverseOfferJson {
  id: MesosIdJson;
  framework_id: MesosIdJson;
  agent_id: MesosIdJson;
  url?: { scheme: string; address: MesosAddressJson; path: string };
  unavailability: MesosUnavailabilityJson;
}

/** Milliseconds as Mesos's TimeInfo/DurationInfo nanoseconds. */
export interface MesosTaskStatusJson {
  task_id: MesosIdJson;
  state: TaskStatus['state'];
  message?: string;
  source: TaskStatus['source'];
  reason?: NonNullable<TaskStatus['reason']>;
  /** Absent only in a reconciliation answer about an unknown task asked about without an agent. */
  agent_id?: MesosIdJson;
  executor_id?: MesosIdJson;
  /** Seconds since the epoch. */
  timestamp: number;
  /** base64 of the 16 raw uuid bytes; present when the update must be acknowledged. */
  uuid?: string;
  healthy?: boolean;
  check_status?: MesosCheckStatusJson;
  container_status?: { container_id: MesosIdJson };
}
export interface MesosFrameworkInfoJson {
  user: string;
  name: string;
  id: MesosIdJson;
  failover_timeout: number;
  checkpoint: boolean;
  role?: string;
  roles?: string[];
  hostname?: string;
  principal?: string;
  webui_url?: string;
  capabilities?: { type: FrameworkCapability }[];
  labels?: MesosLabelsJson;
}
export interface MesosMasterInfoJson {
  id: string;
  /** The IPv4 address packed as Mesos does (see ipToUint32). */
  ip: number;
  port: number;
  pid: string;
  hostname: string;
  version: string;
  address: MesosAddressJson;
  capabilities?: { type: string }[];
}

export type MesosEvent =
  | {
      type: 'SUBSCRIBED';
      subscribed: { framework_id: MesosIdJson; heartbeat_interval_seconds: number; master_info: MesosMasterInfoJson };
    }
  | { type: 'OFFERS'; offers: { offers: MesosOfferJson[] } }
  | { type: 'INVERSE_OFFERS'; inverse_offers: { inverse_offers: MesosInverseOfferJson[] } }
  | { type: 'RESCIND_INVERSE_OFFER'; rescind_inverse_offer: { inverse_offer_id: MesosIdJson } }
  | { type: 'RESCIND'; rescind: { offer_id: MesosIdJson } }
  | { type: 'UPDATE'; update: { status: MesosTaskStatusJson } }
  | { type: 'MESSAGE'; message: { agent_id: MesosIdJson; executor_id: MesosIdJson; data: string } }
  | { type: 'FAILURE'; failure: { agent_id?: MesosIdJson; executor_id?: MesosIdJson; status?: number } }
  | { type: 'ERROR'; error: { message: string } }
  | { type: 'HEARTBEAT' };
