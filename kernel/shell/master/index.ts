/**
 * The master process: connect, make sure the log exists, fold it (follower), stand for election,
 * and once leading decide (leader) and watch agents (liveness). It serves the HTTP API either way.
 */
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { Logger } from 'pino';
import { type Bus, connectBus, ensureStream, headSeq } from '../bus.js';
import { openSnapshotStore } from './snapshots.js';
import { STREAM_NAME, defaultStreamOptions, subjects } from '../../../events/index.js';
import { type LogFault, type LogGuard, baselineOf, startLogGuard } from './log-guard.js';
import { type HttpApi, type Reply, type RequestContext, type Route, json, startHttpApi, text } from '../http/server.js';
import { loadServerTls } from '../../../security/tls/index.js';
import { metricsSnapshot } from '../http/metrics.js';
import { moreMasterMetrics } from '../http/metrics-mesos.js';
import { createMetricsTally } from '../http/metrics-tally.js';
import { PROMETHEUS_CONTENT_TYPE, toPrometheus } from '../http/prometheus.js';
import { systemMetrics } from '../http/system-metrics.js';
import { masterStateText } from '../http/state-text.js';
import { frameworkJson, masterTasksJson, type MasterIdentity, slaveJson, versionJson } from '../http/state-json.js';
import type { State } from '../../core/state.js';
import { type Follower, startFollower } from './follower.js';
import { type Leadership, createLeadership } from './leader.js';
import { type Liveness, startLiveness } from './liveness.js';
import { type SchedulerApi, createSchedulerApi } from '../scheduler-api/gateway.js';
import { RedeliverySchedule } from './redelivery.js';
import { MasterOptions, type MasterOptionsInput } from './options.js';
import { createOperatorApi } from '../operator-api/api.js';
import { masterRolesJson } from '../http/roles-json.js';
import * as OV from '../operator-api/views.js';
import { createOperatorStream, type OperatorStream } from '../operator-api/stream.js';
import { stateSummaryJson } from '../http/state-summary.js';
import { staticSite } from '../http/static.js';
import { type AclAction, type Acls, ALLOW_ALL, ENFORCED, MASTER_REALMS, authorize, credentialStore, denial, viewableState } from '../../../security/http/index.js';
import { masterRealm } from '../../../security/http/endpoints.js';

export { MasterOptions, type MasterOptionsInput } from './options.js';

export const VERSION = '1.12.0';

export interface MasterHandle {
  readonly masterId: string;
  readonly url: string;
  readonly port: number;
  state(): State;
  /** Last folded stream sequence. */
  seq(): number;
  isLeader(): boolean;
  /** Why this master stopped serving: its log no longer holds what it folded (null: it does). */
  logFault(): LogFault | null;
  readonly caughtUp: Promise<void>;
  stop(): Promise<void>;
}

/** What a route added from outside the kernel (MasterExtras) may use of the master. */
export interface MasterServices {
  readonly bus: Bus;
  readonly log: Logger;
  readonly acls: Acls;
  /** The master's own projection and the last sequence it folded. */
  state(): State;
  seq(): number;
}

/**
 * Endpoints that rooms above the kernel add to every master (`mesos master` adds replay/'s
 * history endpoints), served under the same realms, log guard and errors as the master's own.
 */
export interface MasterExtras {
  readonly routes?: (m: MasterServices) => readonly Route[];
}

export async function startMaster(input: MasterOptionsInput, rootLog: Logger, extras: MasterExtras = {}): Promise<MasterHandle> {
  const o = MasterOptions.parse(input);
  const needsCredentials = [
    ['--authenticate-http-readonly', o.authenticateHttpReadonly],
    ['--authenticate-http-readwrite', o.authenticateHttpReadwrite],
    ['--authenticate-http-frameworks', o.authenticateHttpFrameworks],
  ].filter(([, on]) => on === true);
  if (needsCredentials.length > 0 && o.credentials === null) {
    throw new Error(`${needsCredentials.map(([f]) => f).join(', ')} needs --credentials FILE (Mesos's JSON: {"credentials":[{"principal":"…","secret":"…"}]})`);
  }
  const acls = o.acls ?? ALLOW_ALL;
  const masterId = randomUUID();
  const log = rootLog.child({ masterId });
  const startTime = Date.now();
  const hostname = o.hostname ?? (o.ip === '127.0.0.1' || o.ip === '0.0.0.0' ? 'localhost' : osHostname());

  const serverTls = loadServerTls(o.tls); // a bad file fails the start before anything is touched
  const scheme = serverTls === undefined ? 'http' : 'https';
  const bus: Bus = await connectBus({ servers: o.nats, name: `master-${masterId}`, log, ...(o.creds !== undefined ? { creds: o.creds } : {}), ...(o.tls.ca !== undefined ? { tlsCa: o.tls.ca } : {}) });
  await ensureStream(bus.jsm, { ...defaultStreamOptions(), replicas: o.streamReplicas }, log);
  // What the log looked like when this master started: the guard checks it stays so.
  const baseline = baselineOf(await bus.jsm.streams.info(STREAM_NAME));

  // Start from the newest snapshot, so that starting does not grow with the length of history.
  const snapshots = await openSnapshotStore(bus, o.streamReplicas, log, { newest: 3, spread: o.snapshotHistory });
  const loadStarted = performance.now();
  const snapshot = o.snapshotEveryEvents > 0 ? await snapshots.latest(await headSeq(bus.jsm)) : null;
  if (snapshot !== null) log.info({ seq: snapshot.seq, ms: Math.round(performance.now() - loadStarted) }, 'loaded a snapshot');

  let leadership: Leadership | undefined;
  let schedulerApi: SchedulerApi | undefined;
  const redelivery = new RedeliverySchedule({ minMs: o.statusUpdateRetryMinMs, maxMs: Math.max(o.statusUpdateRetryMinMs, o.statusUpdateRetryMaxMs) });
  const tally = createMetricsTally();
  let operatorStream: OperatorStream | undefined;
  const follower: Follower = startFollower(bus, log, (e, seq) => {
    tally.onEvent(e);
    operatorStream?.onEvent(e, seq);
    leadership?.onEvent(e);
    schedulerApi?.onEvent(e, seq);
    redelivery.noteEvent(e, follower.projection.state, Date.now());
  }, snapshot ?? undefined);
  operatorStream = createOperatorStream({
    follower,
    log,
    heartbeatIntervalMs: o.operatorHeartbeatIntervalMs,
    journalEvents: o.operatorStreamJournalEvents,
    maxLagEvents: o.operatorStreamMaxLagEvents,
    maxStallMs: o.operatorStreamMaxStallMs,
    flushMs: o.operatorStreamFlushMs,
    maxSubscribers: o.operatorStreamMaxSubscribers,
  });
  const stream = operatorStream;

  // The HTTP port is known only after listening (port 0 in tests), and the leader advertises it.
  let identity!: MasterIdentity;
  const flags: Record<string, string> = {
    allocation_interval: `${o.allocationIntervalMs / 1000}secs`,
    offer_timeout: o.offerTimeoutMs === null ? '' : `${o.offerTimeoutMs / 1000}secs`,
    agent_ping_timeout: `${o.agentPingTimeoutMs / 1000}secs`,
    max_agent_ping_timeouts: String(o.maxAgentPingTimeouts),
    framework_ping_timeout: `${o.frameworkPingTimeoutMs / 1000}secs`,
    max_framework_ping_timeouts: String(o.maxFrameworkPingTimeouts),
    ip: o.ip,
    port: String(o.port),
    nats: o.nats,
    registry: 'jetstream',
    allocator: 'hierarchical',
    framework_sorter: 'drf',
    role_sorter: 'drf',
    min_allocatable_resources: o.minAllocatableResources.map((m) => Object.entries(m).map(([k, v]) => `${k}:${v}`).join(';')).join('|'),
    filter_gpu_resources: String(o.filterGpuResources),
    ...(Object.keys(o.weights).length > 0 ? { weights: Object.entries(o.weights).map(([r, w]) => `${r}=${w}`).join(',') } : {}),
    ...(o.roles !== null ? { roles: o.roles.join(',') } : {}),
    authenticate_http_readonly: String(o.authenticateHttpReadonly),
    authenticate_http_readwrite: String(o.authenticateHttpReadwrite),
    authenticate_http_frameworks: String(o.authenticateHttpFrameworks),
    ...(o.credentialsFile !== undefined ? { credentials: o.credentialsFile } : {}),
    ...(o.aclsFile !== undefined ? { acls: o.aclsFile } : {}),
  };

  let httpPort = o.port;
  schedulerApi = createSchedulerApi({
    bus,
    follower,
    log,
    leaderEpoch: () => leadership?.epoch() ?? null,
    me: { masterId, hostname, ip: o.ip, port: () => httpPort, version: VERSION },
    heartbeatIntervalMs: o.heartbeatIntervalMs,
    maxBodyBytes: o.maxBodyBytes,
    acls,
  });
  const api = schedulerApi;
  const metrics = (): Record<string, number> => ({
    ...metricsSnapshot(follower.projection.state, {
      elected: leadership?.epoch() != null,
      uptimeSecs: (Date.now() - startTime) / 1000,
      allocationRuns: leadership?.stats.allocationRuns ?? 0,
      allocationRunMs: leadership?.stats.allocationRunMs ?? [],
      allocationCycleMs: leadership?.stats.allocationCycleMs ?? [],
      allocationLastCandidates: leadership?.stats.lastCandidates ?? 0,
      allocationLastFull: leadership?.stats.lastFull ?? false,
      standbyWarmRuns: leadership?.stats.standbyWarmRuns ?? 0,
      malformedMessages: follower.projection.codec.malformed,
      eventsFolded: follower.projection.state.counters.eventsFolded,
      logSeq: follower.projection.seq,
      snapshotLoadedSeq: snapshot?.seq ?? 0,
      snapshotWrittenSeq: leadership?.snapshotWrittenSeq() ?? 0,
    }),
    ...moreMasterMetrics(follower.projection.state, tally, leadership?.stats.allocationRunMs ?? []),
    ...systemMetrics(),
    'master/operator_event_stream_subscribers': operatorStream?.stats().subscribers ?? 0,
  });
  const operatorApi = createOperatorApi({
    bus,
    follower,
    log,
    leaderEpoch: () => leadership?.epoch() ?? null,
    me: { masterId, hostname, ip: o.ip, port: () => httpPort, version: VERSION, startTime, electedTime: () => leadership?.electedAt() ?? null },
    flags: () => flags,
    metrics,
    maxBodyBytes: o.maxBodyBytes,
    stream,
    acls,
  });
  const st = (): State => follower.projection.state;
  /** The state as the request's principal may see it (view_frameworks, view_tasks). */
  const seen = (ctx: RequestContext): State => viewableState(follower.projection.state, acls, ctx.principal);

  // The text of /master/state from pieces kept between requests (state-text.ts), sent in chunks.
  const stateReply = (ctx: RequestContext): Reply => ({ status: 200, pieces: masterStateText(seen(ctx), currentIdentity()) });
  /**
   * Not in Mesos: what the request's principal may do, by the ACLs (and whether the operator API
   * would ask it to sign in first), so a client can offer only the actions it may take.
   * `?check=<action>[:<object>]`, repeated; none: every enforced action, on any object.
   */
  const permissions = (url: URL, ctx: RequestContext) => {
    const asked = url.searchParams.getAll('check');
    const checks: { action: AclAction; object: string | undefined }[] = [];
    for (const c of asked.length > 0 ? asked : Object.keys(ENFORCED)) {
      const i = c.indexOf(':');
      const action = (i < 0 ? c : c.slice(0, i)) as AclAction;
      if (!(action in ENFORCED)) return text(`check=${c}: ${action} is not an action this master enforces; expected one of ${Object.keys(ENFORCED).join(', ')}, optionally with :<object>`, 400);
      checks.push({ action, object: i < 0 ? undefined : c.slice(i + 1) });
    }
    const signIn = o.authenticateHttpReadwrite && ctx.principal === undefined;
    return json({
      principal: ctx.principal ?? null,
      readwrite_needs_credentials: o.authenticateHttpReadwrite,
      checks: checks.map(({ action, object }) => {
        const d = authorize(acls, action, ctx.principal, object);
        const allowed = d.allowed && !signIn;
        const why = signIn ? 'Sign in first: the operator API of this master needs HTTP Basic credentials' : d.allowed ? `allowed by ${d.rule}` : denial(action, ctx.principal, object, d);
        return { action, object: object ?? null, allowed, why };
      }),
    });
  };
  /** Not in Mesos: the masters that answer the roll call (leader and standbys), each with how far it has folded the log. */
  const masters = async () => {
    const head = await headSeq(bus.jsm);
    const seenMasters: Record<string, unknown>[] = [];
    try {
      const replies = await bus.nc.requestMany(subjects.mastersRollCall, undefined, { maxWait: 400 });
      for await (const m of replies) {
        try {
          seenMasters.push(JSON.parse(new TextDecoder().decode(m.data)) as Record<string, unknown>);
        } catch {
          // a reply that is not JSON is no master of ours
        }
      }
    } catch (err) {
      log.debug({ err }, 'the masters roll call got no answer');
    }
    if (!seenMasters.some((x) => x.master_id === masterId)) seenMasters.push(rollCallAnswer());
    const leader = follower.projection.state.leader;
    return json({
      head,
      leader: leader === null ? null : { master_id: leader.masterId, hostname: leader.hostname, port: leader.port, epoch: leader.epoch, elected_at: new Date(leader.electedAt).toISOString() },
      masters: seenMasters
        .map((x): Record<string, unknown> => ({ ...x, lag: Math.max(0, head - Number(x.seq ?? 0)) }))
        .sort((a, b) => Number(b.leader === true) - Number(a.leader === true) || String(a.master_id).localeCompare(String(b.master_id))),
    });
  };
  const rollCallAnswer = (): Record<string, unknown> => ({
    master_id: masterId,
    hostname,
    port: httpPort,
    url: `${scheme}://${hostname}:${httpPort}`,
    leader: leadership?.epoch() != null,
    seq: follower.projection.seq,
    caught_up: follower.projection.caughtUp,
    version: VERSION,
  });

  const routes: Route[] = [
    { method: 'POST', path: '/api/v1/scheduler', handler: (req, _url, ctx) => api.handle(req, ctx) },
    { method: 'POST', path: '/master/api/v1/scheduler', handler: (req, _url, ctx) => api.handle(req, ctx) },
    { method: 'POST', path: '/api/v1', handler: (req, _url, ctx) => operatorApi.handle(req, ctx) },
    { method: 'POST', path: '/master/api/v1', handler: (req, _url, ctx) => operatorApi.handle(req, ctx) },
    { method: 'GET', path: '/master/roles', handler: () => json(masterRolesJson(st())) },
    { method: 'GET', path: '/roles', handler: () => json(masterRolesJson(st())) },
    { method: 'GET', path: '/master/weights', handler: () => json([...st().weights].map(([role, weight]) => ({ role, weight }))) },
    { method: 'GET', path: '/weights', handler: () => json([...st().weights].map(([role, weight]) => ({ role, weight }))) },
    { method: 'GET', path: '/master/quota', handler: (_req, _url, ctx) => json((OV.getQuota(seen(ctx)) as { status: unknown }).status) },
    { method: 'GET', path: '/quota', handler: (_req, _url, ctx) => json((OV.getQuota(seen(ctx)) as { status: unknown }).status) },
    { method: 'GET', path: '/master/maintenance/schedule', handler: () => json((OV.getMaintenanceSchedule(st()) as { schedule: unknown }).schedule) },
    { method: 'GET', path: '/maintenance/schedule', handler: () => json((OV.getMaintenanceSchedule(st()) as { schedule: unknown }).schedule) },
    { method: 'GET', path: '/master/maintenance/status', handler: () => json((OV.getMaintenanceStatus(st()) as { status: unknown }).status) },
    { method: 'GET', path: '/maintenance/status', handler: () => json((OV.getMaintenanceStatus(st()) as { status: unknown }).status) },
    {
      method: 'GET',
      path: '/master/redirect',
      handler: () => {
        const leader = follower.projection.state.leader;
        if (leader === null) return text('No leader elected', 503);
        return { status: 307, headers: { Location: `//${leader.hostname}:${leader.port}` }, text: '' };
      },
    },
    {
      method: 'GET',
      path: '/health',
      handler: () => (follower.projection.caughtUp ? text('', 200) : text('Master has not caught up with the log yet', 503)),
    },
    { method: 'GET', path: '/master/health', handler: () => (follower.projection.caughtUp ? text('', 200) : text('Master has not caught up with the log yet', 503)) },
    { method: 'GET', path: '/master/state', handler: (_req, _url, ctx) => stateReply(ctx) },
    { method: 'GET', path: '/state', handler: (_req, _url, ctx) => stateReply(ctx) },
    // The paths of older Mesos releases, still used by its web UI and by old tools.
    ...['/master/state.json', '/state.json'].map((path): Route => ({ method: 'GET', path, handler: (_req, _url, ctx) => stateReply(ctx) })),
    ...['/master/state-summary', '/state-summary'].map((path): Route => ({ method: 'GET', path, handler: (_req, _url, ctx) => json(stateSummaryJson(seen(ctx), hostname)) })),
    ...['/master/flags', '/flags'].map((path): Route => ({ method: 'GET', path, handler: () => json({ flags }) })),
    ...['/master/roles.json', '/roles.json'].map((path): Route => ({ method: 'GET', path, handler: () => json(masterRolesJson(st())) })),
    {
      method: 'GET',
      path: '/master/slaves',
      handler: () => json({ slaves: [...follower.projection.state.agents.values()].filter((a) => a.status !== 'REMOVED').map(slaveJson), recovered_slaves: [] }),
    },
    {
      method: 'GET',
      path: '/master/frameworks',
      handler: (_req, _url, ctx) => {
        const s = seen(ctx);
        return json({
          frameworks: [...s.frameworks.values()].map((f) => frameworkJson(s, f)),
          completed_frameworks: s.completedFrameworks.map((f) => frameworkJson(s, f)),
          unregistered_frameworks: [],
        });
      },
    },
    {
      method: 'GET',
      path: '/master/tasks',
      handler: (_req, url, ctx) => {
        const limit = Number(url.searchParams.get('limit') ?? 100);
        const offset = Number(url.searchParams.get('offset') ?? 0);
        if (!Number.isInteger(limit) || limit < 0 || !Number.isInteger(offset) || offset < 0) {
          return text('limit and offset must be non-negative integers', 400);
        }
        return json(masterTasksJson(seen(ctx), limit, offset));
      },
    },
    ...['/master/permissions', '/permissions'].map((path): Route => ({ method: 'GET', path, handler: (_req, url, ctx) => permissions(url, ctx) })),
    ...['/master/masters', '/masters'].map((path): Route => ({ method: 'GET', path, handler: () => masters() })),
    { method: 'GET', path: '/metrics/snapshot', handler: () => json(metrics()) },
    { method: 'GET', path: '/metrics', handler: () => ({ status: 200, text: toPrometheus(metrics()), headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE } }) },
    {
      method: 'GET',
      path: '/version',
      handler: () => json(versionJson(VERSION)),
    },
    ...(extras.routes?.({ bus, log, acls, state: () => follower.projection.state, seq: () => follower.projection.seq }) ?? []),
  ];
  const site = staticSite();

  // A master whose log no longer holds what it folded serves nothing of it (log-guard.ts).
  let logFault: LogFault | null = null;
  const guarded: Route[] = routes.map((r) =>
    r.path === '/version' ? r : { ...r, handler: (req, url, ctx) => (logFault !== null ? text(`The cluster log no longer holds what this master folded (${logFault.code}): ${logFault.message}`, 503) : r.handler(req, url, ctx)) },
  );

  let http: HttpApi;
  try {
    http = await startHttpApi({
      ip: o.ip,
      port: o.port,
      routes: guarded.map((r) => {
        const realm = masterRealm(r.path);
        return realm === null ? r : { ...r, realm };
      }),
      log,
      tls: serverTls,
      fallback: (req, url) => site.reply(req, url.pathname),
      auth: {
        credentials: o.credentials === null ? null : credentialStore(o.credentials),
        readonly: o.authenticateHttpReadonly,
        readwrite: o.authenticateHttpReadwrite,
        frameworks: o.authenticateHttpFrameworks,
        realmNames: MASTER_REALMS,
      },
    });
  } catch (err) {
    await follower.stop();
    await bus.close();
    throw err;
  }
  flags.port = String(http.port);
  httpPort = http.port;
  identity = { id: masterId, hostname, ip: o.ip, port: http.port, version: VERSION, startTime, electedTime: null, flags };
  const rollCall = bus.nc.subscribe(subjects.mastersRollCall, {
    callback: (err, m) => {
      if (err === null) m.respond(new TextEncoder().encode(JSON.stringify(rollCallAnswer())));
    },
  });
  function currentIdentity(): MasterIdentity {
    return { ...identity, electedTime: leadership?.electedAt() ?? null };
  }

  const guard: LogGuard = startLogGuard({
    jsm: bus.jsm,
    baseline,
    folded: () => follower.projection.seq,
    snapshotSeq: snapshot?.seq ?? 0,
    intervalMs: o.logCheckIntervalMs,
    log,
    onFault: (f) => {
      logFault = f;
      // Stop leading (the lease goes at once, so a standby may judge the log for itself), stop
      // folding a log that is no longer the one folded, and end the framework streams.
      api.close();
      void leadership?.stop().catch((err: unknown) => log.error({ err }, 'stopping the leadership failed'));
      void follower.stop().catch(() => undefined);
    },
  });
  // Judged once before standing for election: a master started on a log that lost events never leads.
  if ((await guard.check()) === null) leadership = createLeadership(bus, follower, { masterId, hostname, ip: o.ip, port: http.port }, o, log);
  const liveness: Liveness = startLiveness(
    bus,
    {
      masterId,
      agentPingTimeoutMs: o.agentPingTimeoutMs,
      maxAgentTimeouts: o.maxAgentPingTimeouts,
      frameworkPingTimeoutMs: o.frameworkPingTimeoutMs,
      maxFrameworkTimeouts: o.maxFrameworkPingTimeouts,
    },
    {
      view: () => ({ state: follower.projection.state, epoch: leadership?.epoch() ?? null }),
      declareUnreachable: (agentId) => leadership!.declareUnreachable(agentId),
      declareDisconnected: (frameworkId) => leadership!.declareDisconnected(frameworkId),
      servesOverHttp: (frameworkId) => api.serves(frameworkId),
    },
    log,
  );
  // The leader delivers unacknowledged updates again (not a new event: nothing is appended).
  const enc = new TextEncoder();
  let redelivering = false;
  const redeliveryTimer = setInterval(() => {
    if (leadership?.epoch() == null) {
      redelivering = false;
      return;
    }
    const state = follower.projection.state;
    if (!redelivering) {
      redelivering = true;
      redelivery.seed(state, Date.now());
      return;
    }
    for (const { frameworkId, status } of redelivery.due(state, Date.now())) {
      if (!api.redeliver(frameworkId, status)) bus.nc.publish(subjects.redeliveredUpdates(frameworkId), enc.encode(JSON.stringify(status)));
    }
  }, Math.min(1000, Math.max(50, Math.floor(o.statusUpdateRetryMinMs / 4))));
  redeliveryTimer.unref();
  log.info({ url: `${scheme}://${o.ip}:${http.port}`, nats: o.nats }, 'master started');

  return {
    masterId,
    url: `${scheme}://${o.ip}:${http.port}`,
    port: http.port,
    state: () => follower.projection.state,
    seq: () => follower.projection.seq,
    isLeader: () => leadership?.epoch() != null,
    caughtUp: follower.caughtUp,
    logFault: () => logFault,
    async stop() {
      guard.stop();
      rollCall.unsubscribe();
      clearInterval(redeliveryTimer);
      stream.close();
      operatorApi.close();
      api.close();
      liveness.stop();
      await leadership?.stop();
      await http.close();
      await follower.stop();
      await bus.close();
      log.info('master stopped');
    },
  };
}
