/**
 * Snapshots of the projection: the state and the log sequence it covers, in V8's structured
 * serialisation (it keeps Maps and Sets, is fast, and takes a consistent copy in one synchronous
 * call, so no clone is needed). A snapshot is an optimisation only: a master can always fold the
 * log from the start. `PROJECTION_VERSION` changes whenever the State's shape does; a snapshot of
 * another version is ignored (the master folds from the start instead).
 */
import { deserialize, serialize } from 'node:v8';
import type { State } from '../core/state.js';

export const PROJECTION_VERSION = 5;

export interface Snapshot {
  readonly seq: number;
  readonly state: State;
  /** When it was taken (ms). */
  readonly takenAt: number;
}

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  constructor(
    readonly code: 'CORRUPT' | 'OTHER_VERSION',
    message: string,
  ) {
    super(message);
  }
}

export function encodeSnapshot(state: State, seq: number, takenAt: number): Uint8Array {
  return serialize({ format: 'mesos-ts-snapshot', version: PROJECTION_VERSION, seq, takenAt, state });
}

export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  let raw: unknown;
  try {
    raw = deserialize(bytes);
  } catch (e) {
    throw new SnapshotError('CORRUPT', `the snapshot does not deserialise: ${(e as Error).message}`);
  }
  const r = raw as { format?: unknown; version?: unknown; seq?: unknown; takenAt?: unknown; state?: unknown };
  if (r === null || typeof r !== 'object' || r.format !== 'mesos-ts-snapshot') throw new SnapshotError('CORRUPT', 'not a snapshot of this project');
  if (r.version !== PROJECTION_VERSION) {
    throw new SnapshotError('OTHER_VERSION', `the snapshot is of projection version ${String(r.version)}; this build folds version ${PROJECTION_VERSION}`);
  }
  if (typeof r.seq !== 'number' || !Number.isInteger(r.seq) || r.seq < 0 || typeof r.state !== 'object' || r.state === null) {
    throw new SnapshotError('CORRUPT', 'the snapshot lacks its sequence or state');
  }
  return { seq: r.seq, state: r.state as State, takenAt: typeof r.takenAt === 'number' ? r.takenAt : 0 };
}
