/**
 * The snapshot store: a JetStream object store bucket of projection snapshots named by the
 * sequence they cover (`seq-000000001234`). The leader writes one every `everyEvents` folded
 * events; the newest few are kept. A master starting cold loads the newest one its build can read.
 */
import { type ObjectStore, Objm } from '@nats-io/obj';
import type { Logger } from 'pino';
import type { Bus } from '../bus.js';
import { type Snapshot, SnapshotError, decodeSnapshot, encodeSnapshot } from '../snapshot.js';
import type { State } from '../state.js';

export const SNAPSHOT_BUCKET = 'MESOS_SNAPSHOTS';
const KEEP = 3;

const nameOf = (seq: number): string => `seq-${String(seq).padStart(15, '0')}`;
const seqOf = (name: string): number | undefined => {
  const m = /^seq-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
};

export interface SnapshotStore {
  /** The newest readable snapshot at or before `maxSeq` (any when absent), or null. */
  latest(maxSeq?: number): Promise<Snapshot | null>;
  write(state: State, seq: number): Promise<{ bytes: number; ms: number }>;
}

export async function openSnapshotStore(bus: Bus, replicas: number, log: Logger): Promise<SnapshotStore> {
  const slog = log.child({ component: 'snapshots' });
  const os: ObjectStore = await new Objm(bus.js).create(SNAPSHOT_BUCKET, { replicas });

  async function names(): Promise<Array<{ name: string; seq: number }>> {
    const list = await os.list();
    return list
      .filter((i) => !i.deleted)
      .flatMap((i) => {
        const seq = seqOf(i.name);
        return seq === undefined ? [] : [{ name: i.name, seq }];
      })
      .sort((a, b) => b.seq - a.seq);
  }

  return {
    async latest(maxSeq) {
      for (const { name, seq } of await names()) {
        if (maxSeq !== undefined && seq > maxSeq) continue;
        const bytes = await os.getBlob(name);
        if (bytes === null) continue;
        try {
          return decodeSnapshot(bytes);
        } catch (err) {
          slog.warn({ name, code: err instanceof SnapshotError ? err.code : undefined, reason: (err as Error).message }, 'skipping a snapshot this build cannot use');
        }
      }
      return null;
    },
    async write(state, seq) {
      const started = performance.now();
      // Serialised synchronously: a consistent copy of the state at `seq`.
      const bytes = encodeSnapshot(state, seq, Date.now());
      await os.putBlob({ name: nameOf(seq) }, bytes);
      for (const old of (await names()).slice(KEEP)) await os.delete(old.name).catch(() => undefined);
      return { bytes: bytes.byteLength, ms: performance.now() - started };
    },
  };
}
