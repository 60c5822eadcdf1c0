/**
 * Reservations and persistent volumes as conversions of resources, pure: RESERVE turns resources
 * into ones reserved for a role (or refines a reservation down the role tree), UNRESERVE pops the
 * last reservation, CREATE makes a volume of reserved disk, DESTROY makes it plain reserved disk
 * again. Each conversion checks what Mesos checks and says what is wrong in words. The fold applies
 * them to an accept's offered resources (offer operations of frameworks) and to an agent's free
 * resources (the operator's calls).
 *
 * An agent's `dynamic` resources are those the master changed (dynamically reserved, or volumes):
 * they are kept across re-registrations and applied again to what the agent announces
 * (`withDynamic`).
 */
import type { Reservation, Resource, Resources } from '../../events/index.js';
import * as R from './resources.js';
import { allocatableTo, isAncestorOrSelf, roleError } from './roles.js';

export type Conversion = { readonly ok: true; readonly from: Resources; readonly to: Resources } | { readonly ok: false; readonly error: string };

const fail = (error: string): Conversion => ({ ok: false, error });

/** Who asks, and for which role: a framework (its offer's role, principal and capabilities) or the operator. */
export interface Actor {
  readonly kind: 'framework' | 'operator';
  /** The offer's allocation role (frameworks only). */
  readonly role?: string;
  readonly principal?: string | undefined;
  /** RESERVATION_REFINEMENT (frameworks only). */
  readonly refinement?: boolean;
}

/** The resource with its last reservation removed (what it was before that reservation). */
export function popReservation(r: Resource): Resource {
  const rs = r.reservations ?? [];
  const rest = rs.slice(0, -1);
  const { reservations: _drop, ...base } = r;
  return (rest.length > 0 ? { ...base, reservations: rest } : base) as Resource;
}

/** The resource without disk info (a destroyed volume). */
export function stripVolume(r: Resource): Resource {
  if (r.type !== 'SCALAR' || r.disk === undefined) return r;
  const { disk: _drop, ...base } = r;
  return base as Resource;
}

/** Does the resource carry something the master added (a dynamic reservation, or disk info)? */
export const isDynamic = (r: Resource): boolean =>
  (r.reservations ?? []).some((x) => x.type === 'DYNAMIC') || (r.type === 'SCALAR' && r.disk !== undefined);

/** The resource as the agent itself knows it: without dynamic reservations and disk info. */
export function baseOf(r: Resource): Resource {
  const kept = (r.reservations ?? []).filter((x) => x.type === 'STATIC');
  const { reservations: _r, ...rest } = stripVolume(r) as Resource & { reservations?: Reservation[] };
  return (kept.length > 0 ? { ...rest, reservations: kept } : rest) as Resource;
}

/**
 * An agent's total resources: what it announced, with the dynamic resources applied again. What no
 * longer fits (the agent came back smaller) is dropped, in order, and returned in `dropped`.
 */
export function withDynamic(announced: Resources, dynamic: Resources): { resources: Resources; dynamic: Resources; dropped: Resources } {
  let pool = R.normalise(announced);
  const kept: Resource[] = [];
  const dropped: Resource[] = [];
  for (const d of R.normalise(dynamic)) {
    const base = [baseOf(d)];
    if (R.contains(pool, base)) {
      pool = R.add(R.subtract(pool, base), [d]);
      kept.push(d);
    } else dropped.push(d);
  }
  return { resources: pool, dynamic: R.normalise(kept), dropped: R.normalise(dropped) };
}

/** The dynamic resources after converting `from` into `to`. */
export function nextDynamic(dynamic: Resources, from: Resources, to: Resources): Resources {
  return R.add(R.subtractClamped(dynamic, from.filter(isDynamic)), to.filter(isDynamic));
}

function checkReservations(r: Resource, what: string): string | undefined {
  const rs = r.reservations ?? [];
  for (const [i, x] of rs.entries()) {
    const bad = roleError(x.role);
    if (bad !== undefined) return `${what}: ${bad}`;
    if (x.role === '*') return `${what}: role '*' cannot be reserved`;
    if (i > 0) {
      if (x.type === 'STATIC') return `${what}: a refined reservation cannot be STATIC`;
      if (!x.role.startsWith(`${rs[i - 1]!.role}/`)) return `${what}: '${x.role}' is not a refinement of '${rs[i - 1]!.role}'`;
    }
  }
  return undefined;
}

/** RESERVE: each resource must be reserved DYNAMICally for the actor's role (frameworks) and fit the source. */
export function reserve(resources: Resources, source: Resources | undefined, actor: Actor): Conversion {
  const from: Resource[] = [];
  for (const r of resources) {
    const what = `RESERVE of ${R.format([r])}`;
    const rs = r.reservations ?? [];
    const last = rs.at(-1);
    if (last === undefined) return fail(`${what}: the resources to reserve must carry the reservation (reservations: [{type: DYNAMIC, role}])`);
    if (last.type !== 'DYNAMIC') return fail(`${what}: only DYNAMIC reservations can be made (STATIC ones come from the agent's --resources)`);
    const bad = checkReservations(r, what);
    if (bad !== undefined) return fail(bad);
    if (R.isVolume(r)) return fail(`${what}: a volume cannot be reserved; reserve the disk, then CREATE the volume`);
    if (actor.kind === 'framework') {
      if (last.role !== actor.role) return fail(`${what}: a framework may only reserve for the role of its offer ('${actor.role}'), not '${last.role}'`);
      if (rs.length > 1 && actor.refinement !== true) return fail(`${what}: refining a reservation needs the RESERVATION_REFINEMENT capability`);
    }
    if (last.principal !== undefined && actor.principal !== undefined && last.principal !== actor.principal) {
      return fail(`${what}: the reservation's principal '${last.principal}' is not the caller's ('${actor.principal}')`);
    }
    from.push(popReservation(r));
  }
  const to = R.normalise(resources);
  const popped = R.normalise(from);
  if (source !== undefined && !R.equals(R.normalise(source), popped)) {
    return fail(`RESERVE: 'source' (${R.format(source)}) is not what the reservation is made from (${R.format(popped)})`);
  }
  return { ok: true, from: popped, to };
}

/** UNRESERVE: reserved, not volumes; a framework may only unreserve its own role's reservations. */
export function unreserve(resources: Resources, actor: Actor): Conversion {
  const to: Resource[] = [];
  for (const r of resources) {
    const what = `UNRESERVE of ${R.format([r])}`;
    const last = r.reservations?.at(-1);
    if (last === undefined) return fail(`${what}: the resources are not reserved`);
    if (last.type !== 'DYNAMIC') return fail(`${what}: a STATIC reservation cannot be unreserved (change the agent's --resources)`);
    if (R.isVolume(r)) return fail(`${what}: the disk holds a persistent volume; DESTROY it first`);
    if (actor.kind === 'framework' && last.role !== actor.role) {
      return fail(`${what}: a framework may only unreserve reservations of its offer's role ('${actor.role}'), not '${last.role}'`);
    }
    to.push(popReservation(r));
  }
  return { ok: true, from: R.normalise(resources), to: R.normalise(to) };
}

/** A volume's container path: relative, no `..`. */
function containerPathError(p: string): string | undefined {
  if (p.startsWith('/')) return `container path '${p}' must be relative (it is mounted inside the task's sandbox)`;
  if (p.split('/').includes('..')) return `container path '${p}' must not contain '..'`;
  return undefined;
}

/**
 * CREATE: each volume is reserved disk with a persistence id and a container path; the id must not
 * be in use on the agent for that role (`existing` is the agent's total resources).
 */
export function createVolumes(volumes: Resources, existing: Resources, actor: Actor): Conversion {
  const from: Resource[] = [];
  const ids = new Set<string>();
  for (const v of volumes) {
    const what = `CREATE of ${R.format([v])}`;
    if (v.name !== 'disk' || v.type !== 'SCALAR') return fail(`${what}: only disk resources can be volumes`);
    const id = v.disk?.persistence?.id;
    if (id === undefined) return fail(`${what}: a volume needs disk.persistence.id`);
    const path = v.disk?.volume?.containerPath;
    if (path === undefined) return fail(`${what}: a volume needs disk.volume.container_path`);
    const badPath = containerPathError(path);
    if (badPath !== undefined) return fail(`${what}: ${badPath}`);
    const role = R.reservedRole(v);
    if (role === '*') return fail(`${what}: volumes can only be made of reserved disk`);
    if (actor.kind === 'framework' && !allocatableTo(role, actor.role ?? '*')) {
      return fail(`${what}: the disk is reserved for '${role}', not for the offer's role '${actor.role}'`);
    }
    const principal = v.disk?.persistence?.principal;
    if (principal !== undefined && actor.principal !== undefined && principal !== actor.principal) {
      return fail(`${what}: the volume's principal '${principal}' is not the caller's ('${actor.principal}')`);
    }
    const key = `${role} ${id}`;
    if (ids.has(key) || existing.some((r) => r.type === 'SCALAR' && r.disk?.persistence?.id === id && R.reservedRole(r) === role)) {
      return fail(`${what}: a volume with id '${id}' already exists for role '${role}' on this agent`);
    }
    ids.add(key);
    from.push(stripVolume(v));
  }
  return { ok: true, from: R.normalise(from), to: R.normalise(volumes) };
}

/** DESTROY: each must be a volume; it becomes plain reserved disk. */
export function destroyVolumes(volumes: Resources, actor: Actor): Conversion {
  const to: Resource[] = [];
  for (const v of volumes) {
    const what = `DESTROY of ${R.format([v])}`;
    if (!R.isVolume(v)) return fail(`${what}: not a persistent volume`);
    const role = R.reservedRole(v);
    if (actor.kind === 'framework' && !allocatableTo(role, actor.role ?? '*')) {
      return fail(`${what}: the volume belongs to '${role}', not to the offer's role '${actor.role}'`);
    }
    to.push(stripVolume(v));
  }
  return { ok: true, from: R.normalise(volumes), to: R.normalise(to) };
}

/** Apply a conversion to a pool of resources (an accept's offers, an agent's free resources). */
export function applyConversion(pool: Resources, c: Extract<Conversion, { ok: true }>): Resources | string {
  if (!R.contains(pool, c.from)) return `${R.format(c.from)} is not there to convert (there is ${R.format(pool) || 'nothing'})`;
  return R.add(R.subtract(pool, c.from), c.to);
}

/** Are all these resources allocatable to a framework in `role`? */
export const allAllocatableTo = (rs: Resources, role: string): boolean => rs.every((r) => allocatableTo(R.reservedRole(r), role));

/** Is `a` a reservation role that `role` may use (itself or an ancestor)? */
export const usableBy = (owner: string, role: string): boolean => isAncestorOrSelf(owner, role);
