/**
 * Operator event stream subscribers for the pipeline benchmark: N connections to the master's
 * SUBSCRIBE (POST /api/v1), each reading and counting RecordIO records, in a worker thread of
 * their own so that reading them does not share the master's event loop (the master's cost of
 * serving them is what is measured). With `gzip`, each asks for the stream gzip-compressed; one in
 * GZIP_SAMPLE inflates it and counts its records (bytes counted are the inflated ones), the others
 * only read the compressed bytes: inflating 1,000 streams would cost the shared machine far more
 * than serving them costs the master, and a subscriber's own work is not the master's. This file is
 * both the handle (main thread) and the worker.
 */
import { request } from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { constants as zlibConstants, createGunzip } from 'node:zlib';

/** With gzip, one subscriber in this many inflates and counts its records. */
export const GZIP_SAMPLE = 10;

export interface SubscriberCounts {
  readonly open: number;
  readonly subscribed: number;
  /** Records received by the subscribers that count them (`counting`). */
  readonly records: number;
  /** How many subscribers count records (all of them, or with gzip one in GZIP_SAMPLE). */
  readonly counting: number;
  /** Bytes the counting subscribers got (inflated). */
  readonly bytes: number;
  /** Bytes all subscribers read off their connections (compressed ones as they came). */
  readonly wireBytes: number;
  readonly closedByServer: number;
}

export interface OperatorSubscribers {
  /** Resolves once every subscriber has had its SUBSCRIBED. */
  readonly ready: Promise<void>;
  counts(): Promise<SubscriberCounts>;
  stop(): Promise<void>;
}

export function startOperatorSubscribers(url: string, n: number, gzip = false): OperatorSubscribers {
  const w = new Worker(new URL(import.meta.url), { workerData: { url, n, gzip } });
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  const waiting: ((c: SubscriberCounts) => void)[] = [];
  w.on('message', (m: { kind: 'ready' } | { kind: 'counts'; counts: SubscriberCounts } | { kind: 'error'; message: string }) => {
    if (m.kind === 'ready') resolveReady();
    else if (m.kind === 'counts') waiting.shift()?.(m.counts);
    else rejectReady(new Error(`operator subscribers: ${m.message}`));
  });
  w.on('error', (e) => rejectReady(e));
  return {
    ready,
    counts: () =>
      new Promise((res) => {
        waiting.push(res);
        w.postMessage('counts');
      }),
    async stop() {
      await w.terminate();
    },
  };
}

function worker(url: string, n: number, gzip: boolean): void {
  const counting = gzip ? Math.ceil(n / GZIP_SAMPLE) : n;
  const c = { open: 0, subscribed: 0, records: 0, counting, bytes: 0, wireBytes: 0, closedByServer: 0 };
  let stopping = false;
  const body = JSON.stringify({ type: 'SUBSCRIBE' });
  for (let i = 0; i < n; i++) {
    const headers = { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...(gzip ? { 'Accept-Encoding': 'gzip' } : {}) };
    const req = request(new URL('/api/v1', url), { method: 'POST', agent: false, headers }, (res) => {
      if (res.statusCode !== 200) {
        parentPort!.postMessage({ kind: 'error', message: `SUBSCRIBE answered ${res.statusCode}` });
        return;
      }
      c.open++;
      // Count records: parse the length prefixes, skip the payloads.
      let need = -1;
      let digits = '';
      let first = true;
      if (gzip && res.headers['content-encoding'] !== 'gzip') parentPort!.postMessage({ kind: 'error', message: `asked for gzip, got Content-Encoding ${res.headers['content-encoding'] ?? '(none)'}` });
      const counts = !gzip || i % GZIP_SAMPLE === 0;
      res.on('data', (chunk: Buffer) => {
        c.wireBytes += chunk.length;
        if (!counts && first) {
          first = false; // its first bytes: it has its SUBSCRIBED
          if (++c.subscribed === n) parentPort!.postMessage({ kind: 'ready' });
        }
      });
      if (!counts) return;
      const stream = gzip ? res.pipe(createGunzip({ finishFlush: zlibConstants.Z_SYNC_FLUSH })).on('error', () => undefined) : res;
      stream.on('data', (chunk: Buffer) => {
        c.bytes += chunk.length;
        let i = 0;
        while (i < chunk.length) {
          if (need < 0) {
            const b = chunk[i++]!;
            if (b === 0x0a) {
              need = Number(digits);
              digits = '';
            } else digits += String.fromCharCode(b);
          } else {
            const take = Math.min(need, chunk.length - i);
            i += take;
            need -= take;
            if (need === 0) {
              need = -1;
              c.records++;
              if (first) {
                first = false;
                if (++c.subscribed === n) parentPort!.postMessage({ kind: 'ready' });
              }
            }
          }
        }
      });
      res.on('close', () => {
        c.open--;
        if (!stopping) c.closedByServer++;
      });
    });
    req.on('error', (e) => parentPort!.postMessage({ kind: 'error', message: e.message }));
    req.end(body);
  }
  parentPort!.on('message', () => parentPort!.postMessage({ kind: 'counts', counts: { ...c } }));
  process.on('exit', () => (stopping = true));
}

if (!isMainThread && parentPort !== null && (workerData as { url?: string } | null)?.url !== undefined) {
  const d = workerData as { url: string; n: number; gzip: boolean };
  worker(d.url, d.n, d.gzip);
}
