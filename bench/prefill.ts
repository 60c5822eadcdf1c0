/**
 * Pre-fill the cluster log with history: events appended pipelined (up to `window` publishes
 * outstanding), each on its own subject, in the given order (one connection keeps it). Events are
 * already in their validated form, so `JSON.stringify` is exactly what `encode` would write.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { type ClusterEvent, subjectFor } from '../events/index.js';

export interface PrefillResult {
  readonly events: number;
  readonly bytes: number;
  readonly ms: number;
  readonly largestEventBytes: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

const enc = new TextEncoder();

export async function prefillLog(
  js: JetStreamClient,
  events: Iterable<ClusterEvent>,
  o: { window: number; onEvent?: (e: ClusterEvent) => void; progress?: (done: number, bytes: number) => void; progressEvery?: number },
): Promise<PrefillResult> {
  const t0 = performance.now();
  const it = events[Symbol.iterator]();
  let started = 0;
  let done = 0;
  let bytes = 0;
  let largest = 0;
  let firstSeq = Number.POSITIVE_INFINITY;
  let lastSeq = 0;
  let exhausted = false;
  const every = o.progressEvery ?? 100_000;
  return new Promise<PrefillResult>((resolve, reject) => {
    let failed = false;
    const finish = (): void => resolve({ events: done, bytes, ms: performance.now() - t0, largestEventBytes: largest, firstSeq: done === 0 ? 0 : firstSeq, lastSeq });
    const pump = (): void => {
      while (!failed && !exhausted && started - done < o.window) {
        let r: IteratorResult<ClusterEvent>;
        try {
          r = it.next();
        } catch (err) {
          failed = true;
          reject(err as Error);
          return;
        }
        if (r.done) {
          exhausted = true;
          break;
        }
        const e = r.value;
        o.onEvent?.(e);
        const data = enc.encode(JSON.stringify(e));
        bytes += data.byteLength;
        if (data.byteLength > largest) largest = data.byteLength;
        started++;
        js.publish(subjectFor(e), data, { timeout: 30_000 }).then(
          (ack) => {
            done++;
            if (ack.seq < firstSeq) firstSeq = ack.seq;
            if (ack.seq > lastSeq) lastSeq = ack.seq;
            if (done % every === 0) o.progress?.(done, bytes);
            if (exhausted && done === started) finish();
            else pump();
          },
          (err: unknown) => {
            if (failed) return;
            failed = true;
            reject(new Error(`pre-fill: append ${started} (${e.type}, ${data.byteLength} bytes) failed: ${(err as Error).message}`));
          },
        );
      }
      if (exhausted && done === started && !failed) finish();
    };
    pump();
  });
}
