/**
 * Encode and decode events, validating both ways. Nothing is published that did not pass its
 * schema; a malformed message is reported as a value (never thrown) so that the caller can count
 * it, log it and skip it. Older schema versions of an event type are upcast here, once, before
 * validation (the chain is in upcasters.ts).
 */
import { canonicalChecker } from './canonical-check.js';
import { ClusterEvent, type ClusterEventInput } from './catalogue.js';
import { subjectFor } from './subjects.js';
import { upcast } from './upcasters.js';

export type DecodeErrorCode = 'NOT_JSON' | 'NOT_AN_EVENT' | 'UNKNOWN_SCHEMA_VERSION' | 'SCHEMA_VIOLATION' | 'WRONG_SUBJECT';

export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    readonly code: DecodeErrorCode | 'INVALID_EVENT',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type Decoded = { readonly ok: true; readonly event: ClusterEvent } | { readonly ok: false; readonly error: CodecError };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Validate (applying defaults) and serialise. Throws CodecError('INVALID_EVENT') on a bad event. */
export function encode(input: ClusterEventInput | ClusterEvent): Uint8Array {
  // What zod would return unchanged (the leader's offers, by the ten thousand, among them) is
  // serialised as it is: the check is zod's answer without zod's rebuilding (canonical-check.ts).
  if (isCanonicalEvent(input)) return encoder.encode(JSON.stringify(input));
  const parsed = ClusterEvent.safeParse(input);
  if (!parsed.success) {
    throw new CodecError('INVALID_EVENT', `refusing to publish an invalid ${describe(input)}: ${summarise(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return encoder.encode(JSON.stringify(parsed.data));
}

/** Validate an event and return it with defaults applied (for in-process use, e.g. tests and benchmarks). */
export function validate(input: ClusterEventInput | ClusterEvent): ClusterEvent {
  const parsed = ClusterEvent.safeParse(input);
  if (!parsed.success) throw new CodecError('INVALID_EVENT', `invalid ${describe(input)}: ${summarise(parsed.error)}`);
  return parsed.data;
}

/**
 * Decode bytes from the log. When `subject` is given, the event must belong on that subject
 * (an agent cannot report a status on another agent's subject, a framework cannot call as another).
 */
export function decode(data: Uint8Array, subject?: string): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(data));
  } catch (cause) {
    return fail('NOT_JSON', 'the message is not JSON', cause);
  }
  if (typeof raw !== 'object' || raw === null || typeof (raw as { type?: unknown }).type !== 'string') {
    return fail('NOT_AN_EVENT', 'the message has no string "type"');
  }
  const upcast = upcastToCurrent(raw as Record<string, unknown>);
  if (!upcast.ok) return upcast;
  let event: ClusterEvent;
  // What zod would return unchanged needs no rebuilding (canonical-check.ts); anything else is parsed.
  if (isCanonicalEvent(upcast.value)) event = upcast.value as ClusterEvent;
  else {
    const parsed = ClusterEvent.safeParse(upcast.value);
    if (!parsed.success) {
      return fail('SCHEMA_VIOLATION', `${describe(raw)} does not match its schema: ${summarise(parsed.error)}`, parsed.error);
    }
    event = parsed.data;
  }
  if (subject !== undefined) {
    const expected = subjectFor(event);
    if (expected !== subject) {
      return fail('WRONG_SUBJECT', `${event.type} arrived on ${subject}, it belongs on ${expected}`);
    }
  }
  return { ok: true, event };
}

/** Says yes only for a value zod would accept and return unchanged (so the value itself is the event). */
const isCanonicalEvent = canonicalChecker(ClusterEvent);

/** Counts of what a consumer decoded and skipped, for metrics and logs. */
export class CodecStats {
  decoded = 0;
  malformed = 0;
  readonly byCode = new Map<DecodeErrorCode, number>();
  record(d: Decoded): void {
    if (d.ok) {
      this.decoded++;
      return;
    }
    this.malformed++;
    const code = d.error.code as DecodeErrorCode;
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
  }
}

function upcastToCurrent(e: Record<string, unknown>): { ok: true; value: Record<string, unknown> } | { ok: false; error: CodecError } {
  const r = upcast(e);
  return r.ok ? { ok: true, value: r.value } : fail('UNKNOWN_SCHEMA_VERSION', r.message);
}

function fail(code: DecodeErrorCode, message: string, cause?: unknown): { ok: false; error: CodecError } {
  return { ok: false, error: new CodecError(code, message, { cause }) };
}

function describe(x: unknown): string {
  const t = typeof x === 'object' && x !== null ? (x as { type?: unknown }).type : undefined;
  return typeof t === 'string' ? `event ${t}` : 'event';
}

function summarise(err: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
