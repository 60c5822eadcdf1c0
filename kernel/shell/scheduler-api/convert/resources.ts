/** The Mesos scheduler API's JSON and ours: resources (see index.ts). */
import { roleError } from '../../../core/roles.js';
import { z } from 'zod';
import { type Attribute, type DiskInfo, type Reservation, type Resource, Resources } from '../../../../events/index.js';
import { type MesosReservationInfo, type MesosResource } from '../wire.js';
import { id, issuesText, labelsFromMesos, labelsToMesos } from './common.js';
import { MesosAttributeJson, MesosReservationJson, MesosResourceJson } from './json.js';

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
