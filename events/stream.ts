/**
 * The cluster log's stream definition, in one place. One stream holds every event, so there is
 * one total order. History is kept (no age limit): it is the audit trail. The duplicate window
 * absorbs re-sends of the same `Nats-Msg-Id` (an outbox command sent twice across a failover).
 *
 * Nothing may be taken out of it: `deny_delete` (no message deleted through the API) and
 * `deny_purge` (no purge). nats-server never lets a stream update cancel either, so once set they
 * hold for the stream's life; only deleting the whole stream remains, which credentials reserve to
 * the admin and which every master notices (kernel/shell/master/log-guard.ts).
 */
// Types only: events/ (and the pure kernel core above it) loads no NATS code; the values below are
// the JetStream API's own strings for these enums.
import type { DiscardPolicy, RetentionPolicy, StorageType, StreamConfig } from '@nats-io/jetstream';
import { subjects } from './subjects.js';

export const STREAM_NAME = 'CLUSTER';

export interface StreamOptions {
  /** Replicas: 1 on a single server, 3 on a three-node cluster. */
  readonly replicas: number;
  /** Total size cap in bytes; -1 keeps everything. */
  readonly maxBytes: number;
  /** Largest single event in bytes. */
  readonly maxMsgSize: number;
  /** Window in which a repeated Nats-Msg-Id is dropped, in milliseconds. */
  readonly duplicateWindowMs: number;
}

export const defaultStreamOptions = (): StreamOptions => ({
  replicas: 1,
  maxBytes: -1,
  maxMsgSize: 4 * 1024 * 1024,
  duplicateWindowMs: 2 * 60 * 1000,
});

export function streamConfig(o: StreamOptions = defaultStreamOptions()): Partial<StreamConfig> & { name: string } {
  return {
    name: STREAM_NAME,
    description: 'The cluster log: every event of the cluster, in order',
    subjects: [subjects.all],
    storage: 'file' as StorageType,
    retention: 'limits' as RetentionPolicy,
    discard: 'old' as DiscardPolicy,
    max_age: 0,
    max_bytes: o.maxBytes,
    max_msgs: -1,
    max_msg_size: o.maxMsgSize,
    duplicate_window: o.duplicateWindowMs * 1_000_000,
    num_replicas: o.replicas,
    allow_direct: true,
    deny_delete: true,
    deny_purge: true,
  };
}
