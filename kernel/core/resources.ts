/**
 * Resource arithmetic, pure. Scalars are fixed point with three decimals, as in Mesos (values are
 * rounded to the nearest thousandth and added as integers, so 0.1 + 0.2 is 0.3). Ranges are sets
 * of inclusive integer intervals; sets are sets of strings. Resources with the same name and the
 * same reservations merge; every function returns a normalised list (sorted, merged, no zeros).
 */
import { type DiskInfo, type Range, type Reservation, type Resource, Resources as ResourcesSchema, type Resources } from '../../events/resources.js';
export type { Resources } from '../../events/resources.js';

export class ResourceError extends Error {
  override readonly name = 'ResourceError';
  constructor(
    readonly code: 'PARSE' | 'TYPE_MISMATCH' | 'INSUFFICIENT',
    message: string,
  ) {
    super(message);
  }
}

export const EMPTY: Resources = Object.freeze([]) as Resources;

const toMilli = (v: number): number => Math.round(v * 1000);
const fromMilli = (m: number): number => m / 1000;

/** Round a scalar to Mesos's precision. */
export const roundScalar = (v: number): number => fromMilli(toMilli(v));

const reservationKey = (rs: readonly Reservation[] | undefined): string =>
  rs === undefined || rs.length === 0 ? '' : JSON.stringify(rs.map((r) => [r.type, r.role, r.principal ?? '', r.labels ?? {}]));

const diskKey = (d: DiskInfo | undefined): string =>
  d === undefined || (d.persistence === undefined && d.volume === undefined)
    ? ''
    : JSON.stringify([d.persistence?.id ?? '', d.persistence?.principal ?? '', d.volume?.containerPath ?? '', d.volume?.mode ?? '']);

/**
 * A resource's key is computed once and kept on the object under a symbol (resource objects are
 * never mutated; a symbol is invisible to JSON, structured clone and deep equality, and far cheaper
 * than a WeakMap, whose entries the garbage collector has to trace specially).
 */
const KEY: unique symbol = Symbol('resourceKey');
type Keyed = { [KEY]?: string };
// Not enumerable: a spread copy of a resource (`{...r, scalar: 2}`, or one without its
// reservations) must not carry the key of the original.
const setKey = (r: Resource, k: string): void => {
  Object.defineProperty(r, KEY, { value: k, writable: true, configurable: true, enumerable: false });
};

/** Identity of a resource for merging: its name, its reservations and, for a volume, its disk info. */
export const resourceKey = (r: Resource): string => {
  // The common case, unreserved and not a volume, is keyed by its name: nothing to compute or keep.
  const res = r.reservations;
  if ((res === undefined || res.length === 0) && (r.type !== 'SCALAR' || r.disk === undefined)) return r.name;
  let k = (r as Keyed)[KEY];
  if (k !== undefined) return k;
  const rk = reservationKey(r.reservations);
  const dk = r.type === 'SCALAR' ? diskKey(r.disk) : '';
  k = rk === '' && dk === '' ? r.name : dk === '' ? `${r.name}|${rk}` : `${r.name}|${rk}#${dk}`;
  if (Object.isExtensible(r)) setKey(r, k);
  return k;
};

/** The role a resource is reserved for ('*' when unreserved). */
export const reservedRole = (r: Resource): string => r.reservations?.at(-1)?.role ?? '*';

/** Is the resource a persistent volume? */
export const isVolume = (r: Resource): boolean => r.type === 'SCALAR' && r.disk?.persistence !== undefined;

// --- ranges ----------------------------------------------------------------------------------

export function normaliseRanges(ranges: readonly Range[]): Range[] {
  if (ranges.length === 0) return [];
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Range[] = [];
  let [cb, ce] = sorted[0]!;
  for (let i = 1; i < sorted.length; i++) {
    const [b, e] = sorted[i]!;
    if (b <= ce + 1) ce = Math.max(ce, e);
    else {
      out.push([cb, ce]);
      cb = b;
      ce = e;
    }
  }
  out.push([cb, ce]);
  return out;
}

/** a − b, for normalised inputs. */
export function subtractRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let j = 0;
  for (const [ab, ae] of a) {
    let cur = ab;
    while (j < b.length && b[j]![1] < cur) j++;
    let k = j;
    while (k < b.length && b[k]![0] <= ae) {
      const [bb, be] = b[k]!;
      if (bb > cur) out.push([cur, Math.min(ae, bb - 1)]);
      cur = Math.max(cur, be + 1);
      if (cur > ae) break;
      k++;
    }
    if (cur <= ae) out.push([cur, ae]);
  }
  return out;
}

/** Does a contain every number in b? (normalised inputs) */
export function rangesContain(a: readonly Range[], b: readonly Range[]): boolean {
  let i = 0;
  for (const [bb, be] of b) {
    while (i < a.length && a[i]![1] < bb) i++;
    const r = a[i];
    if (r === undefined || r[0] > bb || r[1] < be) return false;
  }
  return true;
}

export const rangesSize = (rs: readonly Range[]): number => rs.reduce((n, [b, e]) => n + (e - b + 1), 0);

// --- lists -----------------------------------------------------------------------------------
//
// Every function returns a normalised list (sorted by resourceKey, merged, no zeros, scalars in
// thousandths, ranges sorted and merged, sets sorted). On normalised inputs add, subtract and
// contains are a single merge walk, without building maps; whether a list is normalised is checked
// on the fly (cheap: keys are cached on the resources), other inputs take the general path.

const marked = (rs: Resource[]): Resources => rs;

function isNormalised(rs: Resources): boolean {
  let prev = '';
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]!;
    const k = resourceKey(r);
    if (i > 0 && !(prev < k)) return false;
    prev = k;
    switch (r.type) {
      case 'SCALAR': {
        const m = Math.round(r.scalar * 1000);
        if (m <= 0 || m / 1000 !== r.scalar) return false;
        break;
      }
      case 'RANGES': {
        const rg = r.ranges;
        if (rg.length === 0) return false;
        for (let j = 0; j < rg.length; j++) {
          const x = rg[j]!;
          if (x[0] > x[1] || (j > 0 && x[0] <= rg[j - 1]![1] + 1)) return false;
        }
        break;
      }
      case 'SET': {
        const st = r.set;
        if (st.length === 0) return false;
        for (let j = 1; j < st.length; j++) if (!(st[j - 1]! < st[j]!)) return false;
        break;
      }
    }
  }
  return true;
}

interface Acc {
  name: string;
  type: Resource['type'];
  reservations: Reservation[] | undefined;
  disk: DiskInfo | undefined;
  milli: number;
  ranges: Range[];
  set: Set<string>;
}

function accumulate(map: Map<string, Acc>, r: Resource, sign: 1 | -1): void {
  const key = resourceKey(r);
  let acc = map.get(key);
  if (acc === undefined) {
    acc = { name: r.name, type: r.type, reservations: r.reservations, disk: r.type === 'SCALAR' ? r.disk : undefined, milli: 0, ranges: [], set: new Set() };
    map.set(key, acc);
  } else if (acc.type !== r.type) {
    throw new ResourceError('TYPE_MISMATCH', `resource ${r.name} is both ${acc.type} and ${r.type}`);
  }
  switch (r.type) {
    case 'SCALAR':
      acc.milli += sign * toMilli(r.scalar);
      break;
    case 'RANGES':
      acc.ranges = sign === 1 ? normaliseRanges([...acc.ranges, ...r.ranges]) : subtractRanges(acc.ranges, normaliseRanges(r.ranges));
      break;
    case 'SET':
      for (const item of r.set) sign === 1 ? acc.set.add(item) : acc.set.delete(item);
      break;
  }
}

function emit(map: Map<string, Acc>): Resources {
  const out: Resource[] = [];
  for (const key of [...map.keys()].sort()) {
    const a = map.get(key)!;
    const base = a.reservations && a.reservations.length > 0 ? { reservations: a.reservations } : {};
    let r: Resource | undefined;
    if (a.type === 'SCALAR') {
      if (a.milli > 0) r = { name: a.name, type: 'SCALAR', scalar: fromMilli(a.milli), ...base, ...(a.disk !== undefined && diskKey(a.disk) !== '' ? { disk: a.disk } : {}) };
    } else if (a.type === 'RANGES') {
      if (a.ranges.length > 0) r = { name: a.name, type: 'RANGES', ranges: a.ranges, ...base };
    } else if (a.set.size > 0) {
      r = { name: a.name, type: 'SET', set: [...a.set].sort(), ...base };
    }
    if (r !== undefined) {
      if (key !== r.name) setKey(r, key);
      out.push(r);
    }
  }
  return marked(out);
}

/** Keep `r`'s key on a copy of it, unless the key is just the name (computed for free). */
function keepKey(out: Resource, r: Resource): Resource {
  const k = resourceKey(r);
  if (k !== r.name) setKey(out, k);
  return out;
}

/** A resource like `r` with another value (same name, reservations, disk info and key). */
function withScalar(r: Resource & { type: 'SCALAR' }, milli: number): Resource {
  return keepKey({ ...r, scalar: fromMilli(milli) }, r);
}
function withRanges(r: Resource & { type: 'RANGES' }, ranges: Range[]): Resource {
  return keepKey({ ...r, ranges }, r);
}
function withSet(r: Resource & { type: 'SET' }, set: string[]): Resource {
  return keepKey({ ...r, set }, r);
}

/** Sorted, merged, zero-free form of a list. */
export function normalise(rs: Resources): Resources {
  if (isNormalised(rs)) return rs;
  const m = new Map<string, Acc>();
  for (const r of rs) accumulate(m, r, 1);
  return emit(m);
}

/** The resources of a list that `keep` accepts (a sub-list of a normalised list is normalised). */
export function filterResources(rs: Resources, keep: (r: Resource) => boolean): Resources {
  const n = normalise(rs);
  const out: Resource[] = [];
  for (const r of n) if (keep(r)) out.push(r);
  return marked(out);
}

/**
 * Scalars of a normalised list with some amounts lowered (`amount` gives the new value in
 * thousandths, or undefined to keep it); a scalar lowered to zero is dropped.
 */
export function mapScalars(rs: Resources, amount: (r: Resource & { type: 'SCALAR' }) => number | undefined): Resources {
  const n = normalise(rs);
  const out: Resource[] = [];
  for (const r of n) {
    if (r.type !== 'SCALAR') {
      out.push(r);
      continue;
    }
    const m = amount(r);
    if (m === undefined || m === toMilli(r.scalar)) out.push(r);
    else if (m > 0) out.push(withScalar(r, m));
  }
  return marked(out);
}

/** Two resources of one key, added (undefined: nothing left). */
function plus(a: Resource, b: Resource): Resource | undefined {
  if (a.type !== b.type) throw new ResourceError('TYPE_MISMATCH', `resource ${a.name} is both ${a.type} and ${b.type}`);
  switch (a.type) {
    case 'SCALAR':
      return withScalar(a, toMilli(a.scalar) + toMilli((b as typeof a).scalar));
    case 'RANGES':
      return withRanges(a, normaliseRanges([...a.ranges, ...(b as typeof a).ranges]));
    case 'SET':
      return withSet(a, [...new Set([...a.set, ...(b as typeof a).set])].sort());
  }
}

/** a − b of one key (undefined: nothing left); a resource of another type subtracts nothing. */
function minus(a: Resource, b: Resource): Resource | undefined {
  if (a.type !== b.type) return a;
  switch (a.type) {
    case 'SCALAR': {
      const m = toMilli(a.scalar) - toMilli((b as typeof a).scalar);
      return m > 0 ? withScalar(a, m) : undefined;
    }
    case 'RANGES': {
      const rest = subtractRanges(a.ranges, (b as typeof a).ranges);
      return rest.length > 0 ? withRanges(a, rest) : undefined;
    }
    case 'SET': {
      const drop = new Set((b as typeof a).set);
      const rest = a.set.filter((x) => !drop.has(x));
      return rest.length > 0 ? withSet(a, rest) : undefined;
    }
  }
}

/** a holds at least b, for one key. */
function covers(a: Resource, b: Resource): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'SCALAR':
      return toMilli(a.scalar) >= toMilli((b as typeof a).scalar);
    case 'RANGES':
      return rangesContain(a.ranges, (b as typeof a).ranges);
    case 'SET': {
      const have = new Set(a.set);
      return (b as typeof a).set.every((x) => have.has(x));
    }
  }
}

function addTwo(a: Resources, b: Resources): Resources {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: Resource[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ka = resourceKey(a[i]!);
    const kb = resourceKey(b[j]!);
    if (ka < kb) out.push(a[i++]!);
    else if (kb < ka) out.push(b[j++]!);
    else {
      const r = plus(a[i++]!, b[j++]!);
      if (r !== undefined) out.push(r);
    }
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return marked(out);
}

export function add(...lists: Resources[]): Resources {
  if (lists.every(isNormalised)) {
    let acc: Resources = EMPTY;
    for (const l of lists) acc = addTwo(acc, l);
    return acc;
  }
  const m = new Map<string, Acc>();
  for (const l of lists) for (const r of l) accumulate(m, r, 1);
  return emit(m);
}

/** a − b. Throws INSUFFICIENT unless a contains b. */
export function subtract(a: Resources, b: Resources): Resources {
  if (!contains(a, b)) throw new ResourceError('INSUFFICIENT', `${format(a)} does not contain ${format(b)}`);
  return subtractClamped(a, b);
}

/** a − b, dropping what b has beyond a (scalars floor at zero). */
export function subtractClamped(a: Resources, b: Resources): Resources {
  if (b.length === 0) return normalise(a);
  const na = normalise(a);
  const nb = normalise(b);
  if (na.length === 0) return na;
  const out: Resource[] = [];
  let j = 0;
  for (let i = 0; i < na.length; i++) {
    const r = na[i]!;
    const k = resourceKey(r);
    while (j < nb.length && resourceKey(nb[j]!) < k) j++;
    if (j < nb.length && resourceKey(nb[j]!) === k) {
      const rest = minus(r, nb[j]!);
      if (rest !== undefined) out.push(rest);
    } else out.push(r);
  }
  return marked(out);
}

/** Does a hold at least everything in b (same names and reservations)? */
export function contains(a: Resources, b: Resources): boolean {
  if (b.length === 0) return true;
  const na = normalise(a);
  const nb = normalise(b);
  let i = 0;
  for (const need of nb) {
    const k = resourceKey(need);
    while (i < na.length && resourceKey(na[i]!) < k) i++;
    const have = na[i];
    if (have === undefined || resourceKey(have) !== k || !covers(have, need)) return false;
  }
  return true;
}

export const isEmpty = (rs: Resources): boolean => normalise(rs).length === 0;

/** Sum of the scalar named `name` over every reservation. */
export function scalar(rs: Resources, name: string): number {
  let milli = 0;
  for (const r of rs) if (r.name === name && r.type === 'SCALAR') milli += toMilli(r.scalar);
  return fromMilli(milli);
}

/** All ranges named `name` over every reservation, merged. */
export function ranges(rs: Resources, name: string): Range[] {
  return normaliseRanges(rs.flatMap((r) => (r.name === name && r.type === 'RANGES' ? r.ranges : [])));
}

export const equals = (a: Resources, b: Resources): boolean => contains(a, b) && contains(b, a);

// --- text form -------------------------------------------------------------------------------

/**
 * Parse Mesos's resource text, e.g. `cpus:2;mem:1024;disk:4096;ports:[31000-32000];gpus:1`,
 * with optional roles (`cpus(ads):8`, a static reservation) and sets (`bugs:{a,b}`).
 * A JSON array of resources in our event shape is also accepted.
 */
export function parseResources(text: string): Resources {
  try {
    return parseResourcesUnchecked(text);
  } catch (e) {
    // Two kinds for one name (`x:1;x:[1-2]`) is a mistake in the text, so it is a parse error.
    if (e instanceof ResourceError && e.code === 'TYPE_MISMATCH') throw new ResourceError('PARSE', e.message);
    throw e;
  }
}

function parseResourcesUnchecked(text: string): Resources {
  const t = text.trim();
  if (t === '') return EMPTY;
  if (t.startsWith('[') && t.includes('"name"')) {
    let raw: unknown;
    try {
      raw = JSON.parse(t);
    } catch {
      throw new ResourceError('PARSE', `resources look like JSON but do not parse: ${t.slice(0, 80)}`);
    }
    const parsed = ResourcesSchema.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new ResourceError('PARSE', `JSON resources are invalid at ${i?.path.join('.') || '(root)'}: ${i?.message ?? 'unknown problem'}`);
    }
    return normalise(parsed.data);
  }
  const out: Resource[] = [];
  for (const part of t.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const m = /^([^\s:;()\[\]{}]+)(?:\(([^)]*)\))?(?:\[([^\]]*)\])?\s*:\s*(.+)$/.exec(p);
    if (!m) throw new ResourceError('PARSE', `cannot parse resource "${p}": expected name:value, name(role):value`);
    const [, name, role, volume, value] = m as unknown as [string, string, string | undefined, string | undefined, string];
    const reservations: Reservation[] | undefined =
      role !== undefined && role !== '' && role !== '*' ? [{ type: 'STATIC', role }] : undefined;
    const base = reservations ? { reservations } : {};
    const v = value.trim();
    if (volume !== undefined) {
      // A persistent volume: disk(role)[id:container_path] or [id:container_path:ro].
      const parts = volume.split(':');
      if (name !== 'disk' || parts.length < 2 || parts.length > 3 || parts[0] === '' || parts[1] === '' || (parts[2] !== undefined && !['ro', 'rw'].includes(parts[2].toLowerCase()))) {
        throw new ResourceError('PARSE', `a volume is written disk(role)[id:container_path] or disk(role)[id:container_path:ro]; got "${p}"`);
      }
      if (!/^\d+(\.\d+)?$/.test(v)) throw new ResourceError('PARSE', `volume size must be a number of MB; got "${v}"`);
      out.push({
        name,
        type: 'SCALAR',
        scalar: roundScalar(Number(v)),
        ...base,
        disk: { persistence: { id: parts[0]! }, volume: { containerPath: parts[1]!, mode: parts[2]?.toLowerCase() === 'ro' ? 'RO' : 'RW' } },
      });
      continue;
    }
    if (v.startsWith('[')) {
      out.push({ name, type: 'RANGES', ranges: parseRangeList(v, name), ...base });
    } else if (v.startsWith('{')) {
      if (!v.endsWith('}')) throw new ResourceError('PARSE', `set for ${name} must end with "}"`);
      const items = v.slice(1, -1).split(',').map((s) => s.trim()).filter((s) => s !== '');
      out.push({ name, type: 'SET', set: items, ...base });
    } else {
      if (!/^\d+(\.\d+)?$/.test(v)) {
        throw new ResourceError('PARSE', `resource ${name} must be a non-negative decimal number, a [range] or a {set}; got "${v}"`);
      }
      out.push({ name, type: 'SCALAR', scalar: roundScalar(Number(v)), ...base });
    }
  }
  return normalise(out);
}

export function parseRangeList(v: string, what = 'ranges'): Range[] {
  if (!v.startsWith('[') || !v.endsWith(']')) throw new ResourceError('PARSE', `${what} must look like [31000-32000]`);
  const body = v.slice(1, -1).trim();
  if (body === '') return [];
  return normaliseRanges(
    body.split(',').map((s) => {
      const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(s) ?? /^\s*(\d+)\s*$/.exec(s);
      if (!m) throw new ResourceError('PARSE', `bad range "${s.trim()}" in ${what}`);
      const b = Number(m[1]);
      const e = Number(m[2] ?? m[1]);
      if (b > e) throw new ResourceError('PARSE', `range ${b}-${e} in ${what} ends before it begins`);
      return [b, e] as Range;
    }),
  );
}

export const formatRanges = (rs: readonly Range[]): string => `[${rs.map(([b, e]) => `${b}-${e}`).join(', ')}]`;

/** Mesos's text form, the inverse of parseResources. */
export function format(rs: Resources): string {
  return normalise(rs)
    .map((r) => {
      const role = reservedRole(r);
      const vol = r.type === 'SCALAR' && r.disk?.persistence !== undefined
        ? `[${r.disk.persistence.id}:${r.disk.volume?.containerPath ?? ''}${r.disk.volume?.mode === 'RO' ? ':ro' : ''}]`
        : '';
      const head = (role === '*' ? r.name : `${r.name}(${role})`) + vol;
      switch (r.type) {
        case 'SCALAR':
          return `${head}:${r.scalar}`;
        case 'RANGES':
          return `${head}:${formatRanges(r.ranges)}`;
        case 'SET':
          return `${head}:{${r.set.join(',')}}`;
      }
    })
    .join(';');
}

/**
 * The flat object Mesos's legacy JSON endpoints show (`{"cpus":2,"mem":1024,"disk":0,"gpus":0,
 * "ports":"[31000-32000]"}`); the four scalars are always present.
 */
export function toFlatJson(rs: Resources): Record<string, number | string> {
  const out: Record<string, number | string> = { disk: 0, mem: 0, gpus: 0, cpus: 0 };
  const byName = new Map<string, Resource[]>();
  for (const r of rs) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  for (const [name, list] of byName) {
    const first = list[0]!;
    if (first.type === 'SCALAR') out[name] = scalar(list, name);
    else if (first.type === 'RANGES') out[name] = formatRanges(ranges(list, name));
    else out[name] = `{${[...new Set(list.flatMap((r) => (r.type === 'SET' ? r.set : [])))].sort().join(',')}}`;
  }
  return out;
}

/** Quantities used for fair sharing and metrics. */
export const SHARE_RESOURCES = ['cpus', 'mem', 'disk', 'gpus'] as const;

/**
 * The first value (a port, a set item) of a RANGES or SET resource that two of `holders` both
 * name: adding resources merges ranges and sets, so "contained in the offer" alone would let two
 * tasks of one accept share a port. Undefined when none is shared.
 */
export function sharedItem(holders: ReadonlyArray<{ readonly owner: string; readonly resources: Resources }>): { name: string; item: string; owners: [string, string] } | undefined {
  const intervals = new Map<string, Array<{ begin: number; end: number; owner: string }>>();
  const items = new Map<string, Map<string, string>>();
  for (const h of holders) {
    for (const r of h.resources) {
      if (r.type === 'RANGES') {
        const list = intervals.get(r.name) ?? [];
        for (const [begin, end] of normaliseRanges(r.ranges)) list.push({ begin, end, owner: h.owner });
        intervals.set(r.name, list);
      } else if (r.type === 'SET') {
        const seen = items.get(r.name) ?? new Map<string, string>();
        for (const item of r.set) {
          const other = seen.get(item);
          if (other !== undefined && other !== h.owner) return { name: r.name, item, owners: [other, h.owner] };
          seen.set(item, h.owner);
        }
        items.set(r.name, seen);
      }
    }
  }
  for (const [name, list] of intervals) {
    list.sort((a, b) => a.begin - b.begin);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const cur = list[i]!;
      if (cur.begin <= prev.end && cur.owner !== prev.owner) return { name, item: String(cur.begin), owners: [prev.owner, cur.owner] };
    }
  }
  return undefined;
}
