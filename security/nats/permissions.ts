/**
 * What each party may publish and subscribe on the bus: exactly the subjects its process uses
 * (read from kernel/shell/bus.ts, kernel/shell/master/, agent/, frameworks/sdk/, replay/) and the
 * JetStream API requests behind them. Every subject comes from events/ (subjects, jsApi).
 *
 * Reading the log is an ordered consumer. A party that may read only part of the log creates
 * consumers with one filter, which nats-server's consumer-create API carries in the request
 * subject (`$JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>`): permitting that subject for its
 * own filters, and no other create subject, is what confines its reading. Consumer names are
 * random (nuid) and nobody but the master, admin and auditor may list them, so the info, next and
 * delete requests (by name) reach only consumers a party knows.
 */
import {
  type AgentId,
  type FrameworkId,
  SNAPSHOT_BUCKET,
  LEASE_BUCKET,
  STREAM_NAME,
  inboxesOf,
  jsApi,
  subjects,
} from '../../events/index.js';
import type { SubjectPermission } from './jwt.js';

export type Party = 'master' | 'agent' | 'framework' | 'auditor' | 'admin';
export const PARTIES: readonly Party[] = ['master', 'agent', 'framework', 'auditor', 'admin'];

export interface Permissions {
  pub: SubjectPermission;
  sub: SubjectPermission;
  /** May answer requests it receives (pings, queries): one reply each, within this long (ms). */
  respond?: { max: number; ttlMs: number };
}

/** What every reader of (part of) the cluster stream needs beside its consumer-create subjects. */
const readerBasics = (): string[] => [
  jsApi.info,
  jsApi.streamInfo(),
  jsApi.consumerInfo(),
  jsApi.consumerNext(),
  jsApi.consumerDelete(),
  jsApi.flowControl(),
];

/** A user name as NATS and our inbox prefixes take it: letters, digits, `-` and `_`. */
export function checkName(name: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(name)) throw new Error(`bad credential name ${JSON.stringify(name)}: letters, digits, '-' and '_' only (at most 128)`);
  return name;
}

/**
 * A framework's own state store: one JetStream stream of its own (the services framework keeps its
 * apps and deployments in `SERVICES` over `svc.>`). Granted at issue time, to that framework only:
 * it may create the stream, append to its subjects and read it, never update, purge or delete it.
 */
export interface FrameworkStore {
  readonly stream: string;
  readonly subjects: string;
}

/** `STREAM:SUBJECTS` (e.g. `SERVICES:svc.>`), as `mesos creds issue framework --store` takes it. */
export function parseStore(text: string): FrameworkStore {
  const m = /^([A-Za-z0-9_-]{1,64}):([A-Za-z0-9_.*>-]{1,128})$/.exec(text);
  if (m === null || m[1] === STREAM_NAME || m[2]!.startsWith('cl.') || m[2] === '>' || m[2]!.startsWith('$') || m[2]!.startsWith('_INBOX')) {
    throw new Error(`bad --store ${JSON.stringify(text)}: STREAM:SUBJECTS of a stream of the framework's own (e.g. SERVICES:svc.>), not the cluster log's`);
  }
  return { stream: m[1]!, subjects: m[2]! };
}

const storeGrants = (st: FrameworkStore): string[] => [
  st.subjects,
  jsApi.streamInfo(st.stream),
  jsApi.streamCreate(st.stream),
  jsApi.msgGet(st.stream),
  jsApi.directGetAny(st.stream),
  jsApi.directGet(st.stream),
  jsApi.consumerCreateAny(st.stream),
  jsApi.consumerCreateLegacy(st.stream),
  jsApi.consumerInfo(st.stream),
  jsApi.consumerNext(st.stream),
  jsApi.consumerDelete(st.stream),
  jsApi.flowControl(st.stream),
  jsApi.acks(st.stream),
];

export function permissionsFor(party: Party, name: string, store?: FrameworkStore): Permissions {
  const inbox = inboxesOf(name);
  switch (party) {
    case 'master':
      return {
        // Appends every decision and the operator's calls (and HTTP frameworks' calls); pings
        // agents and frameworks; answers reconcile queries and its presence; holds the lease
        // and writes snapshots. May create the cluster stream (made with deny_delete and
        // deny_purge) and its own buckets, but not update, purge or delete any stream.
        pub: {
          allow: [
            subjects.all,
            'live.>',
            jsApi.info,
            jsApi.streamInfo(),
            jsApi.streamCreate(),
            jsApi.msgGet(),
            jsApi.directGet(),
            jsApi.directGetAny(),
            jsApi.consumerCreateAny(),
            jsApi.consumerInfo(),
            jsApi.consumerNext(),
            jsApi.consumerDelete(),
            jsApi.flowControl(),
            jsApi.streamInfo(jsApi.kvStream),
            jsApi.streamCreate(jsApi.kvStream),
            jsApi.msgGet(jsApi.kvStream),
            jsApi.directGetAny(jsApi.kvStream),
            jsApi.directGet(jsApi.kvStream),
            jsApi.consumerCreateAny(jsApi.kvStream),
            jsApi.consumerInfo(jsApi.kvStream),
            jsApi.consumerDelete(jsApi.kvStream),
            jsApi.flowControl(jsApi.kvStream),
            jsApi.kvKeys,
            jsApi.streamInfo(jsApi.objStream),
            jsApi.streamCreate(jsApi.objStream),
            jsApi.msgGet(jsApi.objStream),
            jsApi.directGetAny(jsApi.objStream),
            jsApi.directGet(jsApi.objStream),
            jsApi.consumerCreateAny(jsApi.objStream),
            jsApi.consumerInfo(jsApi.objStream),
            jsApi.consumerDelete(jsApi.objStream),
            jsApi.consumerNext(jsApi.objStream),
            jsApi.flowControl(jsApi.objStream),
            jsApi.streamPurge(jsApi.objStream),
            jsApi.objKeys,
          ],
        },
        sub: { allow: [subjects.all, 'live.>', subjects.reconcileQueries, inbox] },
        respond: { max: 1, ttlMs: 60_000 },
      };
    case 'agent': {
      const id = name as AgentId;
      return {
        // Appends only its own facts and statuses; reads its commands, its own statuses (to know
        // which are in the log) and the elections; answers the leader's pings; hears the
        // frameworks' acknowledgements as they are appended (its executors are told of theirs).
        pub: {
          allow: [
            subjects.reportsOf(id),
            ...readerBasics(),
            jsApi.consumerCreateFiltered(subjects.commandsOf(id)),
            jsApi.consumerCreateFiltered(subjects.reportsOf(id)),
            jsApi.consumerCreateFiltered(subjects.sys('leader')),
          ],
        },
        sub: { allow: [subjects.commandsOf(id), subjects.sys('leader'), subjects.agentPing(id), subjects.acknowledgementsOfAny, inbox] },
        respond: { max: 1, ttlMs: 60_000 },
      };
    }
    case 'framework': {
      const id = name as FrameworkId;
      return {
        // Appends only its own calls; reads what the leader tells it, the statuses of its tasks
        // and the elections; asks the leader to reconcile; answers its pings.
        pub: {
          allow: [
            subjects.callsOf(id),
            subjects.reconcileQuery(id),
            ...readerBasics(),
            jsApi.directGet(undefined, subjects.sys('leader')),
            jsApi.consumerCreateFiltered(subjects.toldTo(id)),
            jsApi.consumerCreateFiltered(subjects.statusesOf(id)),
            jsApi.consumerCreateFiltered(subjects.executorMessagesOf(id)),
            jsApi.consumerCreateFiltered(subjects.sys('leader')),
            // Agents' registrations (hostname, attributes, resources: what offers and the
            // read-only /master/state show anyway), for placement constraints on attributes.
            jsApi.consumerCreateFiltered(subjects.agentFact('*' as AgentId, 'registered')),
            jsApi.consumerCreateFiltered(subjects.agentFact('*' as AgentId, 'reregistered')),
            ...(store !== undefined ? storeGrants(store) : []),
          ],
        },
        sub: { allow: [subjects.frameworkPing(id), subjects.redeliveredUpdates(id), inbox] },
        respond: { max: 1, ttlMs: 60_000 },
      };
    }
    case 'auditor':
      // Reads everything of the log (replay, export, verify) and appends nothing. Its consumers
      // are ephemeral: the durable-create API is not permitted.
      return {
        pub: {
          allow: [
            jsApi.info,
            jsApi.streamInfo(),
            jsApi.streamNames,
            jsApi.streamList,
            jsApi.msgGet(),
            jsApi.directGet(),
            jsApi.directGetAny(),
            jsApi.consumerCreateAny(),
            jsApi.consumerCreateLegacy(),
            jsApi.consumerInfo(),
            jsApi.consumerNext(),
            jsApi.consumerDelete(),
            jsApi.flowControl(),
            // The masters' snapshots, read only (`replay state --at`, `--view projection`).
            jsApi.streamInfo(jsApi.objStream),
            jsApi.msgGet(jsApi.objStream),
            jsApi.directGet(jsApi.objStream),
            jsApi.directGetAny(jsApi.objStream),
            jsApi.consumerCreateAny(jsApi.objStream),
            jsApi.consumerInfo(jsApi.objStream),
            jsApi.consumerNext(jsApi.objStream),
            jsApi.consumerDelete(jsApi.objStream),
            jsApi.flowControl(jsApi.objStream),
          ],
          deny: [jsApi.consumerDurableCreate(), jsApi.consumerDurableCreate(jsApi.objStream)],
        },
        sub: { allow: [inbox] },
      };
    case 'admin':
      // The stream's administrator: every JetStream API request (create, update, purge, delete
      // streams), reading everything; it appends no event.
      return {
        pub: { allow: [jsApi.all, jsApi.acks(), jsApi.flowControl()], deny: [subjects.all] },
        sub: { allow: [subjects.all, inbox] },
      };
  }
}

/** The buckets named in the master's permissions (for the docs and tests). */
export const MASTER_BUCKETS = [LEASE_BUCKET, SNAPSHOT_BUCKET] as const;
