/**
 * RecordIO framing as the Mesos v1 streaming APIs use it: each record is its length in bytes as
 * ASCII decimal digits, a line feed, then exactly that many bytes of payload (here: UTF-8 JSON).
 * There is no separator after the payload. HTTP chunk boundaries are unrelated to record
 * boundaries, so the decoder accepts arbitrary slices of the stream.
 */

/**
 * The largest record either side accepts (500 MiB, under V8's largest string). The operator
 * stream's SUBSCRIBED carries the whole state: about 1 KiB a task, 104 MB at 100,000 tasks, so the
 * 64 MiB this was once made SUBSCRIBE fail (the connection closed) past some 60,000 tasks. Decoders
 * of input from untrusted parties pass a smaller `maxRecordBytes`.
 */
export const MAX_RECORD_BYTES = 500 * 1024 * 1024;

const LF = 0x0a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** Enough digits for MAX_RECORD_BYTES; a longer prefix is rejected before it is buffered further. */
const MAX_PREFIX_DIGITS = String(MAX_RECORD_BYTES).length;

/** The stream is not valid RecordIO (or a record is not valid JSON); the decoder cannot continue. */
export class RecordIoError extends Error {
  override readonly name = 'RecordIoError';
}

/** Frames one JSON value: `<byte length>\n<JSON>`. */
export function encodeRecord(json: unknown): Buffer {
  const text = JSON.stringify(json);
  if (text === undefined) throw new RecordIoError(`cannot encode ${typeof json} as a JSON record`);
  const payload = Buffer.from(text, 'utf8');
  if (payload.length > MAX_RECORD_BYTES) {
    throw new RecordIoError(`record of ${payload.length} bytes exceeds the limit of ${MAX_RECORD_BYTES} bytes`);
  }
  return Buffer.concat([Buffer.from(`${payload.length}\n`, 'ascii'), payload]);
}

/** Frames one binary payload (a protobuf message): `<byte length>\n<bytes>`. */
export function encodeBinaryRecord(payload: Uint8Array): Buffer {
  if (payload.length > MAX_RECORD_BYTES) {
    throw new RecordIoError(`record of ${payload.length} bytes exceeds the limit of ${MAX_RECORD_BYTES} bytes`);
  }
  return Buffer.concat([Buffer.from(`${payload.length}\n`, 'ascii'), payload]);
}

const describeByte = (b: number): string =>
  b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}' (0x${b.toString(16)})` : `0x${b.toString(16).padStart(2, '0')}`;

type DecoderState =
  | { readonly phase: 'length'; digits: string }
  | { readonly phase: 'payload'; readonly length: number; readonly parts: Buffer[]; received: number }
  | { readonly phase: 'failed'; readonly reason: string };

/**
 * Incremental RecordIO decoder. `push` returns the JSON values of the records completed by the
 * chunk (none, one or several). A bad length prefix or a payload that is not JSON throws a
 * RecordIoError; the decoder then stays failed, since it cannot find the next record boundary.
 */
export class RecordIoDecoder {
  private state: DecoderState = { phase: 'length', digits: '' };

  /**
   * `binary`: records are returned as their raw bytes (protobuf streams), not parsed as JSON.
   * `maxRecordBytes`: a smaller limit than MAX_RECORD_BYTES (a longer record is an error).
   */
  constructor(private readonly o: { readonly binary?: boolean; readonly maxRecordBytes?: number } = {}) {}

  private get max(): number {
    return Math.min(this.o.maxRecordBytes ?? MAX_RECORD_BYTES, MAX_RECORD_BYTES);
  }

  push(chunk: Buffer): unknown[] {
    if (this.state.phase === 'failed') throw new RecordIoError(`decoder failed earlier: ${this.state.reason}`);
    const records: unknown[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const state = this.state;
      if (state.phase === 'length') {
        offset = this.readLength(state, chunk, offset);
      } else if (state.phase === 'payload') {
        const take = Math.min(state.length - state.received, chunk.length - offset);
        state.parts.push(chunk.subarray(offset, offset + take));
        state.received += take;
        offset += take;
        if (state.received === state.length) {
          const payload = state.parts.length === 1 ? state.parts[0]! : Buffer.concat(state.parts, state.length);
          this.state = { phase: 'length', digits: '' };
          records.push(this.parsePayload(payload));
        }
      } else {
        break;
      }
    }
    return records;
  }

  /** True when no partial record is buffered (the stream may end cleanly here). */
  get idle(): boolean {
    return this.state.phase === 'length' && this.state.digits === '';
  }

  /** Bytes of the current, incomplete record (prefix digits or payload) held so far. */
  get buffered(): number {
    const s = this.state;
    return s.phase === 'length' ? s.digits.length : s.phase === 'payload' ? s.received : 0;
  }

  /** Call at end of stream: throws when the stream stopped in the middle of a record. */
  end(): void {
    const s = this.state;
    if (s.phase === 'length' && s.digits !== '') this.fail(`stream ended inside the length prefix '${s.digits}'`);
    if (s.phase === 'payload') this.fail(`stream ended after ${s.received} of ${s.length} bytes of a record`);
  }

  /** Consumes prefix bytes from `offset`; returns the offset after what it consumed. */
  private readLength(state: { digits: string }, chunk: Buffer, offset: number): number {
    for (let i = offset; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === LF) {
        this.startPayload(state.digits);
        return i + 1;
      }
      if (b < DIGIT_0 || b > DIGIT_9) {
        this.fail(
          `invalid length prefix '${state.digits}': expected a decimal digit or a line feed, got ${describeByte(b)}`,
        );
      }
      state.digits += String.fromCharCode(b);
      if (state.digits.replace(/^0+/, '').length > MAX_PREFIX_DIGITS) {
        this.fail(`invalid length prefix '${state.digits}…': larger than the limit of ${this.max} bytes`);
      }
    }
    return chunk.length;
  }

  private startPayload(digits: string): void {
    if (digits === '') this.fail('invalid length prefix: empty (a line feed where a record length was expected)');
    const length = Number(digits);
    if (length === 0) this.fail(`invalid length prefix '${digits}': a record cannot be empty`);
    if (length > this.max) {
      this.fail(`invalid length prefix '${digits}': larger than the limit of ${this.max} bytes`);
    }
    this.state = { phase: 'payload', length, parts: [], received: 0 };
  }

  private parsePayload(payload: Buffer): unknown {
    if (this.o.binary === true) return Buffer.from(payload);
    try {
      return JSON.parse(payload.toString('utf8'));
    } catch (e) {
      this.fail(`record of ${payload.length} bytes is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private fail(reason: string): never {
    this.state = { phase: 'failed', reason };
    throw new RecordIoError(`RecordIO: ${reason}`);
  }
}
