/**
 * The native scheduler SDK: a framework over NATS. `subscribe()` appends FrameworkSubscribed and
 * follows everything addressed to this framework (three readers, one filter each, as its credentials allow): offers, rescinds, refusals,
 * status updates from agents and from the leader, and leader changes (to ignore decisions of a
 * deposed leader). Calls (`accept`, `decline`, `kill`, `acknowledge`, …) are appended to the log.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Logger } from 'pino';
import { Observable, Subject, concat, defer, from } from 'rxjs';
import {
  type AgentId,
  CommandInfo,
  type ExecutorId,
  type ExecutorInfo,
  type Operation,
  CheckInfo,
  type ClusterEvent,
  type ClusterEventInput,
  type EventOf,
  type FrameworkCapability,
  type FrameworkId,
  HealthCheck,
  type OfferId,
  type Resources,
  SCHEMA_VERSION,
  EVENT_VERSIONS,
  refuseFilter,
  type TaskId,
  type TaskInfo,
  TaskStatus,
  ReconcileAnswer,
  type ReconciledStatus,
  asFrameworkId,
  epochOf,
  subjects,
} from '../../events/index.js';
import { RequestError, TimeoutError } from '@nats-io/transport-node';
import { type Bus, append, connectBus, credsFromEnv, readLog } from '../../kernel/shell/bus.js';
import { readCredsFile } from '../../security/nats/index.js';
import { JetStreamApiError } from '@nats-io/jetstream';
import { STREAM_NAME, decode } from '../../events/index.js';
import { parseResources } from '../../kernel/core/resources.js';
import { refusalToStatuses } from '../../events/refusals.js';

export interface Offer {
  readonly id: OfferId;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly hostname: string;
  readonly role: string;
  readonly resources: Resources;
  readonly expiresAt?: number | undefined;
}

export interface TaskSpec {
  readonly taskId: string;
  readonly name?: string;
  readonly agentId: AgentId;
  /** Resources as a list, or Mesos's text form `cpus:0.1;mem:32`. */
  readonly resources: Resources | string;
  /** A shell command line, or a full command (environment, arguments, user, URIs to fetch). One of `command` and `executor`. */
  readonly command?: string | CommandInfoInput;
  /** A custom executor to run the task (started with its first task on the agent, shared by the later ones). */
  readonly executor?: ExecutorSpec;
  /** Bytes for the executor (Mesos's TaskInfo.data): a string is sent as its UTF-8 bytes. */
  readonly data?: string | Uint8Array;
  readonly killGracePeriodMs?: number;
  readonly labels?: Record<string, string>;
  /** Isolation options: an empty network namespace (`network: 'NONE'`), sharing the agent's pid namespace. */
  readonly container?: TaskInfo['container'];
  /** Run by the agent (Mesos's defaults fill what is not given); the task is killed when it fails too often. */
  readonly healthCheck?: z.input<typeof HealthCheck>;
  /** Run by the agent; its result comes back in the updates' `checkStatus`. */
  readonly check?: z.input<typeof CheckInfo>;
}

/** A custom executor as a framework writes it (Mesos's ExecutorInfo of type CUSTOM). */
export interface ExecutorSpec {
  readonly executorId: string;
  readonly name?: string;
  /** The executor program: a shell command line, or a full command (environment, URIs fetched into its sandbox). */
  readonly command: string | CommandInfoInput;
  /** Its own resources, held besides its tasks' while it runs. */
  readonly resources: Resources | string;
  /** SHUTDOWN, then this long, then SIGKILL (default: the agent's --executor-shutdown-grace-period). */
  readonly shutdownGracePeriodMs?: number;
}

/** A message of one of this framework's executors (Mesos's scheduler event MESSAGE). */
export interface ExecutorMessage {
  readonly agentId: AgentId;
  readonly executorId: ExecutorId;
  readonly data: Buffer;
}

/** The command of a task as a framework writes it (defaults not yet applied). */
export type CommandInfoInput = z.input<typeof CommandInfo>;

/** An offer operation as a framework writes it: LAUNCH, or LAUNCH_GROUP (tasks together under one executor). */
export type OperationSpec =
  | { readonly type: 'LAUNCH'; readonly tasks: readonly TaskSpec[] }
  | {
      readonly type: 'LAUNCH_GROUP';
      /** Mesos's DEFAULT executor (an id and its resources: each task runs in a container of its own), or a custom executor (an ExecutorSpec, with its `command`: it gets the group in one LAUNCH_GROUP, and its tasks need no command). */
      readonly executor: { readonly executorId: string; readonly resources: Resources | string } | ExecutorSpec;
      readonly tasks: readonly TaskSpec[];
    };

/** What a framework still wants (Mesos's REQUEST): the allocator explains it when it stays unmet. */
export interface ResourceRequest {
  /** A name to find it by (a task name): `mesos replay why-pending --task-name`. */
  readonly name?: string;
  readonly role?: string;
  readonly agentId?: AgentId;
  readonly resources: Resources | string;
}

/** An inverse offer: the leader asks for an agent's resources back before its maintenance window. */
export interface InverseOffer {
  readonly id: string;
  readonly agentId: AgentId;
  readonly hostname: string;
  readonly unavailability: { readonly start: number; readonly durationMs?: number | undefined };
}

export interface SchedulerOptions {
  readonly nats: string;
  /** TLS: verify NATS's certificate against this CA (PEM file). */
  readonly tlsCa?: string;
  /** NATS credentials (a `.creds` file issued for this framework's id; default MESOS_CREDS). */
  readonly creds?: string;
  readonly name: string;
  readonly user?: string;
  readonly roles?: readonly string[];
  /** Re-subscribe as an existing framework (failover of the scheduler). */
  readonly frameworkId?: string;
  readonly failoverTimeoutMs?: number;
  readonly checkpoint?: boolean;
  readonly capabilities?: readonly FrameworkCapability[];
  /** Roles it wants no offers for yet (Mesos's suppressed_roles). */
  readonly suppressedRoles?: readonly string[];
  readonly principal?: string;
  readonly log: Logger;
}

export interface Scheduler {
  readonly frameworkId: FrameworkId;
  /** Each subscriber first gets the offers still held (not accepted, declined or rescinded), then new ones. */
  readonly offers$: Observable<Offer>;
  /** The offers held now. */
  outstandingOffers(): Offer[];
  readonly rescinds$: Observable<OfferId>;
  /**
   * Task status updates, including those synthesised from a refused accept (as Mesos would send),
   * and updates delivered again by the leader while they are not acknowledged (same uuid).
   */
  readonly updates$: Observable<TaskStatus>;
  readonly refusals$: Observable<EventOf<'AcceptRefused'>>;
  /** The framework was removed (torn down or timed out). */
  readonly removed$: Observable<EventOf<'FrameworkRemoved'>>;
  /** Messages from this framework's executors (Mesos's MESSAGE event), through the log. */
  readonly messages$: Observable<ExecutorMessage>;
  /** A message for one of its executors (Mesos's MESSAGE call); dropped, as by Mesos, when that executor does not run there. */
  message(agentId: AgentId, executorId: string, data: string | Uint8Array): Promise<void>;
  /** Launch tasks on offers (of one agent); `operations` go first (RESERVE, CREATE, …), as in Mesos's ACCEPT. */
  accept(offerIds: readonly OfferId[], tasks: readonly TaskSpec[], opts?: { refuseSeconds?: number; operations?: readonly Operation[] }): Promise<void>;
  /** Accept with explicit operations: LAUNCH, LAUNCH_GROUP (tasks together under one executor), or any Operation (RESERVE, CREATE, …), in order. */
  acceptOperations(offerIds: readonly OfferId[], operations: ReadonlyArray<OperationSpec | Operation>, opts?: { refuseSeconds?: number }): Promise<void>;
  decline(offerIds: readonly OfferId[], refuseSeconds?: number): Promise<void>;
  kill(taskId: string, opts?: { agentId?: AgentId; gracePeriodMs?: number }): Promise<void>;
  /**
   * Ask the leader for the latest state of these tasks (none: every live task of this framework),
   * as Mesos's reconciliation. The answers carry REASON_RECONCILIATION and no uuid (they need no
   * acknowledgement); they are returned, not put on `updates$`. Unknown tasks are TASK_GONE /
   * TASK_UNREACHABLE / TASK_UNKNOWN (TASK_LOST for a framework that is not partition-aware), with
   * no agent id when none was given. The answer reflects every call this scheduler made before it.
   * Waits for a leader.
   */
  reconcile(tasks?: ReadonlyArray<{ taskId: string; agentId?: string }>, opts?: { timeoutMs?: number }): Promise<ReconciledStatus[]>;
  /** Acknowledge an update that carries a uuid (others need none; this is then a no-op). */
  acknowledge(status: TaskStatus): Promise<void>;
  /** Offers again for these roles (all when none are given); their refuse filters go. */
  revive(roles?: readonly string[]): Promise<void>;
  /** No offers for these roles (all when none are given) until revived. */
  suppress(roles?: readonly string[]): Promise<void>;
  /** State what it still wants (replacing what it stated before; none withdraws it). */
  request(requests: readonly ResourceRequest[]): Promise<void>;
  /** Inverse offers made to it (maintenance); answer with acceptInverseOffers / declineInverseOffers. */
  readonly inverseOffers$: Observable<InverseOffer>;
  acceptInverseOffers(ids: readonly string[]): Promise<void>;
  declineInverseOffers(ids: readonly string[], refuseSeconds?: number): Promise<void>;
  /** Remove the framework: its tasks are killed. */
  teardown(): Promise<void>;
  /** Disconnect without tearing down. */
  close(): Promise<void>;
}

const commandOf = (c: string | CommandInfoInput): TaskInfo['command'] & object => CommandInfo.parse(typeof c === 'string' ? { value: c, shell: true } : c);

export function toExecutorInfo(e: ExecutorSpec): ExecutorInfo {
  return {
    executorId: e.executorId as ExecutorId,
    ...(e.name !== undefined ? { name: e.name } : {}),
    command: commandOf(e.command),
    resources: typeof e.resources === 'string' ? [...parseResources(e.resources)] : [...e.resources],
    ...(e.shutdownGracePeriodMs !== undefined ? { shutdownGracePeriodMs: e.shutdownGracePeriodMs } : {}),
  };
}

/** A task spec → TaskInfo; `inCustomGroup`: a task of a custom executor's group (the executor runs it: no command needed). */
export function toTaskInfo(t: TaskSpec, inCustomGroup = false): TaskInfo {
  if (inCustomGroup) {
    if (t.executor !== undefined) throw new TypeError(`task ${t.taskId}: a task of a group runs under the group's executor, not one of its own`);
  } else if ((t.command === undefined) === (t.executor === undefined)) throw new TypeError(`task ${t.taskId}: give one of 'command' and 'executor'`);
  return {
    taskId: t.taskId as TaskId,
    name: t.name ?? t.taskId,
    agentId: t.agentId,
    resources: typeof t.resources === 'string' ? [...parseResources(t.resources)] : [...t.resources],
    ...(t.command !== undefined ? { command: commandOf(t.command) } : {}),
    ...(t.executor !== undefined ? { executor: toExecutorInfo(t.executor) } : {}),
    ...(t.data !== undefined ? { data: Buffer.from(t.data).toString('base64') } : {}),
    ...(t.killGracePeriodMs !== undefined ? { killGracePeriodMs: t.killGracePeriodMs } : {}),
    ...(t.labels !== undefined ? { labels: t.labels } : {}),
    ...(t.container !== undefined ? { container: t.container } : {}),
    ...(t.healthCheck !== undefined ? { healthCheck: must(HealthCheck.safeParse(t.healthCheck), t.taskId, 'healthCheck') } : {}),
    ...(t.check !== undefined ? { check: must(CheckInfo.safeParse(t.check), t.taskId, 'check') } : {}),
  };
}

/** LAUNCH and LAUNCH_GROUP are written with task specs (converted here); other operations go as they are. */
const isSpec = (op: OperationSpec | Operation): op is OperationSpec => op.type === 'LAUNCH' || op.type === 'LAUNCH_GROUP';

export function toOperation(op: OperationSpec): Operation {
  if (op.type === 'LAUNCH') return { type: 'LAUNCH', tasks: op.tasks.map((t) => toTaskInfo(t)) };
  const r = op.executor.resources;
  const custom = 'command' in op.executor ? toExecutorInfo(op.executor) : undefined;
  return {
    type: 'LAUNCH_GROUP',
    executor: { executorId: op.executor.executorId as ExecutorId, resources: typeof r === 'string' ? [...parseResources(r)] : [...r] },
    ...(custom !== undefined ? { customExecutor: custom } : {}),
    tasks: op.tasks.map((t) => toTaskInfo(t, custom !== undefined)),
  };
}

/** A check definition with its defaults applied; a bad one throws, naming the task and the problem. */
function must<T>(r: z.ZodSafeParseResult<T>, taskId: string, field: string): T {
  if (r.success) return r.data;
  const why = r.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
  throw new TypeError(`task ${taskId}: invalid ${field}: ${why}`);
}

export async function subscribe(o: SchedulerOptions): Promise<Scheduler> {
  // Credentials issued to a framework name its id: the scheduler is that framework, and no other.
  const credsFile = o.creds ?? credsFromEnv();
  const bound = credsFile !== undefined ? readCredsFile(credsFile) : undefined;
  if (bound?.party !== undefined && bound.party !== 'framework') {
    throw new TypeError(`the credentials ${credsFile} are a ${bound.party}'s, not a framework's: issue framework credentials with \`mesos creds issue framework\``);
  }
  if (bound?.party === 'framework' && o.frameworkId !== undefined && o.frameworkId !== bound.name) {
    throw new TypeError(`the credentials ${credsFile} are framework ${bound.name}'s; they cannot subscribe as framework ${o.frameworkId} (use that framework's credentials, or leave the id out)`);
  }
  const frameworkId = asFrameworkId(bound?.party === 'framework' ? bound.name : (o.frameworkId ?? randomUUID()));
  const log = o.log.child({ component: 'scheduler', frameworkId });
  const bus: Bus = await connectBus({ servers: o.nats, name: `framework-${o.name}`, log, ...(o.creds !== undefined ? { creds: o.creds } : {}), ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}) });
  const offers$ = new Subject<Offer>();
  const rescinds$ = new Subject<OfferId>();
  const updates$ = new Subject<TaskStatus>();
  const refusals$ = new Subject<EventOf<'AcceptRefused'>>();
  const removed$ = new Subject<EventOf<'FrameworkRemoved'>>();
  const messages$ = new Subject<ExecutorMessage>();
  const inverseOffers$ = new Subject<InverseOffer>();
  const partitionAware = o.capabilities?.includes('PARTITION_AWARE') ?? false;
  const outstanding = new Map<OfferId, Offer>();
  const release = (ids: readonly OfferId[]): void => ids.forEach((id) => outstanding.delete(id));

  const now = (): number => Date.now();
  /** The log sequence of this scheduler's latest append (reconciliation answers reflect it). */
  let lastAppended = 0;
  const call = async (e: ClusterEventInput): Promise<void> => {
    const a = await append(bus.js, e);
    if (a.seq > lastAppended) lastAppended = a.seq;
  };
  const envelope = () => ({ schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: now() });

  const info = {
    name: o.name,
    user: o.user ?? process.env.USER ?? 'root',
    roles: [...(o.roles ?? ['*'])],
    failoverTimeoutMs: o.failoverTimeoutMs ?? 0,
    checkpoint: o.checkpoint ?? false,
    capabilities: [...(o.capabilities ?? [])],
    ...(o.principal !== undefined ? { principal: o.principal } : {}),
  };
  const suppressedRoles = o.suppressedRoles !== undefined && o.suppressedRoles.length > 0 ? { suppressedRoles: [...o.suppressedRoles] } : {};
  // Liveness: the leader pings us (core NATS, not stored); missing its pings makes us disconnected.
  const enc = new TextEncoder();
  const pings = bus.nc.subscribe(subjects.frameworkPing(frameworkId), {
    callback: (err, msg) => {
      if (!err) msg.respond(enc.encode(JSON.stringify({ frameworkId })));
    },
  });
  // Updates the leader delivers again while they are not acknowledged (not in the log twice).
  const redelivered = bus.nc.subscribe(subjects.redeliveredUpdates(frameworkId), {
    callback: (err, msg) => {
      if (err) return;
      let raw: unknown;
      try {
        raw = JSON.parse(new TextDecoder().decode(msg.data));
      } catch {
        return;
      }
      const s = TaskStatus.safeParse(raw);
      if (s.success && s.data.frameworkId === frameworkId) updates$.next(s.data);
      else log.warn('skipped a malformed re-delivered update');
    },
  });
  await bus.nc.flush();
  const ack = await append(bus.js, { type: 'FrameworkSubscribed', ...envelope(), frameworkId, info, ...suppressedRoles });
  lastAppended = ack.seq;

  // The current leader epoch, so that decisions of a deposed leader are ignored here too; later
  // elections arrive in the stream followed below (it starts after the subscription).
  let epoch = await currentEpoch(bus);

  const abort = new AbortController();
  // Three readers, one filter each: a framework's credentials let it create consumers on exactly
  // these subjects, and a consumer-create request names its filter only when it has one.
  // Elections seen (sequence, epoch), to tell a deposed leader's decision from one appended
  // before the election that deposed it.
  const elections: Array<{ seq: number; epoch: number }> = [];
  const current = (seq: number, ep: number): boolean => {
    if (ep >= epoch) {
      epoch = ep;
      return true;
    }
    // Superseded: by an election before it in the log (a deposed leader's decision), or after it.
    const deposer = elections.find((x) => x.epoch > ep);
    return deposer !== undefined && deposer.seq > seq;
  };
  const reader = (filter: string, onEntry: (seq: number, e: ClusterEvent) => void) =>
    (async () => {
      for await (const entry of readLog(bus, { fromSeq: ack.seq + 1, filter, signal: abort.signal })) {
        if (!entry.decoded.ok) {
          log.warn({ seq: entry.seq, reason: entry.decoded.error.message }, 'skipped a malformed message');
          continue;
        }
        onEntry(entry.seq, entry.decoded.event);
      }
    })().catch((err: unknown) => {
      if (!abort.signal.aborted) log.error({ err, filter }, 'scheduler stream ended');
    });
  const onDecision = (seq: number, e: ClusterEvent): void => {
    const ep = epochOf(e);
    if (ep !== undefined && !current(seq, ep)) return; // a deposed leader's decision
    dispatch(e);
  };
  const follow = Promise.all([
    reader(subjects.sys('leader'), (seq, e) => {
      if (e.type !== 'LeaderElected') return;
      elections.push({ seq, epoch: e.epoch });
      if (e.epoch > epoch) epoch = e.epoch;
    }),
    reader(subjects.toldTo(frameworkId), onDecision),
    reader(subjects.statusesOf(frameworkId), onDecision),
    reader(subjects.executorMessagesOf(frameworkId), (_seq, e) => {
      if (e.type === 'ExecutorMessageSent' && e.frameworkId === frameworkId) messages$.next({ agentId: e.agentId, executorId: e.executorId, data: Buffer.from(e.data, 'base64') });
    }),
  ]);

  function dispatch(e: ClusterEvent): void {
    switch (e.type) {
      case 'OffersCreated':
        for (const x of e.offers) {
          const offer: Offer = { id: x.offerId, frameworkId, agentId: x.agentId, hostname: x.hostname, role: x.role, resources: x.resources, expiresAt: x.expiresAt };
          outstanding.set(offer.id, offer);
          offers$.next(offer);
        }
        break;
      case 'OffersRescinded':
        release(e.offerIds);
        for (const id of e.offerIds) rescinds$.next(id);
        break;
      case 'AcceptRefused':
        refusals$.next(e);
        for (const s of refusalToStatuses(e, partitionAware)) updates$.next(s);
        break;
      case 'TaskStatusUpdated':
        updates$.next(e.status);
        break;
      case 'FrameworkRemoved':
        removed$.next(e);
        break;
      case 'InverseOffersCreated':
        for (const x of e.inverseOffers) inverseOffers$.next({ id: x.inverseOfferId, agentId: x.agentId, hostname: x.hostname, unavailability: x.unavailability });
        break;
      case 'FrameworkDisconnected': {
        // The leader did not hear from us for a while (a pause, a partition); we are still here:
        // subscribe again, within the failover timeout, to keep our tasks. The fold dropped our
        // offers when it marked us disconnected.
        const dropped = [...outstanding.keys()];
        release(dropped);
        for (const id of dropped) rescinds$.next(id);
        if (!closed) {
          log.warn('the master marked this framework disconnected; subscribing again');
          void append(bus.js, { type: 'FrameworkSubscribed', ...envelope(), frameworkId, info }).catch((err: unknown) =>
            log.error({ err }, 'could not subscribe again'),
          );
        }
        break;
      }
      default:
        break;
    }
  }

  const acceptOperations = (offerIds: readonly OfferId[], operations: ReadonlyArray<OperationSpec | Operation>, opts?: { refuseSeconds?: number }): Promise<void> => {
    release(offerIds);
    return call({
      type: 'OffersAccepted',
      ...envelope(),
      schemaVersion: EVENT_VERSIONS.OffersAccepted,
      frameworkId,
      offerIds: [...offerIds],
      operations: operations.map((op) => (isSpec(op) ? toOperation(op) : op)),
      filters: refuseFilter(opts?.refuseSeconds),
    });
  };

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    pings.unsubscribe();
    redelivered.unsubscribe();
    abort.abort();
    await follow;
    offers$.complete();
    rescinds$.complete();
    updates$.complete();
    refusals$.complete();
    removed$.complete();
    messages$.complete();
    inverseOffers$.complete();
    await bus.close();
  };

  return {
    frameworkId,
    offers$: defer(() => concat(from([...outstanding.values()]), offers$)),
    outstandingOffers: () => [...outstanding.values()],
    rescinds$: rescinds$.asObservable(),
    updates$: updates$.asObservable(),
    refusals$: refusals$.asObservable(),
    removed$: removed$.asObservable(),
    messages$: messages$.asObservable(),
    message: (agentId, executorId, data) =>
      call({ type: 'FrameworkMessageSent', ...envelope(), frameworkId, agentId, executorId: executorId as ExecutorId, data: Buffer.from(data).toString('base64') }),
    accept: (offerIds, tasks, opts) => acceptOperations(offerIds, [...(opts?.operations ?? []), ...(tasks.length > 0 ? [{ type: 'LAUNCH' as const, tasks }] : [])], opts),
    acceptOperations,
    decline: (offerIds, refuseSeconds) => {
      release(offerIds);
      return call({
        type: 'OffersDeclined',
        ...envelope(),
        schemaVersion: EVENT_VERSIONS.OffersDeclined,
        frameworkId,
        offerIds: [...offerIds],
        filters: refuseFilter(refuseSeconds),
      });
    },
    kill: (taskId, opts) =>
      call({
        type: 'TaskKillRequested',
        ...envelope(),
        frameworkId,
        taskId: taskId as TaskId,
        ...(opts?.agentId !== undefined ? { agentId: opts.agentId } : {}),
        ...(opts?.gracePeriodMs !== undefined ? { gracePeriodMs: opts.gracePeriodMs } : {}),
      }),
    async reconcile(tasks = [], ropts = {}) {
      const deadline = Date.now() + (ropts.timeoutMs ?? 30_000);
      const body = new TextEncoder().encode(JSON.stringify({ tasks, afterSeq: lastAppended }));
      for (let attempt = 0; ; attempt++) {
        try {
          const msg = await bus.nc.request(subjects.reconcileQuery(frameworkId), body, { timeout: 5000 });
          const answer = ReconcileAnswer.parse(msg.json());
          if (!answer.ok) throw new Error(`reconciliation refused: ${answer.error}`);
          return answer.statuses;
        } catch (err) {
          // No leader right now (an election): ask again until the deadline.
          const retry = err instanceof RequestError || err instanceof TimeoutError;
          if (!retry || Date.now() > deadline || closed) throw err;
          await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
        }
      }
    },
    acknowledge: async (s) => {
      if (s.uuid === undefined) return;
      await call({ type: 'StatusAcknowledged', ...envelope(), frameworkId, agentId: s.agentId, taskId: s.taskId, uuid: s.uuid });
    },
    revive: (roles) => call({ type: 'OffersRevived', ...envelope(), frameworkId, ...(roles !== undefined && roles.length > 0 ? { roles: [...roles] } : {}) }),
    suppress: (roles) => call({ type: 'OffersSuppressed', ...envelope(), frameworkId, ...(roles !== undefined && roles.length > 0 ? { roles: [...roles] } : {}) }),
    request: (requests) =>
      call({
        type: 'ResourcesRequested',
        ...envelope(),
        frameworkId,
        requests: requests.map((r) => ({
          ...(r.name !== undefined ? { name: r.name } : {}),
          ...(r.role !== undefined ? { role: r.role } : {}),
          ...(r.agentId !== undefined ? { agentId: r.agentId } : {}),
          resources: typeof r.resources === 'string' ? [...parseResources(r.resources)] : [...r.resources],
        })),
      }),
    inverseOffers$: inverseOffers$.asObservable(),
    acceptInverseOffers: (ids) => call({ type: 'InverseOffersAccepted', ...envelope(), frameworkId, inverseOfferIds: [...ids] }),
    declineInverseOffers: (ids, refuseSeconds) =>
      call({ type: 'InverseOffersDeclined', ...envelope(), frameworkId, inverseOfferIds: [...ids], filters: refuseFilter(refuseSeconds) }),
    teardown: async () => {
      await call({ type: 'FrameworkRemoved', ...envelope(), frameworkId, reason: 'TEARDOWN' });
      await close();
    },
    close,
  };
}

async function currentEpoch(bus: Bus): Promise<number> {
  // A direct get of the last message on the subject (the request names the subject: a framework
  // may read the elections, not any message by sequence).
  const m = await bus.jsm.direct.getMessage(STREAM_NAME, { last_by_subj: subjects.sys('leader') }).catch((e: unknown) => {
    if (e instanceof JetStreamApiError && (e.code === 10037 || e.status === 404)) return null;
    throw e;
  });
  if (m === null) return 0;
  const d = decode(m.data, m.subject);
  return d.ok && d.event.type === 'LeaderElected' ? d.event.epoch : 0;
}
