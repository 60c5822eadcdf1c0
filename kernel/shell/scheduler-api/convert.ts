/**
 * Pure conversions between the Mesos v1 scheduler API's JSON (wire.ts parses it) and the kernel's
 * event shapes (events/catalogue.ts), both ways, plus builders for the Mesos events sent on a
 * SUBSCRIBE stream.
 *
 * Inbound (Mesos → ours) conversions return `{ ok: false, error }` with a plain-text reason for
 * anything the kernel cannot honour, rather than dropping it silently. Outbound JSON follows what
 * a real master writes: fields in .proto declaration order, empty repeated fields left out, unset
 * optional fields left out.
 */
import { z } from 'zod';
import {
  type CommandUri,
  type ContainerSettings,
  FrameworkId,
  FrameworkInfo,
  GroupExecutor,
  type FrameworkCapability,
  type Attribute,
  type DiskInfo,
  type Reservation,
  type Resource,
  Resources,
  TaskInfo,
  type ReconciledStatus,
  type TaskStatus,
  idError,
} from '../../../events/index.js';
import {
  type MesosContainerInfo,
  type MesosExecutorInfo,
  type MesosFrameworkInfo,
  type MesosLabels,
  type MesosResource,
  type MesosReservationInfo,
  type MesosSubscribe,
  type MesosTaskInfo,
  isBase64,
} from './wire.js';
import { type MesosCheckStatusJson, checkFromMesos, checkStatusToMesos, healthCheckFromMesos } from './checks.js';

// ---------------------------------------------------------------------------------------------
// Outbound JSON shapes

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
export const nanos = (ms: number): { nanoseconds: number } => ({ nanoseconds: Math.round(ms * 1e6) });

export function unavailabilityToMesos(u: { start: number; durationMs?: number | undefined }): MesosUnavailabilityJson {
  return { start: nanos(u.start), ...(u.durationMs !== undefined ? { duration: nanos(u.durationMs) } : {}) };
}
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

// ---------------------------------------------------------------------------------------------
// Small shared pieces

const id = (value: string): MesosIdJson => ({ value });

function labelsFromMesos(labels: MesosLabels | undefined): Record<string, string> | undefined {
  if (labels === undefined || labels.labels.length === 0) return undefined;
  return Object.fromEntries(labels.labels.map((l) => [l.key, l.value ?? '']));
}

function labelsToMesos(labels: Readonly<Record<string, string>> | undefined): MesosLabelsJson | undefined {
  if (labels === undefined) return undefined;
  const entries = Object.entries(labels);
  return entries.length === 0 ? undefined : { labels: entries.map(([key, value]) => ({ key, value })) };
}

/** Our zod issues as one line, e.g. "agentId: only letters, digits, …". */
function issuesText(error: z.ZodError, rename: Readonly<Record<string, string>> = {}): string {
  return error.issues
    .map((i) => {
      const path = i.path.map((p) => rename[String(p)] ?? String(p)).join('.');
      return path === '' ? i.message : `${path}: ${i.message}`;
    })
    .join('; ');
}

export { roleError } from '../../core/roles.js';
import { roleError } from '../../core/roles.js';

// ---------------------------------------------------------------------------------------------
// Resources

export type ResourcesResult = { readonly ok: true; readonly resources: Resources } | { readonly ok: false; readonly error: string };

/**
 * Mesos resources → ours. Accepts both reservation formats, as Mesos does: the pre-refinement one
 * (`role` other than "*" is a STATIC reservation, or a DYNAMIC one when `reservation` is set) and
 * the refinement one (`reservations[]`, optionally with a consistent `role`/`reservation`).
 * `allocation_info` is dropped (the gateway knows the allocation role from the offer).
 * Refuses what the kernel does not model: disk info (volumes, disk sources), revocable and shared
 * resources, resource providers, TEXT values.
 */
export function resourcesFromMesos(rs: readonly MesosResource[]): ResourcesResult {
  const out: Resource[] = [];
  for (const [i, r] of rs.entries()) {
    const converted = resourceFromMesos(r);
    if (typeof converted === 'string') return { ok: false, error: `resource ${i} ('${r.name}'): ${converted}` };
    out.push(converted);
  }
  const checked = Resources.safeParse(out);
  if (!checked.success) return { ok: false, error: `invalid resources: ${issuesText(checked.error)}` };
  return { ok: true, resources: checked.data };
}

const MesosDiskInfo = z.object({
  persistence: z.object({ id: z.string().min(1), principal: z.string().optional() }).optional(),
  volume: z
    .object({
      container_path: z.string().min(1),
      mode: z.enum(['RW', 'RO']),
      host_path: z.string().optional(),
      image: z.unknown().optional(),
      source: z.unknown().optional(),
    })
    .optional(),
  source: z.unknown().optional(),
});

/** Resource.disk → ours: persistent volumes only (no disk sources, host paths or images). */
function diskFromMesos(disk: Record<string, unknown>): DiskInfo | string {
  const d = MesosDiskInfo.safeParse(disk);
  if (!d.success) return `invalid disk info: ${issuesText(d.error)}`;
  if (d.data.source !== undefined) return 'disk sources (MOUNT, PATH, BLOCK, RAW disks) are not supported';
  const v = d.data.volume;
  if (v?.host_path !== undefined || v?.image !== undefined || v?.source !== undefined) return 'a persistent volume takes only container_path and mode (no host_path, image or source)';
  if (d.data.persistence === undefined) return v === undefined ? 'empty disk info' : "disk info with a volume needs 'persistence' (only persistent volumes are supported)";
  return {
    persistence: { id: d.data.persistence.id, ...(d.data.persistence.principal !== undefined ? { principal: d.data.persistence.principal } : {}) },
    ...(v !== undefined ? { volume: { containerPath: v.container_path, mode: v.mode } } : {}),
  };
}

function resourceFromMesos(r: MesosResource): Resource | string {
  if (r.provider_id !== undefined) return 'resources of resource providers are not supported';
  let disk: DiskInfo | undefined;
  if (r.disk !== undefined && Object.keys(r.disk).length > 0) {
    if (r.name !== 'disk' || r.type !== 'SCALAR') return 'disk info is only for disk resources';
    const d = diskFromMesos(r.disk);
    if (typeof d === 'string') return d;
    disk = d;
  }
  if (r.revocable !== undefined) return 'revocable resources are not supported';
  if (r.shared !== undefined) return 'shared resources are not supported';

  const reservations = reservationsFromMesos(r);
  if (typeof reservations === 'string') return reservations;
  const reserved = reservations.length > 0 ? { reservations } : {};

  switch (r.type) {
    case 'SCALAR':
      if (r.scalar === undefined || r.ranges !== undefined || r.set !== undefined) {
        return "a SCALAR resource needs 'scalar' (and no 'ranges' or 'set')";
      }
      if (!Number.isFinite(r.scalar.value) || r.scalar.value < 0) {
        return `invalid scalar value ${r.scalar.value} (must be finite and not negative)`;
      }
      return { name: r.name, type: 'SCALAR', scalar: r.scalar.value, ...reserved, ...(disk !== undefined ? { disk } : {}) };
    case 'RANGES':
      if (r.ranges === undefined || r.scalar !== undefined || r.set !== undefined) {
        return "a RANGES resource needs 'ranges' (and no 'scalar' or 'set')";
      }
      return { name: r.name, type: 'RANGES', ranges: r.ranges.range.map((x) => [x.begin, x.end]), ...reserved };
    case 'SET':
      if (r.set === undefined || r.scalar !== undefined || r.ranges !== undefined) {
        return "a SET resource needs 'set' (and no 'scalar' or 'ranges')";
      }
      return { name: r.name, type: 'SET', set: [...r.set.item], ...reserved };
    case 'TEXT':
      return 'TEXT is not a resource type (only SCALAR, RANGES and SET are)';
  }
}

function reservationInfoFromMesos(info: MesosReservationInfo, type: 'STATIC' | 'DYNAMIC', role: string): Reservation {
  const labels = labelsFromMesos(info.labels);
  return {
    type,
    role,
    ...(info.principal !== undefined ? { principal: info.principal } : {}),
    ...(labels !== undefined ? { labels } : {}),
  };
}

function reservationsFromMesos(r: MesosResource): Reservation[] | string {
  if (r.reservations.length === 0) {
    const role = r.role ?? '*';
    const bad = roleError(role);
    if (bad !== undefined) return bad;
    if (r.reservation !== undefined) {
      if (role === '*') return "invalid reservation: role '*' cannot be dynamically reserved";
      return [reservationInfoFromMesos(r.reservation, 'DYNAMIC', role)];
    }
    return role === '*' ? [] : [{ type: 'STATIC', role }];
  }

  const out: Reservation[] = [];
  for (const [i, info] of r.reservations.entries()) {
    if (info.type === 'UNKNOWN') return `invalid reservation ${i}: 'type' must be STATIC or DYNAMIC`;
    if (info.role === undefined) return `invalid reservation ${i}: 'role' must be set`;
    const bad = roleError(info.role);
    if (bad !== undefined) return `invalid reservation ${i}: ${bad}`;
    if (info.role === '*') return `invalid reservation ${i}: role '*' cannot be reserved`;
    const parent = out.at(-1);
    if (parent !== undefined) {
      if (info.type === 'STATIC') return `invalid refined reservation ${i}: a refined reservation cannot be STATIC`;
      if (!info.role.startsWith(`${parent.role}/`)) {
        return `invalid refined reservation ${i}: role '${info.role}' is not a refinement of '${parent.role}'`;
      }
    }
    out.push(reservationInfoFromMesos(info, info.type, info.role));
  }
  // The pre-refinement fields may accompany a single reservation if they agree with it.
  const only = out.length === 1 ? out[0] : undefined;
  if (only === undefined) {
    if (r.role !== undefined || r.reservation !== undefined) {
      return "'role' and 'reservation' must not be set when 'reservations' holds more than one reservation";
    }
  } else {
    if (r.role !== undefined && r.role !== only.role) {
      return `'role' ('${r.role}') does not match the role '${only.role}' in 'reservations'`;
    }
    if (only.type === 'STATIC' && r.reservation !== undefined) {
      return "'reservation' must not be set when the single reservation in 'reservations' is STATIC";
    }
    if (only.type === 'DYNAMIC' && r.reservation !== undefined && r.reservation.principal !== only.principal) {
      return "'reservation.principal' does not match the principal in 'reservations'";
    }
  }
  return out;
}

function reservationToMesos(res: Reservation): MesosReservationJson {
  const labels = labelsToMesos(res.labels);
  return {
    type: res.type,
    role: res.role,
    ...(res.principal !== undefined ? { principal: res.principal } : {}),
    ...(labels !== undefined ? { labels } : {}),
  };
}

/**
 * Ours → Mesos resources, readable by frameworks with or without RESERVATION_REFINEMENT and valid
 * to echo back in an ACCEPT: unreserved ones get `"role":"*"`; a single reservation gets both
 * formats (`role`, plus `reservation` when DYNAMIC, plus `reservations`); a refined stack (several
 * reservations) gets `reservations` only, since Mesos rejects `role` next to a stack.
 * `allocation_info` is added when `allocationRole` is given (offers, tasks of MULTI_ROLE frameworks).
 */
export function resourcesToMesos(ours: Resources, allocationRole?: string): MesosResourceJson[] {
  return ours.map((r) => {
    const out: MesosResourceJson = { name: r.name, type: r.type };
    switch (r.type) {
      case 'SCALAR':
        out.scalar = { value: r.scalar };
        break;
      case 'RANGES':
        out.ranges = { range: r.ranges.map(([begin, end]) => ({ begin, end })) };
        break;
      case 'SET':
        out.set = { item: [...r.set] };
        break;
    }
    const reservations = r.reservations ?? [];
    const single = reservations.length === 1 ? reservations[0] : undefined;
    if (reservations.length === 0) out.role = '*';
    else if (single !== undefined) out.role = single.role;
    if (allocationRole !== undefined) out.allocation_info = { role: allocationRole };
    if (single?.type === 'DYNAMIC') {
      const labels = labelsToMesos(single.labels);
      out.reservation = {
        ...(single.principal !== undefined ? { principal: single.principal } : {}),
        ...(labels !== undefined ? { labels } : {}),
      };
    }
    if (reservations.length > 0) out.reservations = reservations.map(reservationToMesos);
    if (r.type === 'SCALAR' && r.disk !== undefined) {
      const p = r.disk.persistence;
      const v = r.disk.volume;
      out.disk = {
        ...(p !== undefined ? { persistence: { id: p.id, ...(p.principal !== undefined ? { principal: p.principal } : {}) } } : {}),
        ...(v !== undefined ? { volume: { container_path: v.containerPath, mode: v.mode } } : {}),
      };
    }
    return out;
  });
}

export function attributesToMesos(ours: readonly Attribute[]): MesosAttributeJson[] {
  return ours.map((a): MesosAttributeJson => {
    switch (a.type) {
      case 'TEXT':
        return { name: a.name, type: 'TEXT', text: { value: a.text } };
      case 'SCALAR':
        return { name: a.name, type: 'SCALAR', scalar: { value: a.scalar } };
      case 'RANGES':
        return { name: a.name, type: 'RANGES', ranges: { range: a.ranges.map(([begin, end]) => ({ begin, end })) } };
      case 'SET':
        return { name: a.name, type: 'SET', set: { item: [...a.set] } };
    }
  });
}

// ---------------------------------------------------------------------------------------------
// FrameworkInfo

export type FrameworkInfoResult =
  | { readonly ok: true; readonly info: FrameworkInfo; readonly id?: FrameworkId }
  | { readonly ok: false; readonly error: string };

/** Largest failover_timeout Mesos accepts: its Duration is int64 nanoseconds. */
const MAX_FAILOVER_TIMEOUT_SECONDS = 9_223_372_036;

/**
 * Mesos FrameworkInfo → ours (and the framework id it carries, when resubscribing). Applies the
 * master's checks: `role` only without MULTI_ROLE, `roles` only with it, no duplicate or invalid
 * roles, a failover_timeout that fits a Duration and is not negative. An
 * empty role list counts as ["*"]. `offer_filters` are ignored.
 */
export function frameworkInfoFromMesos(fi: MesosFrameworkInfo): FrameworkInfoResult {
  const fail = (error: string): FrameworkInfoResult => ({ ok: false, error });

  const capabilities = [
    ...new Set(fi.capabilities.map((c) => c.type).filter((t): t is FrameworkCapability => t !== 'UNKNOWN')),
  ];
  const multiRole = capabilities.includes('MULTI_ROLE');
  let roles: string[];
  if (multiRole) {
    if (fi.role !== undefined) return fail("'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable");
    const dup = fi.roles.find((r, i) => fi.roles.indexOf(r) !== i);
    if (dup !== undefined) return fail(`'FrameworkInfo.roles' contains duplicate items: ${dup}`);
    for (const r of fi.roles) {
      const bad = roleError(r);
      if (bad !== undefined) return fail(`'FrameworkInfo.roles' contains invalid role: ${bad}`);
    }
    roles = fi.roles.length > 0 ? [...fi.roles] : ['*'];
  } else {
    if (fi.roles.length > 0) return fail("'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable");
    const role = fi.role ?? '*';
    const bad = roleError(role);
    if (bad !== undefined) return fail(`'FrameworkInfo.role' is not a valid role: ${bad}`);
    roles = [role];
  }

  const seconds = fi.failover_timeout ?? 0;
  if (!Number.isFinite(seconds) || Math.abs(seconds) > MAX_FAILOVER_TIMEOUT_SECONDS) {
    return fail(`The framework failover_timeout (${seconds}) is invalid`);
  }
  // Mesos lets a negative one through and treats it as 0; it is always a mistake, so say so.
  if (seconds < 0) return fail(`The framework failover_timeout (${seconds}) is invalid: it must not be negative (0 means no failover)`);

  let frameworkId: FrameworkId | undefined;
  if (fi.id !== undefined && fi.id.value !== '') {
    const parsed = FrameworkId.safeParse(fi.id.value);
    if (!parsed.success) return fail(`'FrameworkInfo.id' ('${fi.id.value}') is not a framework id this master issues`);
    frameworkId = parsed.data;
  }

  const labels = labelsFromMesos(fi.labels);
  const candidate: z.input<typeof FrameworkInfo> = {
    name: fi.name,
    user: fi.user,
    roles,
    failoverTimeoutMs: Math.round(seconds * 1000),
    checkpoint: fi.checkpoint ?? false,
    capabilities,
    ...(fi.hostname !== undefined ? { hostname: fi.hostname } : {}),
    ...(fi.principal !== undefined ? { principal: fi.principal } : {}),
    ...(fi.webui_url !== undefined ? { webuiUrl: fi.webui_url } : {}),
    ...(labels !== undefined ? { labels } : {}),
  };
  const checked = FrameworkInfo.safeParse(candidate);
  if (!checked.success) {
    return fail(`invalid FrameworkInfo: ${issuesText(checked.error, { webuiUrl: 'webui_url', failoverTimeoutMs: 'failover_timeout' })}`);
  }
  return frameworkId === undefined ? { ok: true, info: checked.data } : { ok: true, info: checked.data, id: frameworkId };
}

export type SubscribeResult =
  | {
      readonly ok: true;
      readonly info: FrameworkInfo;
      readonly id?: FrameworkId;
      readonly suppressedRoles: readonly string[];
    }
  | { readonly ok: false; readonly error: string };

/**
 * A SUBSCRIBE (or UPDATE_FRAMEWORK) body: the FrameworkInfo, plus the suppressed roles, which must
 * be among the framework's roles.
 */
export function subscribeFromMesos(sub: Pick<MesosSubscribe, 'framework_info' | 'suppressed_roles'>): SubscribeResult {
  const fi = frameworkInfoFromMesos(sub.framework_info);
  if (!fi.ok) return fi;
  const stray = [...new Set(sub.suppressed_roles)].filter((r) => !fi.info.roles.includes(r));
  if (stray.length > 0) {
    return { ok: false, error: `Suppressed roles { ${stray.join(', ')} } are not contained in the set of roles` };
  }
  return { ...fi, suppressedRoles: [...new Set(sub.suppressed_roles)] };
}

/** Ours → Mesos FrameworkInfo: `roles` for MULTI_ROLE frameworks, the single `role` otherwise. */
export function frameworkInfoToMesos(ours: FrameworkInfo, frameworkId: string): MesosFrameworkInfoJson {
  const multiRole = ours.capabilities.includes('MULTI_ROLE');
  const labels = labelsToMesos(ours.labels);
  return {
    user: ours.user,
    name: ours.name,
    id: id(frameworkId),
    failover_timeout: ours.failoverTimeoutMs / 1000,
    checkpoint: ours.checkpoint,
    ...(multiRole ? { roles: [...ours.roles] } : { role: ours.roles[0] ?? '*' }),
    ...(ours.hostname !== undefined ? { hostname: ours.hostname } : {}),
    ...(ours.principal !== undefined ? { principal: ours.principal } : {}),
    ...(ours.webuiUrl !== undefined ? { webui_url: ours.webuiUrl } : {}),
    ...(ours.capabilities.length > 0 ? { capabilities: ours.capabilities.map((type) => ({ type })) } : {}),
    ...(labels !== undefined ? { labels } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// TaskInfo

export type TaskInfoResult = { readonly ok: true; readonly task: TaskInfo } | { readonly ok: false; readonly error: string };

const NANOS_PER_MS = 1_000_000;

/**
 * Mesos TaskInfo → ours. Tasks run under the built-in command executor, so a task needs a
 * `command`; its URIs are fetched by the agent, and a MESOS container may ask for an empty network
 * namespace or to share the agent's pid namespace. What the kernel cannot do yet is refused with
 * the reason (custom executors, Docker, container images and volumes, CNI networks, other Linux
 * settings, secrets, limits, max_completion_time). Health checks and checks are converted and
 * validated as Mesos's master does. `data` (unused by the command executor) and `discovery` (metadata) are
 * accepted and not kept. For a task of a LAUNCH_GROUP pass the group's executor: a task may then
 * repeat that executor (same executor_id), as Mesos allows. The error does not name the task.
 */
export function taskInfoFromMesos(ti: MesosTaskInfo, groupExecutor?: MesosExecutorInfo): TaskInfoResult {
  const refuse = (error: string): TaskInfoResult => ({ ok: false, error });

  // Mesos's validateTaskID: the id names the sandbox directory on the agent.
  const badId = idError(ti.task_id.value);
  if (badId !== undefined) return refuse(`Task ID ${JSON.stringify(ti.task_id.value)} is invalid: ${badId}`);
  if (ti.executor !== undefined) {
    if (groupExecutor === undefined) {
      return refuse('custom executors (TaskInfo.executor) are not supported yet; send a command task (TaskInfo.command) instead');
    }
    if (ti.executor.executor_id.value !== groupExecutor.executor_id.value) {
      return refuse(
        `the executor of task '${ti.task_id.value}' differs from the task group's executor '${groupExecutor.executor_id.value}'`,
      );
    }
  }
  let container: ContainerSettings | undefined;
  if (ti.container !== undefined) {
    const why = containerRefusal(ti.container);
    if (why !== undefined) return refuse(why);
    container = containerFromMesos(ti.container);
  }
  const healthCheck = ti.health_check !== undefined ? healthCheckFromMesos(ti.health_check) : undefined;
  if (healthCheck !== undefined && !healthCheck.ok) return refuse(healthCheck.error);
  const check = ti.check !== undefined ? checkFromMesos(ti.check) : undefined;
  if (check !== undefined && !check.ok) return refuse(check.error);
  if (ti.max_completion_time !== undefined) return refuse('max_completion_time is not supported yet');
  if (ti.limits !== undefined && Object.keys(ti.limits).length > 0) return refuse('resource limits (TaskInfo.limits) are not supported yet');

  const cmd = ti.command;
  if (cmd === undefined) return refuse("a task needs 'command' (custom executors are not supported)");
  const uris: Array<z.input<typeof CommandUri>> = [];
  for (const u of cmd.uris) {
    if (u.value === '') return refuse("a URI needs 'value'");
    // `cache` asks for the fetcher cache, an optimisation this agent does not have: fetched directly.
    uris.push({
      value: u.value,
      ...(u.executable !== undefined ? { executable: u.executable } : {}),
      ...(u.extract !== undefined ? { extract: u.extract } : {}),
      ...(u.output_file !== undefined ? { outputFile: u.output_file } : {}),
    });
  }
  if (cmd.value === undefined || cmd.value === '') return refuse("'command.value' is required (the shell command, or the executable when shell is false)");

  let environment: Record<string, string> | undefined;
  for (const v of cmd.environment?.variables ?? []) {
    if (v.type === 'SECRET') return refuse(`secret environment variables are not supported yet ('${v.name}')`);
    if (v.value === undefined) return refuse(`environment variable '${v.name}' has no value`);
    (environment ??= {})[v.name] = v.value;
  }

  let killGracePeriodMs: number | undefined;
  const grace = ti.kill_policy?.grace_period;
  if (grace !== undefined) {
    if (grace.nanoseconds < 0) return refuse("'kill_policy.grace_period' must not be negative");
    killGracePeriodMs = Math.round(grace.nanoseconds / NANOS_PER_MS);
  }

  const resources = resourcesFromMesos(ti.resources);
  if (!resources.ok) return refuse(resources.error);

  const labels = labelsFromMesos(ti.labels);
  const candidate: z.input<typeof TaskInfo> = {
    taskId: ti.task_id.value,
    name: ti.name,
    agentId: ti.agent_id.value,
    resources: [...resources.resources],
    command: {
      value: cmd.value,
      shell: cmd.shell,
      ...(cmd.arguments.length > 0 ? { arguments: [...cmd.arguments] } : {}),
      ...(environment !== undefined ? { environment } : {}),
      ...(cmd.user !== undefined ? { user: cmd.user } : {}),
      ...(uris.length > 0 ? { uris } : {}),
    },
    ...(killGracePeriodMs !== undefined ? { killGracePeriodMs } : {}),
    ...(labels !== undefined ? { labels } : {}),
    ...(container !== undefined ? { container } : {}),
    ...(healthCheck?.ok === true ? { healthCheck: healthCheck.value } : {}),
    ...(check?.ok === true ? { check: check.value } : {}),
  };
  const checked = TaskInfo.safeParse(candidate);
  if (!checked.success) {
    return refuse(issuesText(checked.error, { taskId: 'task_id', agentId: 'agent_id', killGracePeriodMs: 'kill_policy', outputFile: 'output_file' }));
  }
  return { ok: true, task: checked.data };
}

/**
 * A `MESOS` container with what this agent does: `linux_info.share_pid_namespace` (stay in the
 * agent's pid namespace although it runs namespaces/pid) and `network_infos: [{name: "none"}]`
 * (an empty network namespace; the agent must run namespaces/network). Anything more asks for
 * what we lack: refused with the reason.
 */
function containerRefusal(c: MesosContainerInfo): string | undefined {
  if (c.type === 'DOCKER' || c.docker !== undefined) return 'Docker containers are not supported';
  if (c.mesos?.image !== undefined) return 'container images (container.mesos.image) are not supported yet';
  if (c.volumes.length > 0) return 'container volumes are not supported yet';
  const extras: string[] = [];
  if (c.network_infos.length > 1) return 'a container joins at most one network here (container.network_infos)';
  const net = c.network_infos[0];
  if (net !== undefined) {
    const keys = Object.keys(net).filter((k) => k !== 'name');
    if (net.name !== 'none' || keys.length > 0) {
      return `container.network_infos: only {"name": "none"} (an empty network namespace) is supported; CNI networks, IP addresses and port mappings are not`;
    }
  }
  if (c.linux_info !== undefined) {
    const other = Object.keys(c.linux_info).filter((k) => k !== 'share_pid_namespace');
    if (other.length > 0) return `container.linux_info: only share_pid_namespace is supported (not ${other.join(', ')})`;
    if (typeof c.linux_info.share_pid_namespace !== 'boolean') return 'container.linux_info.share_pid_namespace must be a boolean';
  }
  for (const k of ['hostname', 'rlimit_info', 'tty_info'] as const) if (c[k] !== undefined) extras.push(k);
  return extras.length > 0 ? `container settings are not supported yet (container.${extras.join(', container.')})` : undefined;
}

/** Our container settings from a Mesos container that containerRefusal accepted. */
function containerFromMesos(c: MesosContainerInfo): ContainerSettings | undefined {
  const out: { network?: 'NONE'; sharePidNamespace?: boolean } = {};
  if (c.network_infos[0]?.name === 'none') out.network = 'NONE';
  const share = c.linux_info?.share_pid_namespace;
  if (typeof share === 'boolean') out.sharePidNamespace = share;
  return Object.keys(out).length > 0 ? out : undefined;
}

export type GroupExecutorResult = { readonly ok: true; readonly executor: GroupExecutor } | { readonly ok: false; readonly error: string };

/**
 * The executor of a LAUNCH_GROUP → ours. Only Mesos's DEFAULT executor is supported, with Mesos's
 * checks: the type must be set and DEFAULT, no `command`, no container other than a bare MESOS one.
 */
export function groupExecutorFromMesos(ex: MesosExecutorInfo): GroupExecutorResult {
  const refuse = (error: string): GroupExecutorResult => ({ ok: false, error });
  const badId = idError(ex.executor_id.value);
  if (badId !== undefined) return refuse(`Executor ID ${JSON.stringify(ex.executor_id.value)} is invalid: ${badId}`);
  if (ex.type === undefined) return refuse("'ExecutorInfo.type' must be set");
  if (ex.type === 'UNKNOWN') return refuse('Unknown executor type');
  if (ex.type === 'CUSTOM') return refuse('custom executors are not supported yet; task groups run under the DEFAULT executor');
  if (ex.command !== undefined) return refuse("'ExecutorInfo.command' must not be set for 'DEFAULT' executor");
  if (ex.container !== undefined) {
    const why = containerRefusal(ex.container);
    if (why !== undefined) return refuse(`executor: ${why}`);
  }
  const resources = resourcesFromMesos(ex.resources);
  if (!resources.ok) return refuse(`executor resources: ${resources.error}`);
  const checked = GroupExecutor.safeParse({ executorId: ex.executor_id.value, resources: resources.resources });
  if (!checked.success) return refuse(`executor: ${issuesText(checked.error, { executorId: 'executor_id' })}`);
  return { ok: true, executor: checked.data };
}

// ---------------------------------------------------------------------------------------------
// Offers

export interface OfferToMesos {
  readonly id: string;
  readonly frameworkId: string;
  readonly agentId: string;
  readonly hostname: string;
  /** The role the offer is allocated to. */
  readonly role: string;
  readonly resources: Resources;
  /** Its agent's machine is scheduled for maintenance. */
  readonly unavailability?: { readonly start: number; readonly durationMs?: number | undefined } | undefined;
}
export interface OfferAgent {
  /** The agent's HTTP port. */
  readonly port: number;
  readonly attributes: readonly Attribute[];
  /** The agent's IP address, when known (Mesos always fills it). */
  readonly ip?: string;
}

/**
 * An offer as the master sends it in OFFERS. `url` (the agent's address) is included when the
 * agent is known; `attributes` when there are some. Like the real master, empty lists
 * (`attributes`, `executor_ids`) are left out rather than sent as `[]`.
 */
export function offerToMesos(offer: OfferToMesos, agent?: OfferAgent): MesosOfferJson {
  const attributes = agent !== undefined ? attributesToMesos(agent.attributes) : [];
  return {
    id: id(offer.id),
    framework_id: id(offer.frameworkId),
    agent_id: id(offer.agentId),
    hostname: offer.hostname,
    ...(agent !== undefined
      ? {
          url: {
            scheme: 'http',
            address: {
              hostname: offer.hostname,
              ...(agent.ip !== undefined ? { ip: agent.ip } : {}),
              port: agent.port,
            },
            path: '/slave(1)',
          },
        }
      : {}),
    resources: resourcesToMesos(offer.resources, offer.role),
    ...(attributes.length > 0 ? { attributes } : {}),
    ...(offer.unavailability !== undefined ? { unavailability: unavailabilityToMesos(offer.unavailability) } : {}),
    allocation_info: { role: offer.role },
  };
}

// ---------------------------------------------------------------------------------------------
// Task status and its uuid

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A canonical uuid string → base64 of its 16 raw bytes (Mesos's `bytes uuid`). Throws on anything else. */
export function uuidToBase64(uuid: string): string {
  if (!CANONICAL_UUID.test(uuid)) throw new RangeError(`not a canonical uuid (8-4-4-4-12 hex digits): '${uuid}'`);
  return Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64');
}

/** base64 of 16 raw bytes → canonical lowercase uuid string; null when it is not that. */
export function base64ToUuid(b64: string): string | null {
  if (!isBase64(b64)) return null;
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 16) return null;
  const hex = raw.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** States only PARTITION_AWARE frameworks are told; the others hear TASK_LOST instead (as from Mesos). */
export const PARTITION_AWARE_STATES: ReadonlySet<TaskStatus['state']> = new Set<TaskStatus['state']>([
  'TASK_UNREACHABLE',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
]);

/**
 * Our TaskStatus → Mesos TaskStatus JSON (timestamp in seconds, uuid as base64 of its 16 bytes).
 * For a framework that is not PARTITION_AWARE, the partition-aware states read TASK_LOST.
 */
export function statusToMesos(ours: TaskStatus | ReconciledStatus, partitionAware = true): MesosTaskStatusJson {
  return {
    task_id: id(ours.taskId),
    state: !partitionAware && PARTITION_AWARE_STATES.has(ours.state) ? 'TASK_LOST' : ours.state,
    ...(ours.message !== undefined ? { message: ours.message } : {}),
    source: ours.source,
    ...(ours.reason !== undefined ? { reason: ours.reason } : {}),
    ...(ours.agentId !== undefined ? { agent_id: id(ours.agentId) } : {}),
    ...(ours.executorId !== undefined ? { executor_id: id(ours.executorId) } : {}),
    timestamp: ours.timestamp / 1000,
    ...(ours.uuid !== undefined ? { uuid: uuidToBase64(ours.uuid) } : {}),
    ...(ours.healthy !== undefined ? { healthy: ours.healthy } : {}),
    ...(ours.checkStatus !== undefined ? { check_status: checkStatusToMesos(ours.checkStatus) } : {}),
    ...(ours.containerId !== undefined ? { container_status: { container_id: id(ours.containerId) } } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Events on the SUBSCRIBE stream

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
