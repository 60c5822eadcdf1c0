/**
 * The NATS subjects beside the cluster log's own (events/subjects.ts): the JetStream API of the
 * cluster stream, of the lease bucket and of the snapshot store, the inboxes, and the system
 * account's claims update. Permissions (security/nats/permissions.ts) are built from these and
 * from `subjects`, and from nothing else.
 */
import { STREAM_NAME } from './stream.js';

/** The KV bucket of the leader lease (stream `KV_<bucket>`). */
export const LEASE_BUCKET = 'MESOS_LEADER';
/** The object store of the masters' snapshots (stream `OBJ_<bucket>`). */
export const SNAPSHOT_BUCKET = 'MESOS_SNAPSHOTS';

const API = '$JS.API';
const kvStream = `KV_${LEASE_BUCKET}`;
const objStream = `OBJ_${SNAPSHOT_BUCKET}`;

/** JetStream API subjects, per stream. `s` defaults to the cluster stream. */
export const jsApi = {
  /** Account info (every client asks it when it opens JetStream). */
  info: `${API}.INFO`,
  streamInfo: (s: string = STREAM_NAME) => `${API}.STREAM.INFO.${s}`,
  streamCreate: (s: string = STREAM_NAME) => `${API}.STREAM.CREATE.${s}`,
  streamUpdate: (s: string = STREAM_NAME) => `${API}.STREAM.UPDATE.${s}`,
  streamDelete: (s: string = STREAM_NAME) => `${API}.STREAM.DELETE.${s}`,
  streamPurge: (s: string = STREAM_NAME) => `${API}.STREAM.PURGE.${s}`,
  streamNames: `${API}.STREAM.NAMES`,
  streamList: `${API}.STREAM.LIST`,
  /** Read any message of the stream by sequence or last-by-subject (in the request body). */
  msgGet: (s: string = STREAM_NAME) => `${API}.STREAM.MSG.GET.${s}`,
  msgDelete: (s: string = STREAM_NAME) => `${API}.STREAM.MSG.DELETE.${s}`,
  /** Direct get; with a subject: the last message on exactly that subject (in the request subject). */
  directGet: (s: string = STREAM_NAME, lastBySubject?: string) => (lastBySubject === undefined ? `${API}.DIRECT.GET.${s}` : `${API}.DIRECT.GET.${s}.${lastBySubject}`),
  directGetAny: (s: string = STREAM_NAME) => `${API}.DIRECT.GET.${s}.>`,
  /** Create a named consumer whose single filter is `filter` (any name: `*`). */
  consumerCreateFiltered: (filter: string, s: string = STREAM_NAME) => `${API}.CONSUMER.CREATE.${s}.*.${filter}`,
  /** Create any consumer (any filter, or several). */
  consumerCreateAny: (s: string = STREAM_NAME) => `${API}.CONSUMER.CREATE.${s}.>`,
  consumerCreateLegacy: (s: string = STREAM_NAME) => `${API}.CONSUMER.CREATE.${s}`,
  consumerDurableCreate: (s: string = STREAM_NAME) => `${API}.CONSUMER.DURABLE.CREATE.${s}.>`,
  consumerInfo: (s: string = STREAM_NAME) => `${API}.CONSUMER.INFO.${s}.*`,
  consumerDelete: (s: string = STREAM_NAME) => `${API}.CONSUMER.DELETE.${s}.*`,
  consumerNext: (s: string = STREAM_NAME) => `${API}.CONSUMER.MSG.NEXT.${s}.*`,
  consumerNames: (s: string = STREAM_NAME) => `${API}.CONSUMER.NAMES.${s}`,
  consumerList: (s: string = STREAM_NAME) => `${API}.CONSUMER.LIST.${s}`,
  /** Everything of the JetStream API. */
  all: `${API}.>`,
  /** Acknowledgements and flow-control replies of a stream's consumers. */
  acks: (s: string = STREAM_NAME) => `$JS.ACK.${s}.>`,
  flowControl: (s: string = STREAM_NAME) => `$JS.FC.${s}.>`,
  kvStream,
  objStream,
  /** The lease bucket's keys (put, get, watch). */
  kvKeys: `$KV.${LEASE_BUCKET}.>`,
  /** The snapshot store's chunks and metadata. */
  objKeys: `$O.${SNAPSHOT_BUCKET}.>`,
} as const;

/** A party's own inbox prefix (set as the client's `inboxPrefix`), so nobody reads another's replies. */
export const inboxPrefix = (name: string): string => `_INBOX_${name}`;
export const inboxesOf = (name: string): string => `${inboxPrefix(name)}.>`;
/** Where the system account takes updated account JWTs (a full/`nats` resolver). */
export const claimsUpdate = '$SYS.REQ.CLAIMS.UPDATE';
/** Where a user of the system account asks a server for its identity (a probe). */
export const sysAll = '$SYS.>';
