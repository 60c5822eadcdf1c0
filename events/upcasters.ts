/**
 * Upcasters: how an event written in an older schema version of its type becomes the current
 * version. Versions are per event type (`EVENT_VERSIONS`); each entry here reads version `from` of
 * one type and returns the shape of version `from + 1`. The codec applies the chain once, when it
 * decodes a message, before validating: everything after the edge sees only current shapes.
 *
 * Rules for an upcaster:
 * - pure and total: no clock, no I/O, no defaults taken from the running build (write the value
 *   that the old version meant, as a literal), so that an old log means the same for ever;
 * - it converts a valid old shape; an invalid one is passed on as it is, for validation to refuse
 *   (never "repair" a malformed event into a valid one);
 * - the chain sets `schemaVersion`; the function only moves fields.
 *
 * To change an event type incompatibly: give its schema `schemaVersion: z.literal(N + 1)`, change
 * its fields, add the upcaster from N here with a unit test over a recorded version-N event, keep
 * a version-N event in a golden log (test/fixtures/golden), and regenerate docs/events.md. Adding
 * an optional field needs no new version.
 */
import { EVENT_VERSIONS, type EventType } from './catalogue.js';

type Json = Record<string, unknown>;

export interface Upcaster {
  readonly type: EventType;
  /** The version it reads; it returns version `from + 1`. */
  readonly from: number;
  /** What changed, for docs/events.md. */
  readonly change: string;
  readonly up: (e: Readonly<Json>) => Json;
}

/** `refuseSeconds?: number` (absent or negative meant 5 s, the default when v1 was written) → `filters: {refuseSeconds}`. */
function explicitFilter(e: Readonly<Json>): Json {
  const { refuseSeconds, ...rest } = e;
  let seconds: unknown = refuseSeconds;
  // v1's fold read absent or negative as Mesos's default of that time (5 s) and capped at a year.
  if (seconds === undefined) seconds = 5;
  else if (typeof seconds === 'number' && Number.isFinite(seconds)) seconds = seconds < 0 ? 5 : Math.min(seconds, 365 * 24 * 3600);
  return { ...rest, filters: { refuseSeconds: seconds } };
}

export const UPCASTERS: readonly Upcaster[] = [
  {
    type: 'OffersAccepted',
    from: 1,
    change: '`refuseSeconds` (optional; absent or negative meant 5 s) became `filters: {refuseSeconds}` (required, resolved by the publisher)',
    up: explicitFilter,
  },
  {
    type: 'OffersDeclined',
    from: 1,
    change: '`refuseSeconds` (optional; absent or negative meant 5 s) became `filters: {refuseSeconds}` (required, resolved by the publisher)',
    up: explicitFilter,
  },
];

const byStep = new Map<string, Upcaster>(UPCASTERS.map((u) => [`${u.type}@${u.from}`, u]));

/** Problems with the registry (a missing step, a step for an unknown type or past the current version); empty when sound. */
export function registryProblems(): string[] {
  const problems: string[] = [];
  const current = EVENT_VERSIONS as Readonly<Record<string, number>>;
  for (const u of UPCASTERS) {
    const v = current[u.type];
    if (v === undefined) problems.push(`an upcaster for unknown event type ${u.type}`);
    else if (!Number.isInteger(u.from) || u.from < 1 || u.from >= v) problems.push(`${u.type}: an upcaster from version ${u.from}, but the current version is ${v}`);
  }
  if (byStep.size !== UPCASTERS.length) problems.push('two upcasters for the same type and version');
  for (const [type, v] of Object.entries(current)) {
    for (let from = 1; from < v; from++) if (!byStep.has(`${type}@${from}`)) problems.push(`${type}: no upcaster from version ${from} to ${from + 1}`);
  }
  return problems;
}

// A gap in the chain would make old logs undecodable: refuse to load rather than find out later.
const problems = registryProblems();
if (problems.length > 0) throw new Error(`events/upcasters.ts is inconsistent with the catalogue: ${problems.join('; ')}`);

export type UpcastResult = { readonly ok: true; readonly value: Json; readonly from: number } | { readonly ok: false; readonly message: string };

/**
 * Bring a raw event (an object with a string `type`) to the current version of its type. An
 * unknown type is returned unchanged (validation refuses it). The returned `from` is the version
 * the event was written in.
 */
export function upcast(raw: Json): UpcastResult {
  const type = raw.type as string;
  const current = (EVENT_VERSIONS as Readonly<Record<string, number | undefined>>)[type];
  const v = raw.schemaVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || (current !== undefined && v > current)) {
    return { ok: false, message: `${type} has schemaVersion ${JSON.stringify(v)}; this build reads ${type} versions 1..${current ?? 1}` };
  }
  if (current === undefined || v === current) return { ok: true, value: raw, from: v };
  let cur: Json = raw;
  for (let from = v; from < current; from++) {
    const step = byStep.get(`${type}@${from}`)!; // the registry is checked complete at load
    cur = { ...step.up(cur), schemaVersion: from + 1 };
  }
  return { ok: true, value: cur, from: v };
}
