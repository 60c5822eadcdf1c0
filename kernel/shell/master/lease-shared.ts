/**
 * What the leader lease's two threads share: the messages they exchange and a small block of
 * shared memory that each side reads without waiting for the other's event loop.
 *
 * Layout: int32 [0] = 1 while the lease thread holds the lease; int64 at byte 8 = the main
 * thread's last beat (ms since the epoch).
 */
export { LEASE_BUCKET } from '../../../events/nats-api.js';
import { LEASE_BUCKET } from '../../../events/nats-api.js';
export const LEASE_KEY = 'leader';

export interface LeaseWorkerData {
  readonly servers: string[];
  /** TLS: the CA the NATS server's certificate is verified against. */
  readonly tlsCa?: string;
  /** NATS credentials (a `.creds` file). */
  readonly creds?: string;
  readonly masterId: string;
  readonly ttlMs: number;
  /** A beat older than this means the main thread cannot lead (≥ ttlMs). */
  readonly stallMs: number;
  readonly replicas: number;
  readonly shared: SharedArrayBuffer;
  readonly logLevel: string;
  readonly logName: string | undefined;
  readonly logBindings: Record<string, unknown>;
}

export type ToLeaseWorker = { type: 'release' } | { type: 'stop' };
export type FromLeaseWorker = { type: 'state'; held: boolean; holder: string | null } | { type: 'released' } | { type: 'stopped' };

export class LeaseShared {
  static readonly BYTES = 16;
  private readonly flags: Int32Array;
  private readonly beats: BigInt64Array;
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(LeaseShared.BYTES)) {
    this.flags = new Int32Array(buffer, 0, 1);
    this.beats = new BigInt64Array(buffer, 8, 1);
  }
  held(): boolean {
    return Atomics.load(this.flags, 0) === 1;
  }
  setHeld(held: boolean): void {
    Atomics.store(this.flags, 0, held ? 1 : 0);
  }
  beat(): number {
    return Number(Atomics.load(this.beats, 0));
  }
  setBeat(ms: number): void {
    Atomics.store(this.beats, 0, BigInt(Math.floor(ms)));
  }
}
