/**
 * Test builders for cluster events, so that kernel tests read as
 *   given(events) → when(event) → then(state / outbox / offers).
 *
 * Every builder returns a validated event (codec `validate`, so schema defaults apply). Ids and
 * times increment by default (`e1`, `e2`, …; T0 + 1 s per event) and can be overridden. Resources
 * may be given in the text form (`cpus:4;mem:4096;ports:[31000-32000]`) or as a list.
 * Call `resetIds()` (e.g. in `test.before.each`) to make ids and times start over.
 */
import {
  type CheckStatusInfo,
  CheckInfo,
  HealthCheck,
  type ClusterEvent,
  type ClusterEventInput,
  type Draft,
  type EventOf,
  type Resource,
  type Resources,
  type TaskStateName,
  type StatusReason,
  type FrameworkCapability as FrameworkCapabilitySchema,
  type Attribute as AttributeSchema,
  type Operation as OperationSchema,
  EVENT_VERSIONS,
  refuseFilter,
  validate,
} from '../../events/index.js';
import { parseResources } from '../../kernel/core/resources.js';
import { evolve, foldAll } from '../../kernel/core/fold/index.js';
import type { State } from '../../kernel/core/state.js';
import type { z } from 'zod';

/** The time of the first event built after `resetIds()`. */
export const T0 = 1_700_000_000_000;
/** Default spacing of event times. */
export const STEP = 1_000;

let counter = 0;
let lastTime = T0;

/** Start ids and times over (e1 at T0 + STEP). */
export function resetIds(): void {
  counter = 0;
  lastTime = T0;
}

/** The time carried by the most recently built event. */
export const lastEventTime = (): number => lastTime;

function stamp(o: { id?: string | undefined; time?: number | undefined }): { schemaVersion: 1; id: string; time: number } {
  counter++;
  const time = o.time ?? T0 + counter * STEP;
  lastTime = time;
  return { schemaVersion: 1, id: o.id ?? `e${counter}`, time };
}

/** Build and validate; throws (CodecError INVALID_EVENT) on a malformed builder call. */
function build<T extends ClusterEvent['type']>(input: ClusterEventInput & { type: T }): EventOf<T> {
  return validate(input) as EventOf<T>;
}

export type ResourcesArg = string | Resources;
/** Resources from the text form (or a list), as a fresh mutable list. */
export const res = (r: ResourcesArg): Resource[] => [...(typeof r === 'string' ? parseResources(r) : r)];

interface Env {
  id?: string;
  time?: number;
}
interface Decision extends Env {
  epoch?: number;
}

/** Epoch used by decision builders when none is given. */
export let defaultEpoch = 1;
export function setDefaultEpoch(epoch: number): void {
  defaultEpoch = epoch;
}

// ------------------------------------------------------------------------------------------------
// Agents

export interface AgentArgs extends Env {
  agentId: string;
  resources?: ResourcesArg;
  hostname?: string;
  port?: number;
  attributes?: z.input<typeof AttributeSchema>[];
}

const agentInfo = (a: AgentArgs) => ({
  agentId: a.agentId,
  hostname: a.hostname ?? `${a.agentId}.local`,
  port: a.port ?? 5051,
  resources: res(a.resources ?? 'cpus:4;mem:4096'),
  ...(a.attributes !== undefined ? { attributes: a.attributes } : {}),
  version: 'test',
  isolation: 'posix',
});

export const agentRegistered = (a: AgentArgs): EventOf<'AgentRegistered'> =>
  build({ type: 'AgentRegistered', ...stamp(a), ...agentInfo(a) });

export interface ReregisterArgs extends AgentArgs {
  tasks?: { frameworkId: string; taskId: string; state: TaskStateName | ShortState }[];
  lastCommandSeq?: number;
}
export const agentReregistered = (a: ReregisterArgs): EventOf<'AgentReregistered'> =>
  build({
    type: 'AgentReregistered',
    ...stamp(a),
    ...agentInfo(a),
    tasks: (a.tasks ?? []).map((t) => ({ ...t, state: fullState(t.state) })),
    lastCommandSeq: a.lastCommandSeq ?? 0,
  });

export const agentDisconnected = (a: Env & { agentId: string }): EventOf<'AgentDisconnected'> =>
  build({ type: 'AgentDisconnected', ...stamp(a), agentId: a.agentId });

export const agentRemoved = (
  a: Decision & { agentId: string; reason?: 'UNREACHABLE' | 'OPERATOR' },
): EventOf<'AgentRemoved'> =>
  build({ type: 'AgentRemoved', ...stamp(a), epoch: a.epoch ?? defaultEpoch, agentId: a.agentId, reason: a.reason ?? 'UNREACHABLE' });

// ------------------------------------------------------------------------------------------------
// Frameworks

export interface FrameworkArgs extends Env {
  frameworkId: string;
  name?: string;
  user?: string;
  roles?: string[];
  capabilities?: FrameworkCapability[];
  checkpoint?: boolean;
  failoverTimeoutMs?: number;
  principal?: string;
  suppressedRoles?: string[];
}
type FrameworkCapability = z.infer<typeof FrameworkCapabilitySchema>;

export const frameworkSubscribed = (f: FrameworkArgs): EventOf<'FrameworkSubscribed'> =>
  build({
    type: 'FrameworkSubscribed',
    ...stamp(f),
    frameworkId: f.frameworkId,
    info: {
      name: f.name ?? `fw ${f.frameworkId}`,
      user: f.user ?? 'tester',
      ...(f.roles !== undefined ? { roles: f.roles } : {}),
      ...(f.capabilities !== undefined ? { capabilities: f.capabilities } : {}),
      ...(f.checkpoint !== undefined ? { checkpoint: f.checkpoint } : {}),
      ...(f.failoverTimeoutMs !== undefined ? { failoverTimeoutMs: f.failoverTimeoutMs } : {}),
      ...(f.principal !== undefined ? { principal: f.principal } : {}),
    },
    ...(f.suppressedRoles !== undefined ? { suppressedRoles: f.suppressedRoles } : {}),
  });

export const frameworkDisconnected = (f: Decision & { frameworkId: string }): EventOf<'FrameworkDisconnected'> =>
  build({ type: 'FrameworkDisconnected', ...stamp(f), epoch: f.epoch ?? defaultEpoch, frameworkId: f.frameworkId });

export const frameworkRemoved = (
  f: Decision & { frameworkId: string; reason?: 'TEARDOWN' | 'FAILOVER_TIMEOUT' | 'OPERATOR' },
): EventOf<'FrameworkRemoved'> =>
  build({
    type: 'FrameworkRemoved',
    ...stamp(f),
    ...(f.epoch !== undefined ? { epoch: f.epoch } : {}),
    frameworkId: f.frameworkId,
    reason: f.reason ?? 'TEARDOWN',
  });

export const suppressed = (f: Env & { frameworkId: string; roles?: string[] }): EventOf<'OffersSuppressed'> =>
  build({ type: 'OffersSuppressed', ...stamp(f), frameworkId: f.frameworkId, ...(f.roles !== undefined ? { roles: f.roles } : {}) });

export const revived = (f: Env & { frameworkId: string; roles?: string[] }): EventOf<'OffersRevived'> =>
  build({ type: 'OffersRevived', ...stamp(f), frameworkId: f.frameworkId, ...(f.roles !== undefined ? { roles: f.roles } : {}) });

// ------------------------------------------------------------------------------------------------
// Leadership and offers

/** An election as leaders write it now (offers KEPT); `offers: null` writes it as older builds did (no field: offers rescinded). */
export const leaderElected = (epoch: number, o: Env & { masterId?: string; offers?: 'KEPT' | 'RESCINDED' | null } = {}): EventOf<'LeaderElected'> =>
  build({
    type: 'LeaderElected',
    ...stamp(o),
    epoch,
    masterId: o.masterId ?? `master-${epoch}`,
    hostname: 'master.local',
    ip: '127.0.0.1',
    port: 5050,
    ...(o.offers === null ? {} : { offers: o.offers ?? 'KEPT' }),
  });

export interface OfferArgs {
  offerId: string;
  agentId: string;
  resources: ResourcesArg;
  hostname?: string;
  role?: string;
  expiresAt?: number;
}

/** One offer (`offerId`, `agentId`, `resources`) or several (`offers`). */
export const offersCreated = (
  o: Decision & { frameworkId: string } & ({ offers: OfferArgs[] } | OfferArgs),
): EventOf<'OffersCreated'> => {
  const list: OfferArgs[] = 'offers' in o ? o.offers : [o];
  return build({
    type: 'OffersCreated',
    ...stamp(o),
    epoch: o.epoch ?? defaultEpoch,
    frameworkId: o.frameworkId,
    offers: list.map((x) => ({
      offerId: x.offerId,
      agentId: x.agentId,
      hostname: x.hostname ?? `${x.agentId}.local`,
      role: x.role ?? '*',
      resources: res(x.resources),
      ...(x.expiresAt !== undefined ? { expiresAt: x.expiresAt } : {}),
    })),
  });
};

export const offersRescinded = (
  o: Decision & { frameworkId: string; offerIds: string[]; reason?: 'EXPIRED' | 'AGENT_GONE' | 'LEADER_CHANGED' | 'FRAMEWORK_GONE' },
): EventOf<'OffersRescinded'> =>
  build({
    type: 'OffersRescinded',
    ...stamp(o),
    epoch: o.epoch ?? defaultEpoch,
    frameworkId: o.frameworkId,
    offerIds: o.offerIds,
    reason: o.reason ?? 'EXPIRED',
  });

export interface TaskArgs {
  taskId: string;
  agentId: string;
  resources: ResourcesArg;
  name?: string;
  command?: string;
  killGracePeriodMs?: number;
  /** A HealthCheck / CheckInfo in its input form (defaults are applied when the event is built). */
  healthCheck?: z.input<typeof HealthCheck>;
  check?: z.input<typeof CheckInfo>;
}

export const taskInfo = (t: TaskArgs) => ({
  taskId: t.taskId,
  name: t.name ?? t.taskId,
  agentId: t.agentId,
  resources: res(t.resources),
  command: { value: t.command ?? 'sleep 10' },
  ...(t.killGracePeriodMs !== undefined ? { killGracePeriodMs: t.killGracePeriodMs } : {}),
  ...(t.healthCheck !== undefined ? { healthCheck: t.healthCheck } : {}),
  ...(t.check !== undefined ? { check: t.check } : {}),
});

/** An accept with one LAUNCH operation holding `tasks` (none: a plain accept that launches nothing). */
export const accepted = (
  a: Env & { frameworkId: string; offerIds: string[]; tasks?: TaskArgs[]; refuseSeconds?: number },
): EventOf<'OffersAccepted'> =>
  build({
    type: 'OffersAccepted',
    ...stamp(a),
    schemaVersion: EVENT_VERSIONS.OffersAccepted,
    frameworkId: a.frameworkId,
    offerIds: a.offerIds,
    operations: a.tasks !== undefined && a.tasks.length > 0 ? [{ type: 'LAUNCH', tasks: a.tasks.map(taskInfo) }] : [],
    filters: refuseFilter(a.refuseSeconds),
  });

/** An accept with any operations (RESERVE, CREATE, LAUNCH, …), in the event's own shape. */
export const acceptedOps = (
  a: Env & { frameworkId: string; offerIds: string[]; operations: z.input<typeof OperationSchema>[]; refuseSeconds?: number },
): EventOf<'OffersAccepted'> =>
  build({
    type: 'OffersAccepted',
    ...stamp(a),
    schemaVersion: EVENT_VERSIONS.OffersAccepted,
    frameworkId: a.frameworkId,
    offerIds: a.offerIds,
    operations: a.operations,
    filters: refuseFilter(a.refuseSeconds),
  });

export const declined = (d: Env & { frameworkId: string; offerIds: string[]; refuseSeconds?: number }): EventOf<'OffersDeclined'> =>
  build({
    type: 'OffersDeclined',
    ...stamp(d),
    schemaVersion: EVENT_VERSIONS.OffersDeclined,
    frameworkId: d.frameworkId,
    offerIds: d.offerIds,
    filters: refuseFilter(d.refuseSeconds),
  });

// ------------------------------------------------------------------------------------------------
// Tasks

type ShortState = TaskStateName extends `TASK_${infer S}` ? S : never;
const fullState = (s: TaskStateName | ShortState): TaskStateName => (s.startsWith('TASK_') ? s : `TASK_${s}`) as TaskStateName;

export interface StatusArgs extends Env {
  frameworkId: string;
  agentId: string;
  taskId: string;
  /** `RUNNING` or `TASK_RUNNING`. */
  state: TaskStateName | ShortState;
  uuid?: string;
  reason?: StatusReason;
  source?: 'SOURCE_MASTER' | 'SOURCE_AGENT' | 'SOURCE_EXECUTOR';
  message?: string;
  /** Present: the leader's notice (epoch); absent: the agent's report. */
  epoch?: number;
  containerId?: string;
  healthy?: boolean;
  checkStatus?: CheckStatusInfo;
}

export const status = (s: StatusArgs): EventOf<'TaskStatusUpdated'> => {
  const env = stamp(s);
  return build({
    type: 'TaskStatusUpdated',
    ...env,
    ...(s.epoch !== undefined ? { epoch: s.epoch } : {}),
    status: {
      agentId: s.agentId,
      frameworkId: s.frameworkId,
      taskId: s.taskId,
      state: fullState(s.state),
      source: s.source ?? 'SOURCE_EXECUTOR',
      timestamp: env.time,
      ...(s.uuid !== undefined ? { uuid: s.uuid } : {}),
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      ...(s.message !== undefined ? { message: s.message } : {}),
      ...(s.containerId !== undefined ? { containerId: s.containerId } : {}),
      ...(s.healthy !== undefined ? { healthy: s.healthy } : {}),
      ...(s.checkStatus !== undefined ? { checkStatus: s.checkStatus } : {}),
    },
  });
};

export const ack = (a: Env & { frameworkId: string; agentId: string; taskId: string; uuid: string }): EventOf<'StatusAcknowledged'> =>
  build({ type: 'StatusAcknowledged', ...stamp(a), frameworkId: a.frameworkId, agentId: a.agentId, taskId: a.taskId, uuid: a.uuid });

export const killRequested = (
  k: Env & { frameworkId: string; taskId: string; agentId?: string; gracePeriodMs?: number },
): EventOf<'TaskKillRequested'> =>
  build({
    type: 'TaskKillRequested',
    ...stamp(k),
    frameworkId: k.frameworkId,
    taskId: k.taskId,
    ...(k.agentId !== undefined ? { agentId: k.agentId } : {}),
    ...(k.gracePeriodMs !== undefined ? { gracePeriodMs: k.gracePeriodMs } : {}),
  });

// ------------------------------------------------------------------------------------------------
// Allocation: weights, quota, settings, reservations, maintenance, demand

export const weightsUpdated = (w: Env & { weights: Record<string, number>; source?: 'OPERATOR' | 'FLAG' }): EventOf<'WeightsUpdated'> =>
  build({ type: 'WeightsUpdated', ...stamp(w), weights: Object.entries(w.weights).map(([role, weight]) => ({ role, weight })), ...(w.source ? { source: w.source } : {}) });

export interface QuotaArgs {
  role: string;
  guarantees?: Record<string, number>;
  limits?: Record<string, number>;
}
export const quotaUpdated = (q: Env & { configs: QuotaArgs[]; force?: boolean }): EventOf<'QuotaUpdated'> =>
  build({ type: 'QuotaUpdated', ...stamp(q), configs: q.configs.map((c) => ({ role: c.role, guarantees: c.guarantees ?? {}, limits: c.limits ?? {} })), force: q.force ?? false });

export const allocatorConfigured = (
  c: Decision & { minAllocatable?: Record<string, number>[]; filterGpuResources?: boolean; roleWhitelist?: string[] | null },
): EventOf<'AllocatorConfigured'> =>
  build({
    type: 'AllocatorConfigured',
    ...stamp(c),
    epoch: c.epoch ?? defaultEpoch,
    minAllocatable: c.minAllocatable ?? [{ cpus: 0.01 }, { mem: 32 }],
    filterGpuResources: c.filterGpuResources ?? true,
    roleWhitelist: c.roleWhitelist ?? null,
  });

export const reserved = (r: Env & { agentId: string; resources: ResourcesArg; source?: ResourcesArg; principal?: string }): EventOf<'ResourcesReserved'> =>
  build({
    type: 'ResourcesReserved',
    ...stamp(r),
    agentId: r.agentId,
    resources: res(r.resources),
    ...(r.source !== undefined ? { source: res(r.source) } : {}),
    ...(r.principal !== undefined ? { principal: r.principal } : {}),
  });
export const unreserved = (r: Env & { agentId: string; resources: ResourcesArg }): EventOf<'ResourcesUnreserved'> =>
  build({ type: 'ResourcesUnreserved', ...stamp(r), agentId: r.agentId, resources: res(r.resources) });
export const volumesCreated = (r: Env & { agentId: string; volumes: ResourcesArg }): EventOf<'VolumesCreated'> =>
  build({ type: 'VolumesCreated', ...stamp(r), agentId: r.agentId, volumes: res(r.volumes) });
export const volumesDestroyed = (r: Env & { agentId: string; volumes: ResourcesArg }): EventOf<'VolumesDestroyed'> =>
  build({ type: 'VolumesDestroyed', ...stamp(r), agentId: r.agentId, volumes: res(r.volumes) });

/** A dynamic reservation of `text` (e.g. `cpus:2;mem:512`) for `role`, as a resource list. */
export function dynamicFor(role: string, text: string, principal?: string): Resource[] {
  return res(text).map((r) => ({ ...r, reservations: [...(r.reservations ?? []), { type: 'DYNAMIC' as const, role, ...(principal ? { principal } : {}) }] }));
}

export interface MachineArgs {
  hostname?: string;
  ip?: string;
}
export const maintenanceSchedule = (m: Env & { windows: { machines: MachineArgs[]; start: number; durationMs?: number }[] }): EventOf<'MaintenanceScheduleUpdated'> =>
  build({
    type: 'MaintenanceScheduleUpdated',
    ...stamp(m),
    windows: m.windows.map((w) => ({ machines: w.machines, unavailability: { start: w.start, ...(w.durationMs !== undefined ? { durationMs: w.durationMs } : {}) } })),
  });
export const maintenanceStarted = (m: Env & { machines: MachineArgs[] }): EventOf<'MaintenanceStarted'> => build({ type: 'MaintenanceStarted', ...stamp(m), machines: m.machines });
export const maintenanceStopped = (m: Env & { machines: MachineArgs[] }): EventOf<'MaintenanceStopped'> => build({ type: 'MaintenanceStopped', ...stamp(m), machines: m.machines });

export const drainStarted = (d: Env & { agentId: string; maxGracePeriodMs?: number; markGone?: boolean }): EventOf<'AgentDrainStarted'> =>
  build({
    type: 'AgentDrainStarted',
    ...stamp(d),
    agentId: d.agentId,
    ...(d.maxGracePeriodMs !== undefined ? { maxGracePeriodMs: d.maxGracePeriodMs } : {}),
    markGone: d.markGone ?? false,
  });
export const agentDeactivated = (d: Env & { agentId: string }): EventOf<'AgentDeactivated'> => build({ type: 'AgentDeactivated', ...stamp(d), agentId: d.agentId });
export const agentReactivated = (d: Env & { agentId: string }): EventOf<'AgentReactivated'> => build({ type: 'AgentReactivated', ...stamp(d), agentId: d.agentId });

export const inverseOffersCreated = (
  i: Decision & { frameworkId: string; offers: { inverseOfferId: string; agentId: string; start: number; durationMs?: number }[] },
): EventOf<'InverseOffersCreated'> =>
  build({
    type: 'InverseOffersCreated',
    ...stamp(i),
    epoch: i.epoch ?? defaultEpoch,
    frameworkId: i.frameworkId,
    inverseOffers: i.offers.map((o) => ({
      inverseOfferId: o.inverseOfferId,
      agentId: o.agentId,
      hostname: `${o.agentId}.local`,
      unavailability: { start: o.start, ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}) },
    })),
  });
export const inverseOffersRescinded = (i: Decision & { frameworkId: string; inverseOfferIds: string[] }): EventOf<'InverseOffersRescinded'> =>
  build({ type: 'InverseOffersRescinded', ...stamp(i), epoch: i.epoch ?? defaultEpoch, frameworkId: i.frameworkId, inverseOfferIds: i.inverseOfferIds });
export const inverseOffersAccepted = (i: Env & { frameworkId: string; inverseOfferIds: string[] }): EventOf<'InverseOffersAccepted'> =>
  build({ type: 'InverseOffersAccepted', ...stamp(i), frameworkId: i.frameworkId, inverseOfferIds: i.inverseOfferIds });
export const inverseOffersDeclined = (i: Env & { frameworkId: string; inverseOfferIds: string[]; refuseSeconds?: number }): EventOf<'InverseOffersDeclined'> =>
  build({ type: 'InverseOffersDeclined', ...stamp(i), frameworkId: i.frameworkId, inverseOfferIds: i.inverseOfferIds, filters: refuseFilter(i.refuseSeconds) });

export const requested = (
  r: Env & { frameworkId: string; requests: { name?: string; role?: string; agentId?: string; resources: ResourcesArg }[] },
): EventOf<'ResourcesRequested'> =>
  build({
    type: 'ResourcesRequested',
    ...stamp(r),
    frameworkId: r.frameworkId,
    requests: r.requests.map((q) => ({
      ...(q.name !== undefined ? { name: q.name } : {}),
      ...(q.role !== undefined ? { role: q.role } : {}),
      ...(q.agentId !== undefined ? { agentId: q.agentId } : {}),
      resources: res(q.resources),
    })),
  });
export const demandUnmet = (
  d: Decision & { frameworkId: string; reasons: { code: string; message: string; role?: string; demand?: string }[] },
): EventOf<'DemandUnmet'> =>
  build({ type: 'DemandUnmet', ...stamp(d), epoch: d.epoch ?? defaultEpoch, frameworkId: d.frameworkId, reasons: d.reasons as EventOf<'DemandUnmet'>['reasons'] });

// ------------------------------------------------------------------------------------------------
// The leader sends what it owes

/** Stamp an outbox draft as the leader would when appending it (same id, the given epoch). */
export function sent<D extends Draft>(draft: D, epoch: number = defaultEpoch, o: { time?: number } = {}): ClusterEvent {
  counter++;
  const time = o.time ?? T0 + counter * STEP;
  lastTime = time;
  return validate({ ...(draft as object), schemaVersion: EVENT_VERSIONS[draft.type], time, epoch } as ClusterEventInput);
}

// ------------------------------------------------------------------------------------------------
// given / when

/** Fold `events` from the initial state. */
export const given = (...events: ClusterEvent[]): State => foldAll(events);
/** Fold more events into `state` (in place) and return it. */
export function when(state: State, ...events: ClusterEvent[]): State {
  let s = state;
  for (const e of events) s = evolve(s, e);
  return s;
}

/** The outbox drafts of one type, in insertion order. */
export function owed<T extends Draft['type']>(state: State, type: T): Extract<Draft, { type: T }>[] {
  return [...state.outbox.values()].filter((d): d is Extract<Draft, { type: T }> => d.type === type);
}

/**
 * A canonical JSON form of any value holding Maps and Sets (Maps as sorted [key, value] pairs,
 * Sets as sorted arrays, object keys sorted), for deep comparison of states.
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(canon(v));
}

function canon(v: unknown): unknown {
  if (v instanceof Map) {
    return { $map: [...v.entries()].map(([k, x]) => [canon(k), canon(x)] as const).sort(cmpEntries) };
  }
  if (v instanceof Set) {
    return { $set: [...v].map(canon).sort((a, b) => cmp(JSON.stringify(a), JSON.stringify(b))) };
  }
  if (Array.isArray(v)) return v.map(canon);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canon(x);
    }
    return out;
  }
  return v;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const cmpEntries = (a: readonly [unknown, unknown], b: readonly [unknown, unknown]): number =>
  cmp(JSON.stringify(a[0]), JSON.stringify(b[0]));
