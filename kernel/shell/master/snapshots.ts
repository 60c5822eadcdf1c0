/**
 * The snapshot store: a JetStream object store bucket of projection snapshots named by the
 * sequence they cover (`seq-000000001234`). The leader writes one every `everyEvents` folded
 * events; the newest few are kept, and a thinned set of older ones spread over all of history
 * (snapshot-retention.ts), so that an auditor finds one near any point. A master starting cold
 * loads the newest one its build can read. `openSnapshotReader` opens the bucket read only (for
 * `mesos replay`, which never writes).
 */
import { type ObjectStore, Objm } from '@nats-io/obj';
import type { Logger } from 'pino';
import type { Bus } from '../bus.js';
import { type Snapshot, SnapshotError, decodeSnapshot, encodeSnapshot } from '../snapshot.js';
import type { State } from '../../core/state.js';
import { type SnapshotRetention, defaultSnapshotRetention, snapshotsToKeep } from './snapshot-retention.js';

export { SNAPSHOT_BUCKET } from '../../../events/nats-api.js';
import { SNAPSHOT_BUCKET } from '../../../events/nats-api.js';

const nameOf = (seq: number): string => `seq-${String(seq).padStart(15, '0')}`;
const seqOf = (name: string): number | undefined => {
  const m = /^seq-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
};

export interface SnapshotReader {
  /** The newest readable snapshot at or before `maxSeq` (any when absent), or null. */
  latest(maxSeq?: number): Promise<Snapshot | null>;
  /** The sequences of the snapshots held, newest first. */
  seqs(): Promise<number[]>;
}

export interface SnapshotStore extends SnapshotReader {
  write(state: State, seq: number): Promise<{ bytes: number; ms: number }>;
}

export async function openSnapshotStore(bus: Bus, replicas: number, log: Logger, retention: SnapshotRetention = defaultSnapshotRetention()): Promise<SnapshotStore> {
  const os: ObjectStore = await new Objm(bus.js).create(SNAPSHOT_BUCKET, { replicas });
  const reader = snapshotReader(os, log);
  return {
    ...reader,
    async write(state, seq) {
      const started = performance.now();
      // Serialised synchronously: a consistent copy of the state at `seq`.
      const bytes = encodeSnapshot(state, seq, Date.now());
      await os.putBlob({ name: nameOf(seq) }, bytes);
      const held = await names(os);
      const keep = snapshotsToKeep(held.map((h) => h.seq), retention);
      for (const old of held) if (!keep.has(old.seq)) await os.delete(old.name).catch(() => undefined);
      return { bytes: bytes.byteLength, ms: performance.now() - started };
    },
  };
}

/** The snapshot store read only, or null when there is none (no master has written a snapshot). */
export async function openSnapshotReader(bus: Bus, log: Logger): Promise<SnapshotReader | null> {
  let os: ObjectStore;
  try {
    os = await new Objm(bus.js).open(SNAPSHOT_BUCKET);
  } catch (err) {
    if (/not found/i.test((err as Error).message)) return null;
    throw err;
  }
  return snapshotReader(os, log);
}

async function names(os: ObjectStore): Promise<Array<{ name: string; seq: number }>> {
  const list = await os.list();
  return list
    .filter((i) => !i.deleted)
    .flatMap((i) => {
      const seq = seqOf(i.name);
      return seq === undefined ? [] : [{ name: i.name, seq }];
    })
    .sort((a, b) => b.seq - a.seq);
}

function snapshotReader(os: ObjectStore, log: Logger): SnapshotReader {
  const slog = log.child({ component: 'snapshots' });
  return {
    async latest(maxSeq) {
      for (const { name, seq } of await names(os)) {
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
    async seqs() {
      return (await names(os)).map((n) => n.seq);
    },
  };
}
