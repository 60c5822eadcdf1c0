/**
 * A hand-written check of the largest events (OffersCreated: tens of thousands of offers a cycle on
 * a big cluster), equivalent to their zod schema for the inputs it accepts: it answers true only
 * for an object the schema accepts *unchanged* (no defaults to apply, no unknown keys to strip), so
 * the codec may skip zod for it; anything else goes through zod as before. The zod schema stays
 * the source of truth: test/unit/fast-check.test.ts checks, on random valid and broken events, that
 * whenever this says yes zod says yes and returns the same object. About 10x faster than zod here.
 */
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const TOKEN = /^[A-Za-z0-9_-]+$/;
const RESOURCE_NAME = /^[^\s;:()[\]{}]+$/;

function onlyKeys(o: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const k in o) if (!allowed.has(k) || o[k] === undefined) return false;
  return true;
}
const str = (x: unknown, min: number, max: number): boolean => typeof x === 'string' && x.length >= min && x.length <= max;
const int = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);

const RESERVATION_KEYS = new Set(['type', 'role', 'principal', 'labels']);
function reservation(r: unknown): boolean {
  if (!isObj(r) || !onlyKeys(r, RESERVATION_KEYS)) return false;
  if (r.type !== 'STATIC' && r.type !== 'DYNAMIC') return false;
  if (!str(r.role, 1, Infinity)) return false;
  if (r.principal !== undefined && typeof r.principal !== 'string') return false;
  if (r.labels !== undefined) {
    if (!isObj(r.labels)) return false;
    for (const k in r.labels) if (typeof r.labels[k] !== 'string') return false;
  }
  return true;
}

const DISK_KEYS = new Set(['persistence', 'volume']);
const PERSISTENCE_KEYS = new Set(['id', 'principal']);
const VOLUME_KEYS = new Set(['containerPath', 'mode']);
function disk(d: unknown): boolean {
  if (!isObj(d) || !onlyKeys(d, DISK_KEYS)) return false;
  if (d.persistence !== undefined) {
    const p = d.persistence;
    if (!isObj(p) || !onlyKeys(p, PERSISTENCE_KEYS) || !str(p.id, 1, 256)) return false;
    if (p.principal !== undefined && typeof p.principal !== 'string') return false;
  }
  if (d.volume !== undefined) {
    const v = d.volume;
    if (!isObj(v) || !onlyKeys(v, VOLUME_KEYS) || !str(v.containerPath, 1, 4096) || (v.mode !== 'RW' && v.mode !== 'RO')) return false;
  }
  return true;
}

const SCALAR_KEYS = new Set(['name', 'type', 'scalar', 'reservations', 'disk']);
const RANGES_KEYS = new Set(['name', 'type', 'ranges', 'reservations']);
const SET_KEYS = new Set(['name', 'type', 'set', 'reservations']);

export function resourceOk(r: unknown): boolean {
  if (!isObj(r) || !str(r.name, 1, 128) || !RESOURCE_NAME.test(r.name as string)) return false;
  if (r.reservations !== undefined) {
    if (!Array.isArray(r.reservations)) return false;
    for (const x of r.reservations) if (!reservation(x)) return false;
  }
  switch (r.type) {
    case 'SCALAR':
      if (!onlyKeys(r, SCALAR_KEYS)) return false;
      if (typeof r.scalar !== 'number' || !Number.isFinite(r.scalar) || r.scalar < 0) return false;
      return r.disk === undefined || disk(r.disk);
    case 'RANGES':
      if (!onlyKeys(r, RANGES_KEYS) || !Array.isArray(r.ranges)) return false;
      for (const x of r.ranges) {
        if (!Array.isArray(x) || x.length !== 2) return false;
        const [b, e] = x as unknown[];
        if (!int(b) || !int(e) || b < 0 || e < 0 || b > e) return false;
      }
      return true;
    case 'SET':
      if (!onlyKeys(r, SET_KEYS) || !Array.isArray(r.set)) return false;
      for (const x of r.set) if (typeof x !== 'string') return false;
      return true;
    default:
      return false;
  }
}

const OFFER_KEYS = new Set(['offerId', 'agentId', 'hostname', 'role', 'resources', 'expiresAt', 'unavailability']);
const UNAVAILABILITY_KEYS = new Set(['start', 'durationMs']);
const OFFERS_CREATED_KEYS = new Set(['type', 'schemaVersion', 'id', 'time', 'epoch', 'frameworkId', 'offers']);

function offerOk(o: unknown): boolean {
  if (!isObj(o) || !onlyKeys(o, OFFER_KEYS)) return false;
  if (!str(o.offerId, 1, 256) || !str(o.agentId, 1, 128) || !TOKEN.test(o.agentId as string)) return false;
  if (typeof o.hostname !== 'string' || !str(o.role, 1, 512)) return false;
  if (o.expiresAt !== undefined && (!int(o.expiresAt) || o.expiresAt < 0)) return false;
  if (o.unavailability !== undefined) {
    const u = o.unavailability;
    if (!isObj(u) || !onlyKeys(u, UNAVAILABILITY_KEYS) || !int(u.start)) return false;
    if (u.durationMs !== undefined && (!int(u.durationMs) || u.durationMs < 0)) return false;
  }
  if (!Array.isArray(o.resources)) return false;
  for (const r of o.resources) if (!resourceOk(r)) return false;
  return true;
}

/** True only if the OffersCreated schema accepts `e` unchanged. */
export function offersCreatedOk(e: unknown): boolean {
  if (!isObj(e) || e.type !== 'OffersCreated' || !onlyKeys(e, OFFERS_CREATED_KEYS)) return false;
  if (e.schemaVersion !== 1 || !str(e.id, 1, 256) || !int(e.time) || e.time < 0 || !int(e.epoch) || e.epoch <= 0) return false;
  if (!str(e.frameworkId, 1, 128) || !TOKEN.test(e.frameworkId as string)) return false;
  if (!Array.isArray(e.offers) || e.offers.length === 0) return false;
  for (const o of e.offers) if (!offerOk(o)) return false;
  return true;
}
