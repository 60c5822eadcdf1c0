/**
 * The Apache Mesos v1 scheduler HTTP API (`POST /api/v1/scheduler`), served by the leading master.
 * It is a gateway: an HTTP framework is a framework in the log like any other; its calls become
 * the same events the native SDK appends, and what the log tells it becomes Mesos events on its
 * RecordIO stream. Subscriptions hang off the master's own follower, so each event reaches the
 * stream right after it is folded (OFFERS carry only the offers the fold created).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import {
  type AgentId,
  type ClusterEvent,
  type ClusterEventInput,
  type FrameworkId,
  FrameworkId as FrameworkIdSchema,
  type OfferId,
  type Operation,
  SCHEMA_VERSION,
  EVENT_VERSIONS,
  refuseFilter,
  type TaskId,
  type ExecutorId,
  ExecutorInfo,
  type TaskKey,
  type ReconciledStatus,
  type TaskStatus,
  epochOf,
  taskKey,
} from '../../../events/index.js';
import { refusalToStatuses } from '../../../events/refusals.js';
import { type Bus, append } from '../bus.js';
import { HttpError, type Reply, type RequestContext, readBody } from '../http/server.js';
import { type AclAction, type Acls, authorize, authorizeOperations, denial } from '../../../security/http/index.js';
import type { Follower } from '../master/follower.js';
import type { State } from '../../core/state.js';
import { base64ToUuid, groupExecutorFromMesos, ipToUint32, offerToMesos, resourcesFromMesos, statusToMesos, subscribeFromMesos, taskInfoFromMesos, unavailabilityToMesos } from './convert/index.js';
import { reconcileStatuses } from './reconcile.js';
import { reconcileOperations } from './reconcile-operations.js';
import { unacknowledgedStatuses } from '../master/redelivery.js';
import { encodeBinaryRecord, encodeRecord } from './recordio.js';
import { type Call, parseCall, parseCallJson } from './wire.js';
import { APPLICATION_JSON, APPLICATION_PROTOBUF, type Media, NOT_ACCEPTABLE, requestMedia, responseMedia } from '../http/media.js';
import { decode as decodeProtobuf, encode as encodeProtobuf } from '../../../proto/index.js';

export interface SchedulerApiOptions {
  readonly bus: Bus;
  readonly follower: Follower;
  readonly log: Logger;
  /** This master's epoch while it leads, else null. */
  readonly leaderEpoch: () => number | null;
  readonly me: { readonly masterId: string; readonly hostname: string; readonly ip: string; readonly port: () => number; readonly version: string };
  readonly heartbeatIntervalMs: number;
  /** Largest request body accepted (413 beyond). */
  readonly maxBodyBytes: number;
  /** Mesos's ACLs: register_frameworks on SUBSCRIBE, run_tasks and the reservation ACLs on ACCEPT. */
  readonly acls: Acls;
}

export interface SchedulerApi {
  handle(req: IncomingMessage, ctx?: RequestContext): Promise<Reply>;
  /** Called by the follower after each folded event. */
  onEvent(e: ClusterEvent, seq: number): void;
  /** Number of open subscriptions. */
  subscriptions(): number;
  /** Whether the framework has an open subscription stream here. */
  serves(frameworkId: FrameworkId): boolean;
  /** Deliver an unacknowledged update again on the framework's stream; false if it has none here. */
  redeliver(frameworkId: FrameworkId, status: TaskStatus): boolean;
  close(): void;
}

interface Subscription {
  readonly streamId: string;
  readonly frameworkId: FrameworkId;
  readonly res: ServerResponse;
  /** Events at or before this sequence were before the subscription. */
  readonly fromSeq: number;
  readonly partitionAware: boolean;
  /** The stream's media type: JSON records, or protobuf Event records. */
  readonly media: Media;
  /**
   * Per task, the uuid of the update this stream was last given as the one to acknowledge. As
   * Mesos: a task's next update goes out only once the one before it is acknowledged.
   */
  readonly sentHead: Map<TaskKey, string>;
  heartbeat: NodeJS.Timeout | undefined;
  /** Ended on purpose (failed over, torn down, removed): not a disconnection. */
  ended: boolean;
}

/** One event as a RecordIO record of the stream's media type. */
function record(media: Media, event: unknown): Buffer {
  return media === APPLICATION_PROTOBUF ? encodeBinaryRecord(encodeProtobuf('schedulerEvent', event)) : encodeRecord(event);
}

export function createSchedulerApi(o: SchedulerApiOptions): SchedulerApi {
  const log = o.log.child({ component: 'scheduler-api' });
  const subs = new Map<FrameworkId, Subscription>();
  let counter = 0;
  const state = (): State => o.follower.projection.state;

  const newFrameworkId = (): FrameworkId => FrameworkIdSchema.parse(`${o.me.masterId}-${String(counter++).padStart(4, '0')}`);
  const envelope = () => ({ schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: Date.now() });

  function write(sub: Subscription, event: unknown): void {
    if (sub.res.writableEnded || sub.res.destroyed) return;
    let bytes: Buffer;
    try {
      bytes = record(sub.media, event);
    } catch (err) {
      // An event our schema cannot carry is a bug of ours: say so, and keep the stream (and the master) going.
      log.error({ err, frameworkId: sub.frameworkId, media: sub.media, event: (event as { type?: string }).type }, 'cannot encode an event for a stream; dropped');
      return;
    }
    sub.res.write(bytes);
  }

  function end(sub: Subscription, error?: string): void {
    sub.ended = true;
    if (error !== undefined) write(sub, { type: 'ERROR', error: { message: error } });
    clearInterval(sub.heartbeat);
    if (subs.get(sub.frameworkId) === sub) subs.delete(sub.frameworkId);
    if (!sub.res.writableEnded) sub.res.end();
  }

  function masterInfo() {
    const port = o.me.port();
    return {
      id: o.me.masterId,
      ip: ipToUint32(o.me.ip),
      port,
      pid: `master@${o.me.ip}:${port}`,
      hostname: o.me.hostname,
      version: o.me.version,
      address: { hostname: o.me.hostname, ip: o.me.ip, port },
    };
  }

  function update(sub: Subscription, s: TaskStatus | ReconciledStatus): void {
    write(sub, { type: 'UPDATE', update: { status: statusToMesos(s, sub.partitionAware) } });
  }

  /**
   * An update the framework must acknowledge goes out only when every earlier one of its task has
   * been acknowledged (Mesos's status update manager sends one at a time per task); the others
   * (no uuid, or not awaited) go out at once.
   */
  function updateInTurn(sub: Subscription, s: TaskStatus): void {
    if (s.uuid === undefined) return update(sub, s);
    const key = taskKey(s.frameworkId, s.taskId);
    const pending = state().tasks.get(key)?.unacknowledged;
    if (pending !== undefined && pending.includes(s.uuid) && pending[0] !== s.uuid) return; // waits for the one before
    sub.sentHead.set(key, s.uuid);
    update(sub, s);
  }

  /** After an acknowledgement: the task's next awaited update, if it has not been sent as such yet. */
  function nextInTurn(sub: Subscription, frameworkId: FrameworkId, taskId: TaskId): void {
    const key = taskKey(frameworkId, taskId);
    const t = state().tasks.get(key);
    const next = t === undefined ? undefined : unacknowledgedStatuses(t)[0];
    if (next === undefined) {
      sub.sentHead.delete(key);
      return;
    }
    if (sub.sentHead.get(key) === next.uuid) return;
    sub.sentHead.set(key, next.uuid!);
    update(sub, next);
  }

  // -------------------------------------------------------------------------------------------
  // Events from the log to the streams

  function onEvent(e: ClusterEvent, seq: number): void {
    if (subs.size === 0) return;
    // Another master now leads: this one's streams end (their frameworks subscribe to the new
    // leader, as Mesos frameworks do after a failover), so that a framework never stays on a
    // standby that no longer answers its calls. Ended on purpose: not a disconnection.
    if (e.type === 'LeaderElected' && e.masterId !== o.me.masterId && state().epoch === e.epoch) {
      for (const sub of [...subs.values()]) end(sub);
      return;
    }
    const epoch = epochOf(e);
    if (epoch !== undefined && e.type !== 'LeaderElected' && epoch !== state().epoch) return; // fenced: no effect
    const fid = frameworkOf(e);
    if (fid === undefined) return;
    const sub = subs.get(fid);
    if (sub === undefined || seq <= sub.fromSeq) return;
    switch (e.type) {
      case 'OffersCreated': {
        const s = state();
        const offers = e.offers
          .filter((x) => s.offers.has(x.offerId))
          .map((x) => {
            const a = s.agents.get(x.agentId);
            return offerToMesos(
              { id: x.offerId, frameworkId: fid, agentId: x.agentId, hostname: x.hostname, role: x.role, resources: x.resources, unavailability: x.unavailability },
              a ? { port: a.port, attributes: a.attributes, ...(a.ip !== undefined ? { ip: a.ip } : {}) } : undefined,
            );
          });
        if (offers.length > 0) write(sub, { type: 'OFFERS', offers: { offers } });
        return;
      }
      case 'OffersRescinded':
        for (const id of e.offerIds) write(sub, { type: 'RESCIND', rescind: { offer_id: { value: id } } });
        return;
      case 'InverseOffersCreated': {
        const s = state();
        const inverse = e.inverseOffers
          .filter((x) => s.inverseOffers.has(x.inverseOfferId))
          .map((x) => {
            const a = s.agents.get(x.agentId);
            return {
              id: { value: x.inverseOfferId },
              framework_id: { value: fid },
              agent_id: { value: x.agentId },
              ...(a !== undefined ? { url: { scheme: 'http', address: { hostname: a.hostname, port: a.port }, path: '/slave(1)' } } : {}),
              unavailability: unavailabilityToMesos(x.unavailability),
            };
          });
        if (inverse.length > 0) write(sub, { type: 'INVERSE_OFFERS', inverse_offers: { inverse_offers: inverse } });
        return;
      }
      case 'InverseOffersRescinded':
        for (const id of e.inverseOfferIds) write(sub, { type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: { inverse_offer_id: { value: id } } });
        return;
      case 'AcceptRefused':
        for (const s of refusalToStatuses(e, sub.partitionAware)) update(sub, s);
        return;
      case 'TaskStatusUpdated':
        updateInTurn(sub, e.status);
        return;
      case 'StatusAcknowledged':
        nextInTurn(sub, e.frameworkId, e.taskId);
        return;
      case 'FrameworkRemoved':
        end(sub, e.reason === 'TEARDOWN' ? undefined : 'Framework removed');
        return;
      case 'ExecutorMessageSent':
        write(sub, { type: 'MESSAGE', message: { agent_id: { value: e.agentId }, executor_id: { value: e.executorId }, data: e.data } });
        return;
      default:
        return;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  async function handle(req: IncomingMessage, ctx: RequestContext = { principal: undefined }): Promise<Reply> {
    if (req.method !== 'POST') return { status: 405, text: `Expecting 'POST', received '${req.method ?? ''}'`, headers: { Allow: 'POST' } };
    const epoch = o.leaderEpoch();
    if (epoch === null) return notLeader();
    const media = requestMedia(req.headers['content-type']);
    if (!media.ok) return { status: media.status, text: media.text };
    const body = await readBody(req, o.maxBodyBytes);
    const parsed = media.media === APPLICATION_PROTOBUF ? parseProtobufCall(body) : parseCall(body.toString('utf8'));
    if (!parsed.ok) return { status: 400, text: parsed.error };
    const call = parsed.call;
    if (call.type === 'SUBSCRIBE') return subscribe(req, call, epoch, ctx.principal);
    const streamHeader = req.headers['mesos-stream-id'];
    const fid = call.framework_id.value;
    const fwParsed = FrameworkIdSchema.safeParse(fid);
    const f = fwParsed.success ? state().frameworks.get(fwParsed.data) : undefined;
    if (f === undefined) return { status: 404, text: `Framework '${fid}' cannot be found` };
    // As Mesos: an authenticated caller must be the framework's principal.
    if (ctx.principal !== undefined && ctx.principal !== f.info.principal) {
      return { status: 400, text: `Authenticated principal '${ctx.principal}' does not match principal '${f.info.principal ?? ''}' set in \`FrameworkInfo\`` };
    }
    const sub = subs.get(f.id);
    if (sub === undefined) return { status: 403, text: `Framework '${fid}' is not subscribed` };
    if (streamHeader === undefined) return { status: 400, text: "All non-subscribe calls should include the 'Mesos-Stream-Id' header" };
    if (streamHeader !== sub.streamId) {
      return { status: 400, text: `The stream ID '${String(streamHeader)}' included in this request didn't match the stream ID currently associated with framework ID ${fid}` };
    }
    return dispatch(call, sub);
  }

  function notLeader(): Reply {
    const leader = state().leader;
    if (leader === null || leader.masterId === o.me.masterId) return { status: 503, text: 'No leader elected' };
    return { status: 307, headers: { Location: `//${leader.hostname}:${leader.port}/api/v1/scheduler` }, text: '' };
  }

  async function subscribe(req: IncomingMessage, call: Extract<Call, { type: 'SUBSCRIBE' }>, epoch: number, principal: string | undefined): Promise<Reply> {
    if (req.headers['mesos-stream-id'] !== undefined) return { status: 400, text: "Subscribe calls should not include the 'Mesos-Stream-Id' header" };
    const media = responseMedia(req.headers.accept);
    if (media === null) return { status: 406, text: `${NOT_ACCEPTABLE}; got '${String(req.headers.accept)}'` };
    const refusedStream = (message: string): Reply => refusedSubscription(message, media);
    const info = subscribeFromMesos(call.subscribe);
    // As the real master: an invalid FrameworkInfo is answered on the stream (200, ERROR, close).
    if (!info.ok) return refusedStream(info.error);
    // As Mesos: an authenticated framework's FrameworkInfo.principal is that principal (filled in when absent).
    if (principal !== undefined && info.info.principal !== undefined && info.info.principal !== principal) {
      return { status: 400, text: `Failed to validate scheduler::Call: Authenticated principal '${principal}' does not match principal '${info.info.principal}' set in \`FrameworkInfo\`` };
    }
    const frameworkInfo = principal !== undefined && info.info.principal === undefined ? { ...info.info, principal } : info.info;
    const given = info.id ?? call.framework_id?.value;
    let frameworkId: FrameworkId;
    if (given !== undefined && given !== '') {
      const p = FrameworkIdSchema.safeParse(given);
      if (!p.success) return refusedStream(`Framework id '${given}' is not valid here: only letters, digits, '-' and '_'`);
      frameworkId = p.data;
      if (state().completedFrameworks.some((c) => c.id === frameworkId)) return refusedStream('Framework has been removed');
      // Only the principal that registered a framework may subscribe it again (Mesos: its
      // principal cannot change). The old principal is not told to the caller; the log has it.
      const known = state().frameworks.get(frameworkId);
      if (known !== undefined) {
        const bound = known.authenticatedPrincipal;
        if ((bound !== undefined && bound !== principal) || known.info.principal !== frameworkInfo.principal) {
          log.warn({ frameworkId, registeredBy: bound ?? known.info.principal ?? null, principal: principal ?? frameworkInfo.principal ?? null }, 're-subscription by another principal refused');
          return {
            status: 403,
            text: `Framework '${frameworkId}' was registered by another principal: only that principal can subscribe it again (changing a framework's principal is not allowed)`,
          };
        }
      }
    } else {
      frameworkId = newFrameworkId();
    }
    // register_frameworks, for each of its roles; the subject is FrameworkInfo.principal, as in Mesos.
    for (const role of frameworkInfo.roles) {
      const why = aclRefusal('register_frameworks', frameworkInfo.principal, role);
      if (why !== undefined) return { status: 403, text: why };
    }
    const ack = await append(o.bus.js, {
      type: 'FrameworkSubscribed',
      ...envelope(),
      frameworkId,
      info: frameworkInfo,
      ...(principal !== undefined ? { authenticatedPrincipal: principal } : {}),
      ...(info.suppressedRoles.length > 0 ? { suppressedRoles: [...info.suppressedRoles] } : {}),
    });
    await o.follower.reached(ack.seq);
    if (o.leaderEpoch() !== epoch) return notLeader();
    const previous = subs.get(frameworkId);
    if (previous !== undefined) end(previous, 'Framework failed over');
    const streamId = randomUUID();
    return {
      status: 200,
      takeover: (res) => {
        // The client may have gone while the subscription was being appended and folded: its
        // close event is already past, so this is a disconnection now.
        if (res.destroyed || res.socket === null || res.socket.destroyed) {
          void disconnected(frameworkId);
          return;
        }
        res.writeHead(200, { 'Content-Type': media, 'Mesos-Stream-Id': streamId, 'Cache-Control': 'no-cache' });
        const sub: Subscription = {
          streamId,
          frameworkId,
          res,
          fromSeq: ack.seq,
          partitionAware: info.info.capabilities.includes('PARTITION_AWARE'),
          media,
          sentHead: new Map(),
          heartbeat: undefined,
          ended: false,
        };
        subs.set(frameworkId, sub);
        const heartbeatSecs = o.heartbeatIntervalMs / 1000;
        write(sub, { type: 'SUBSCRIBED', subscribed: { framework_id: { value: frameworkId }, heartbeat_interval_seconds: heartbeatSecs, master_info: masterInfo() } });
        write(sub, { type: 'HEARTBEAT' });
        // Updates not yet acknowledged are delivered again on every subscription: per task, the
        // oldest (the next follows its acknowledgement).
        for (const s of unacknowledged(state(), frameworkId)) updateInTurn(sub, s);
        sub.heartbeat = setInterval(() => write(sub, { type: 'HEARTBEAT' }), o.heartbeatIntervalMs);
        sub.heartbeat.unref();
        res.on('close', () => {
          clearInterval(sub.heartbeat);
          if (sub.ended) return;
          sub.ended = true;
          if (subs.get(frameworkId) === sub) subs.delete(frameworkId);
          void disconnected(frameworkId);
        });
        log.info({ frameworkId, streamId }, 'framework subscribed over HTTP');
      },
    };
  }

  /** A subscription refused as the real master refuses it: 200, one ERROR event, end of stream. */
  function refusedSubscription(message: string, media: Media = APPLICATION_JSON): Reply {
    return {
      status: 200,
      takeover: (res) => {
        res.writeHead(200, { 'Content-Type': media });
        res.end(record(media, { type: 'ERROR', error: { message } }));
      },
    };
  }

  async function disconnected(frameworkId: FrameworkId): Promise<void> {
    const epoch = o.leaderEpoch();
    if (epoch === null || subs.has(frameworkId)) return;
    const f = state().frameworks.get(frameworkId);
    if (f === undefined || f.status !== 'ACTIVE') return;
    log.info({ frameworkId, failoverTimeoutMs: f.info.failoverTimeoutMs }, 'framework disconnected');
    await append(o.bus.js, { type: 'FrameworkDisconnected', ...envelope(), epoch, frameworkId }).catch((err: unknown) =>
      log.warn({ err, frameworkId }, 'could not record the disconnection'),
    );
  }

  /** The 403 text if the ACLs deny it, else undefined. */
  function aclRefusal(action: AclAction, subject: string | undefined, object: string | undefined): string | undefined {
    const d = authorize(o.acls, action, subject, object);
    if (d.allowed) return undefined;
    log.info({ action, subject, object, rule: d.rule }, 'denied by the ACLs');
    return denial(action, subject, object, d);
  }

  async function call(e: ClusterEventInput): Promise<Reply> {
    await append(o.bus.js, e);
    return { status: 202, text: '' };
  }

  async function dispatch(c: Exclude<Call, { type: 'SUBSCRIBE' }>, sub: Subscription): Promise<Reply> {
    const frameworkId = sub.frameworkId;
    switch (c.type) {
      case 'TEARDOWN':
        return call({ type: 'FrameworkRemoved', ...envelope(), frameworkId, reason: 'TEARDOWN' });
      case 'ACCEPT': {
        const f = state().frameworks.get(frameworkId);
        const ops = authorizeAccept(operationsFromMesos(c.accept.operations), o.acls, f?.info.principal, f?.info.user ?? '');
        // As the real master: problems are answered on the stream, the call itself is accepted.
        for (const bad of ops.invalid) {
          if (bad.unauthorized === true) log.info({ frameworkId, taskId: bad.taskId, why: bad.error }, 'task denied by the ACLs');
          update(sub, {
            agentId: (bad.agentId ?? '') as AgentId,
            frameworkId,
            taskId: bad.taskId as TaskId,
            state: 'TASK_ERROR',
            source: 'SOURCE_MASTER',
            reason: bad.unauthorized
              ? bad.group
                ? 'REASON_TASK_GROUP_UNAUTHORIZED'
                : 'REASON_TASK_UNAUTHORIZED'
              : bad.group
                ? 'REASON_TASK_GROUP_INVALID'
                : 'REASON_TASK_INVALID',
            message: bad.error,
            timestamp: Date.now(),
          });
        }
        for (const skipped of ops.skipped) log.warn({ frameworkId, operation: skipped.type, why: skipped.why }, 'dropping an offer operation');
        if (c.accept.offer_ids.length === 0) return { status: 202, text: '' };
        return call({
          type: 'OffersAccepted',
          ...envelope(),
          frameworkId,
          offerIds: c.accept.offer_ids.map((x) => x.value as OfferId),
          schemaVersion: EVENT_VERSIONS.OffersAccepted,
          operations: ops.valid,
          filters: refuseFilter(c.accept.filters?.refuse_seconds),
        });
      }
      case 'DECLINE':
        if (c.decline.offer_ids.length === 0) return { status: 202, text: '' };
        return call({
          type: 'OffersDeclined',
          ...envelope(),
          frameworkId,
          schemaVersion: EVENT_VERSIONS.OffersDeclined,
          offerIds: c.decline.offer_ids.map((x) => x.value as OfferId),
          filters: refuseFilter(c.decline.filters?.refuse_seconds),
        });
      case 'REVIVE':
      case 'SUPPRESS': {
        const roles = c.type === 'REVIVE' ? c.revive.roles : c.suppress.roles;
        const f = state().frameworks.get(frameworkId);
        const stray = roles.filter((r) => !(f?.info.roles ?? []).includes(r));
        // As Mesos: roles the framework is not subscribed with are an error.
        if (stray.length > 0) return { status: 400, text: `Failed to validate scheduler::Call: roles { ${stray.join(', ')} } are not among the framework's roles` };
        return call({ type: c.type === 'REVIVE' ? 'OffersRevived' : 'OffersSuppressed', ...envelope(), frameworkId, ...(roles.length > 0 ? { roles: [...roles] } : {}) });
      }
      case 'REQUEST': {
        const requests = [];
        for (const [i, r] of c.request.requests.entries()) {
          const rs = resourcesFromMesos(r.resources);
          if (!rs.ok) return { status: 400, text: `Failed to validate scheduler::Call: request ${i}: ${rs.error}` };
          if (rs.resources.length === 0) return { status: 400, text: `Failed to validate scheduler::Call: request ${i} asks for no resources` };
          const role = r.resources.find((x) => x.allocation_info?.role !== undefined)?.allocation_info?.role;
          requests.push({ resources: [...rs.resources], ...(r.agent_id !== undefined ? { agentId: r.agent_id.value as AgentId } : {}), ...(role !== undefined ? { role } : {}) });
        }
        return call({ type: 'ResourcesRequested', ...envelope(), frameworkId, requests });
      }
      case 'ACCEPT_INVERSE_OFFERS':
        if (c.accept_inverse_offers.inverse_offer_ids.length === 0) return { status: 202, text: '' };
        return call({ type: 'InverseOffersAccepted', ...envelope(), frameworkId, inverseOfferIds: c.accept_inverse_offers.inverse_offer_ids.map((x) => x.value) });
      case 'DECLINE_INVERSE_OFFERS': {
        const d = c.decline_inverse_offers;
        if (d.inverse_offer_ids.length === 0) return { status: 202, text: '' };
        return call({
          type: 'InverseOffersDeclined',
          ...envelope(),
          frameworkId,
          inverseOfferIds: d.inverse_offer_ids.map((x) => x.value),
          filters: refuseFilter(d.filters?.refuse_seconds),
        });
      }
      case 'KILL': {
        const grace = c.kill.kill_policy?.grace_period?.nanoseconds;
        return call({
          type: 'TaskKillRequested',
          ...envelope(),
          frameworkId,
          taskId: c.kill.task_id.value as TaskId,
          ...(c.kill.agent_id ? { agentId: c.kill.agent_id.value as AgentId } : {}),
          ...(grace !== undefined ? { gracePeriodMs: Math.max(0, Math.round(grace / 1e6)) } : {}),
        });
      }
      case 'SHUTDOWN': {
        // Our executors are a command task's own (executor id = task id) or a task group's.
        const ex = c.shutdown.executor_id.value;
        const s = state();
        const f = s.frameworks.get(frameworkId);
        const victims = [...(f?.taskKeys ?? [])].map((k) => s.tasks.get(k)).filter((t) => t !== undefined && (t.executorId ?? t.taskId) === ex && t.agentId === c.shutdown.agent_id.value);
        for (const t of victims) await append(o.bus.js, { type: 'TaskKillRequested', ...envelope(), frameworkId, taskId: t!.taskId, agentId: t!.agentId });
        return { status: 202, text: '' };
      }
      case 'ACKNOWLEDGE': {
        const uuid = base64ToUuid(c.acknowledge.uuid);
        if (uuid === null) return { status: 400, text: 'Failed to validate scheduler::Call: the uuid is not a base64-encoded 16-byte UUID' };
        return call({
          type: 'StatusAcknowledged',
          ...envelope(),
          frameworkId,
          agentId: c.acknowledge.agent_id.value as AgentId,
          taskId: c.acknowledge.task_id.value as TaskId,
          uuid,
        });
      }
      case 'RECONCILE':
        // A query, answered from the projection: the log holds nothing new.
        for (const s of reconcileStatuses(state(), frameworkId, c.reconcile.tasks.map((t) => ({ taskId: t.task_id.value, agentId: t.agent_id?.value })), Date.now())) update(sub, s);
        return { status: 202, text: '' };
      case 'MESSAGE':
        // Into the log; the fold passes it on to the executor's agent when it runs there (else dropped, as Mesos).
        return call({
          type: 'FrameworkMessageSent',
          ...envelope(),
          frameworkId,
          agentId: c.message.agent_id.value as AgentId,
          executorId: c.message.executor_id.value as ExecutorId,
          data: c.message.data,
        });
      case 'RECONCILE_OPERATIONS':
        // A query, answered from the projection on the stream (see reconcile-operations.ts).
        for (const ev of reconcileOperations(state(), c.reconcile_operations.operations)) write(sub, ev);
        return { status: 202, text: '' };
      case 'UPDATE_FRAMEWORK':
        return updateFramework(c.update_framework, sub);
      case 'ACKNOWLEDGE_OPERATION_STATUS':
        return { status: 501, text: 'ACKNOWLEDGE_OPERATION_STATUS is not served: this master sends no operation status updates that need acknowledging (offer operations take effect when their ACCEPT is folded, without feedback)' };
      case 'UNKNOWN':
        return { status: 501, text: "'type' is UNKNOWN: expecting one of the scheduler calls (SUBSCRIBE, ACCEPT, DECLINE, …)" };
    }
  }

  /**
   * UPDATE_FRAMEWORK: a new FrameworkInfo (and suppressed roles) for a subscribed framework, with
   * Mesos's checks (the id, user, principal and checkpoint cannot change). It is recorded as a
   * re-subscription of the framework with the new info, which voids its outstanding offers: they
   * are rescinded on its stream (Mesos rescinds only those of roles it left).
   */
  async function updateFramework(u: Extract<Call, { type: 'UPDATE_FRAMEWORK' }>['update_framework'], sub: Subscription): Promise<Reply> {
    const frameworkId = sub.frameworkId;
    const f = state().frameworks.get(frameworkId);
    if (f === undefined) return { status: 404, text: `Framework '${frameworkId}' cannot be found` };
    const info = subscribeFromMesos({ framework_info: u.framework_info, suppressed_roles: u.suppressed_roles, offer_constraints: u.offer_constraints });
    if (!info.ok) return { status: 400, text: `Supplied FrameworkInfo is not valid: ${info.error}` };
    if (info.id !== frameworkId) return { status: 400, text: `'framework_info.id' must be this framework's id '${frameworkId}' (got '${info.id ?? ''}')` };
    if (info.info.principal !== f.info.principal) return { status: 400, text: "FrameworkInfo update is not valid: Changing framework's principal is not allowed." };
    if (info.info.user !== f.info.user) return { status: 400, text: `FrameworkInfo update is not valid: Updating 'FrameworkInfo.user' is unsupported; attempted to update from '${f.info.user}' to '${info.info.user}'` };
    if (info.info.checkpoint !== f.info.checkpoint) {
      return { status: 400, text: `FrameworkInfo update is not valid: Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from '${f.info.checkpoint}' to '${info.info.checkpoint}'` };
    }
    const offers = [...f.offerIds];
    const ack = await append(o.bus.js, {
      type: 'FrameworkSubscribed',
      ...envelope(),
      frameworkId,
      info: info.info,
      ...(info.suppressedRoles.length > 0 ? { suppressedRoles: [...info.suppressedRoles] } : {}),
    });
    await o.follower.reached(ack.seq);
    for (const id of offers) if (!state().offers.has(id)) write(sub, { type: 'RESCIND', rescind: { offer_id: { value: id } } });
    log.info({ frameworkId, roles: info.info.roles }, 'framework updated');
    return { status: 200, text: '' };
  }

  return {
    handle,
    onEvent,
    subscriptions: () => subs.size,
    serves: (frameworkId) => subs.has(frameworkId),
    redeliver(frameworkId, status) {
      const sub = subs.get(frameworkId);
      if (sub === undefined || sub.ended) return false;
      updateInTurn(sub, status);
      return true;
    },
    close() {
      for (const sub of [...subs.values()]) end(sub, 'Master shutting down');
    },
  };
}

/** The framework an event concerns, if it goes to a framework's stream. */
function frameworkOf(e: ClusterEvent): FrameworkId | undefined {
  switch (e.type) {
    case 'OffersCreated':
    case 'OffersRescinded':
    case 'AcceptRefused':
    case 'FrameworkRemoved':
    case 'InverseOffersCreated':
    case 'InverseOffersRescinded':
      return e.frameworkId;
    case 'TaskStatusUpdated':
      return e.status.frameworkId;
    case 'StatusAcknowledged':
    case 'ExecutorMessageSent':
      return e.frameworkId;
    default:
      return undefined;
  }
}

/** A Call in protobuf: decoded to its JSON form, then validated as a JSON Call is. */
function parseProtobufCall(body: Buffer): ReturnType<typeof parseCallJson> {
  let json: unknown;
  try {
    json = decodeProtobuf('schedulerCall', body);
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  return parseCallJson(json);
}

/** The latest update of each task of a framework that still awaits its acknowledgement. */
function unacknowledged(s: State, frameworkId: FrameworkId): TaskStatus[] {
  const f = s.frameworks.get(frameworkId);
  const out: TaskStatus[] = [];
  for (const k of f?.taskKeys ?? []) {
    const t = s.tasks.get(k);
    if (t !== undefined) out.push(...unacknowledgedStatuses(t));
  }
  return out;
}

type MesosOperations = Extract<Call, { type: 'ACCEPT' }>['accept']['operations'];

interface InvalidTask {
  readonly taskId: string;
  readonly agentId?: string | undefined;
  readonly group: boolean;
  readonly error: string;
  /** Denied by the ACLs (run_tasks), not malformed. */
  readonly unauthorized?: boolean;
}

/** The ACLs on an ACCEPT's operations (security/http/operations.ts), merged into its answer. */
function authorizeAccept(ops: ReturnType<typeof operationsFromMesos>, acls: Acls, principal: string | undefined, frameworkUser: string): ReturnType<typeof operationsFromMesos> {
  const a = authorizeOperations(acls, ops.valid, principal, frameworkUser);
  return {
    valid: a.allowed,
    invalid: [...ops.invalid, ...a.deniedTasks.map((d) => ({ taskId: d.taskId, agentId: d.agentId, group: d.group, unauthorized: true, error: d.why }))],
    skipped: [...ops.skipped, ...a.droppedOperations],
  };
}

/**
 * The operations of an ACCEPT: the valid ones as our operations; invalid tasks (a whole group when
 * one of its tasks or its executor is invalid) to be answered with TASK_ERROR; operations this
 * master does not perform (GROW_VOLUME, SHRINK_VOLUME, CREATE_DISK, DESTROY_DISK) and RESERVE,
 * UNRESERVE, CREATE or DESTROY operations whose resources do not convert are dropped, with the
 * reason (Mesos drops invalid operations too; whether the reservation itself is allowed is the
 * fold's to judge, against the state).
 */
function operationsFromMesos(ops: MesosOperations): { valid: Operation[]; invalid: InvalidTask[]; skipped: { type: string; why: string }[] } {
  const valid: Operation[] = [];
  const invalid: InvalidTask[] = [];
  const skipped: { type: string; why: string }[] = [];
  for (const op of ops) {
    if (op.type === 'LAUNCH') {
      const tasks = [];
      for (const ti of op.launch?.task_infos ?? []) {
        const t = taskInfoFromMesos(ti);
        if (t.ok) tasks.push(t.task);
        else invalid.push({ taskId: ti.task_id.value, agentId: ti.agent_id?.value, group: false, error: `Task ${ti.task_id.value} is invalid: ${t.error}` });
      }
      if (tasks.length > 0) valid.push({ type: 'LAUNCH', tasks });
    } else if (op.type === 'LAUNCH_GROUP' && op.launch_group !== undefined) {
      const g = op.launch_group;
      const ex = groupExecutorFromMesos(g.executor);
      const converted = g.task_group.tasks.map((ti) => ({ ti, r: taskInfoFromMesos(ti, g.executor) }));
      const firstBad = !ex.ok ? `Executor is invalid: ${ex.error}` : converted.find((x) => !x.r.ok)?.r;
      if (!ex.ok || converted.some((x) => !x.r.ok)) {
        const why = typeof firstBad === 'string' ? firstBad : firstBad && !firstBad.ok ? firstBad.error : 'invalid task group';
        for (const { ti } of converted) invalid.push({ taskId: ti.task_id.value, agentId: ti.agent_id?.value, group: true, error: `Task group is invalid: ${why}` });
        continue;
      }
      const custom = ex.custom !== undefined ? ExecutorInfo.safeParse(ex.custom) : undefined;
      if (custom !== undefined && !custom.success) {
        for (const { ti } of converted) invalid.push({ taskId: ti.task_id.value, agentId: ti.agent_id?.value, group: true, error: `Task group is invalid: executor: ${custom.error.issues[0]?.message ?? 'invalid'}` });
        continue;
      }
      valid.push({
        type: 'LAUNCH_GROUP',
        executor: ex.executor,
        ...(custom !== undefined ? { customExecutor: custom.data } : {}),
        tasks: converted.map((x) => (x.r.ok ? x.r.task : undefined)!).filter((t) => t !== undefined),
      });
    } else if (op.type === 'RESERVE' || op.type === 'UNRESERVE' || op.type === 'CREATE' || op.type === 'DESTROY') {
      const body = op.type === 'RESERVE' ? op.reserve : op.type === 'UNRESERVE' ? op.unreserve : op.type === 'CREATE' ? op.create : op.destroy;
      if (body === undefined) {
        skipped.push({ type: op.type, why: `'${op.type.toLowerCase()}' is missing` });
        continue;
      }
      const list = 'resources' in body ? body.resources : body.volumes;
      const rs = resourcesFromMesos(list);
      if (!rs.ok) {
        skipped.push({ type: op.type, why: rs.error });
        continue;
      }
      if (rs.resources.length === 0) {
        skipped.push({ type: op.type, why: 'no resources' });
        continue;
      }
      const resources = [...rs.resources];
      if (op.type === 'RESERVE') {
        const src = op.reserve!.source.length > 0 ? resourcesFromMesos(op.reserve!.source) : undefined;
        if (src !== undefined && !src.ok) {
          skipped.push({ type: op.type, why: `source: ${src.error}` });
          continue;
        }
        valid.push({ type: 'RESERVE', resources, ...(src?.ok ? { source: [...src.resources] } : {}) });
      } else if (op.type === 'UNRESERVE') valid.push({ type: 'UNRESERVE', resources });
      else if (op.type === 'CREATE') valid.push({ type: 'CREATE', volumes: resources });
      else valid.push({ type: 'DESTROY', volumes: resources });
    } else if (op.type !== 'UNKNOWN') {
      skipped.push({ type: op.type, why: 'this master does not perform it' });
    }
  }
  return { valid, invalid, skipped };
}
