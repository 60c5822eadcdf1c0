/**
 * A job's schedule and the instants it names. Pure: every function takes the times it works on.
 *
 * Two forms. Chronos's ISO 8601 repeating interval `R[n]/<start>/<period>` (`R` alone: for ever;
 * `R5`: five runs; `R0`: none), read in `scheduleTimeZone` when one is given: then the start's
 * wall-clock fields are taken in that zone (its own offset, or `Z`, is set aside, as Chronos does),
 * and the period's calendar part (years, months, weeks, days) is added on the zone's wall clock
 * (a daily job at 09:00 stays at 09:00 across a DST change), its time part (hours, minutes,
 * seconds) as elapsed time. Instant k is `start + k × period`, computed from the start each time,
 * so no drift accumulates (31 Jan + 1 month is 28/29 Feb, + 2 months is 31 Mar).
 *
 * Or a cron expression (5 fields, or 6 with seconds first), read by `croner` in the same zone.
 * croner was chosen over cron-parser because it has no dependencies (cron-parser brings luxon),
 * ships its own types and ESM, accepts the optional seconds field, and resolves DST gaps and
 * overlaps itself through Intl.
 */
import { Cron } from 'croner';

export interface Period {
  readonly years: number;
  readonly months: number;
  /** Weeks folded in (7 days each). */
  readonly days: number;
  /** Hours, minutes and seconds as milliseconds. */
  readonly timeMs: number;
}

export type Schedule =
  | { readonly kind: 'iso8601'; readonly text: string; readonly repeat: number | null; readonly start: number; readonly period: Period; readonly tz: string | undefined }
  | { readonly kind: 'cron'; readonly text: string; readonly tz: string | undefined; readonly cron: Cron };

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const PERIOD_RE = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/** An ISO 8601 duration such as `PT2S`, `P1D`, `P1M2DT3H`. */
export function parsePeriod(text: string): Parsed<Period> {
  const m = PERIOD_RE.exec(text);
  if (m === null) return { ok: false, reason: `'${text}' is not an ISO 8601 duration (e.g. PT2S, PT1H, P1D, P1M)` };
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]!.replace(',', '.')));
  const p: Period = { years: n(1), months: n(2), days: n(3) * 7 + n(4), timeMs: Math.round((n(5) * 3600 + n(6) * 60 + n(7)) * 1000) };
  if (p.years === 0 && p.months === 0 && p.days === 0 && p.timeMs === 0) return { ok: false, reason: `the period '${text}' is zero: give a positive one (e.g. PT2S)` };
  return { ok: true, value: p };
}

/** `epsilon`: an ISO 8601 duration of days, hours, minutes and seconds (no months: it has a fixed length). */
export function parseEpsilon(text: string): Parsed<number> {
  const p = parsePeriod(text);
  if (!p.ok) return p;
  if (p.value.years !== 0 || p.value.months !== 0) return { ok: false, reason: `'${text}': an epsilon has a fixed length: give days, hours, minutes or seconds (e.g. PT60S)` };
  return { ok: true, value: p.value.days * 86_400_000 + p.value.timeMs };
}

/** The zone is one Intl knows (an IANA name such as Europe/Berlin, or UTC). */
export function checkTimeZone(tz: string): Parsed<string> {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return { ok: true, value: tz };
  } catch {
    return { ok: false, reason: `'${tz}' is not a time zone this process knows (an IANA name such as Europe/Berlin, America/New_York, UTC)` };
  }
}

// --- wall clock <-> UTC in a zone ----------------------------------------------------------------

interface Wall {
  readonly y: number;
  /** 0-based. */
  readonly mo: number;
  readonly d: number;
  /** Milliseconds into the day. */
  readonly ms: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const fmt = (tz: string): Intl.DateTimeFormat => {
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
};

/** The zone's offset from UTC at `t` (ms; positive east of Greenwich). */
export function offsetAt(t: number, tz: string | undefined): number {
  if (tz === undefined || tz === 'UTC' || tz === 'Z') return 0;
  const parts: Record<string, number> = {};
  for (const p of fmt(tz).formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  const whole = t - (((t % 1000) + 1000) % 1000);
  return asUtc - whole;
}

function toWall(t: number, tz: string | undefined): Wall {
  const local = new Date(t + offsetAt(t, tz));
  return { y: local.getUTCFullYear(), mo: local.getUTCMonth(), d: local.getUTCDate(), ms: t + offsetAt(t, tz) - Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) };
}

/**
 * The instant a wall-clock time names in the zone: in an overlap (clocks set back), the earlier
 * one; in a gap (clocks set forward), the time moved on by the gap's length (as java.time does).
 */
function fromWall(w: Wall, tz: string | undefined): number {
  const asUtc = Date.UTC(w.y, w.mo, w.d) + w.ms;
  if (tz === undefined) return asUtc;
  const before = offsetAt(asUtc - 86_400_000 / 2, tz);
  const after = offsetAt(asUtc + 86_400_000 / 2, tz);
  const valid = [asUtc - before, asUtc - after].filter((c) => offsetAt(c, tz) === asUtc - c);
  return valid.length > 0 ? Math.min(...valid) : asUtc - before;
}

const daysIn = (y: number, mo: number): number => new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();

/** `start + k × period`. */
export function instantAt(s: Extract<Schedule, { kind: 'iso8601' }>, k: number): number {
  const p = s.period;
  if (p.years === 0 && p.months === 0 && p.days === 0) return s.start + k * p.timeMs;
  const w = toWall(s.start, s.tz);
  const months = w.y * 12 + w.mo + k * (p.years * 12 + p.months);
  const y = Math.floor(months / 12);
  const mo = months - y * 12;
  const d = Math.min(w.d, daysIn(y, mo));
  const shifted = new Date(Date.UTC(y, mo, d + k * p.days));
  return fromWall({ y: shifted.getUTCFullYear(), mo: shifted.getUTCMonth(), d: shifted.getUTCDate(), ms: w.ms }, s.tz) + k * p.timeMs;
}

const approxMs = (p: Period): number => p.years * 365.2425 * 86_400_000 + p.months * 30.436875 * 86_400_000 + p.days * 86_400_000 + p.timeMs;

/** The index of the first instant at or after `t` (which may be past the last one). */
export function indexAtOrAfter(s: Extract<Schedule, { kind: 'iso8601' }>, t: number): number {
  if (t <= s.start) return 0;
  let k = Math.max(0, Math.floor((t - s.start) / approxMs(s.period)) - 1);
  while (k > 0 && instantAt(s, k - 1) >= t) k--;
  while (instantAt(s, k) < t) k++;
  return k;
}

/** The first instant at or after `t`, or undefined when the schedule names no more. */
export function firstAtOrAfter(s: Schedule, t: number): number | undefined {
  if (s.kind === 'cron') {
    const next = s.cron.nextRun(new Date(t - 1));
    return next === null ? undefined : next.getTime();
  }
  const k = indexAtOrAfter(s, t);
  if (s.repeat !== null && k >= s.repeat) return undefined;
  return instantAt(s, k);
}

/** The first instant after `t`. */
export const nextAfter = (s: Schedule, t: number): number | undefined => firstAtOrAfter(s, t + 1);

/** How many instants lie in [from, to) (counted up to `cap`; `capped` when there are more). */
export function countBetween(s: Schedule, from: number, to: number, cap = 100_000): { count: number; capped: boolean } {
  if (to <= from) return { count: 0, capped: false };
  if (s.kind === 'iso8601') {
    const a = indexAtOrAfter(s, from);
    let b = indexAtOrAfter(s, to);
    if (s.repeat !== null) b = Math.min(b, s.repeat);
    return { count: Math.max(0, b - a), capped: false };
  }
  let n = 0;
  for (let t = firstAtOrAfter(s, from); t !== undefined && t < to; t = nextAfter(s, t)) {
    if (++n >= cap) return { count: n, capped: true };
  }
  return { count: n, capped: false };
}

// --- parsing -----------------------------------------------------------------------------------

const START_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** An ISO 8601 start time; with a zone, its wall-clock fields are read in that zone. */
function parseStart(text: string, tz: string | undefined): Parsed<number> {
  const m = START_RE.exec(text);
  if (m === null) return { ok: false, reason: `the start '${text}' is not an ISO 8601 date-time (e.g. 2026-01-01T09:00:00Z)` };
  const [y, mo, d, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => (m[i] === undefined ? 0 : Number(m[i])));
  const frac = m[7] === undefined ? 0 : Math.round(Number(`0.${m[7]}`) * 1000);
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > daysIn(y!, mo! - 1) || h! > 23 || mi! > 59 || sec! > 59) return { ok: false, reason: `the start '${text}' is not a valid date-time` };
  const wall: Wall = { y: y!, mo: mo! - 1, d: d!, ms: ((h! * 60 + mi!) * 60 + sec!) * 1000 + frac };
  if (tz !== undefined) return { ok: true, value: fromWall(wall, tz) };
  const off = m[8];
  let offsetMs = 0;
  if (off !== undefined && off !== 'Z') {
    const om = /^([+-])(\d{2}):?(\d{2})?$/.exec(off)!;
    offsetMs = (om[1] === '-' ? -1 : 1) * (Number(om[2]) * 60 + Number(om[3] ?? 0)) * 60_000;
  }
  return { ok: true, value: Date.UTC(wall.y, wall.mo, wall.d) + wall.ms - offsetMs };
}

/** `R[n]/<start>/<period>`; an empty start is `now` (Chronos's too). */
export function parseIso8601(text: string, tz: string | undefined, now: number): Parsed<Extract<Schedule, { kind: 'iso8601' }>> {
  const m = /^R(\d*)\/([^/]*)\/(P[^/]*)$/.exec(text.trim());
  if (m === null) {
    const looksCron = /^\S+(\s+\S+){4,6}$/.test(text.trim());
    return { ok: false, reason: `cannot parse schedule '${text}': give R[n]/<start>/<period>, e.g. R/2026-01-01T00:00:00Z/PT2S${looksCron ? ' (this looks like a cron expression: give it as "cron" instead of "schedule")' : ''}` };
  }
  if (tz !== undefined) {
    const z = checkTimeZone(tz);
    if (!z.ok) return z;
  }
  const start = m[2] === '' ? { ok: true as const, value: now } : parseStart(m[2]!, tz);
  if (!start.ok) return start;
  if (start.value < 1000) return { ok: false, reason: `the start of '${text}' is before 1970` };
  const period = parsePeriod(m[3]!);
  if (!period.ok) return period;
  return { ok: true, value: { kind: 'iso8601', text, repeat: m[1] === '' ? null : Number(m[1]), start: start.value, period: period.value, tz } };
}

export function parseCron(text: string, tz: string | undefined): Parsed<Extract<Schedule, { kind: 'cron' }>> {
  if (tz !== undefined) {
    const z = checkTimeZone(tz);
    if (!z.ok) return z;
  }
  const fields = text.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return { ok: false, reason: `'${text}' has ${fields} fields: a cron expression has 5 (minute hour day-of-month month day-of-week), or 6 with seconds first` };
  try {
    const cron = new Cron(text.trim(), { paused: true, ...(tz !== undefined ? { timezone: tz } : {}) });
    return { ok: true, value: { kind: 'cron', text, tz, cron } };
  } catch (err) {
    return { ok: false, reason: `'${text}' is not a cron expression: ${(err as Error).message}` };
  }
}
