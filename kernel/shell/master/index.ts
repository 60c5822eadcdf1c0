/**
 * The master process: connect, make sure the log exists, fold it (follower), stand for election,
 * and once leading decide (leader) and watch agents (liveness). It serves the HTTP API either way.
 */
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { Logger } from 'pino';
import { type Bus, connectBus, ensureStream, headSeq } from '../bus.js';
import { openSnapshotStore } from './snapshots.js';
import { defaultStreamOptions, subjects } from '../../../events/index.js';
import { type HttpApi, type Route, json, startHttpApi, text } from '../http/server.js';
import { loadServerTls } from '../../../security/tls/index.js';
import { metricsSnapshot } from '../http/metrics.js';
import { frameworkJson, masterStateJson, masterTasksJson, type MasterIdentity, slaveJson, versionJson } from '../http/state-json.js';
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
  readonly caughtUp: Promise<void>;
  stop(): Promise<void>;
}

export async function startMaster(input: MasterOptionsInput, rootLog: Logger): Promise<MasterHandle> {
  const o = MasterOptions.parse(input);
  const masterId = randomUUID();
  const log = rootLog.child({ masterId });
  const startTime = Date.now();
  const hostname = o.hostname ?? (o.ip === '127.0.0.1' || o.ip === '0.0.0.0' ? 'localhost' : osHostname());

  const serverTls = loadServerTls(o.tls); // a bad file fails the start before anything is touched
  const scheme = serverTls === undefined ? 'http' : 'https';
  const bus: Bus = await connectBus({ servers: o.nats, name: `master-${masterId}`, log, ...(o.tls.ca !== undefined ? { tlsCa: o.tls.ca } : {}) });
  await ensureStream(bus.jsm, { ...defaultStreamOptions(), replicas: o.streamReplicas }, log);

  // Start from the newest snapshot, so that starting does not grow with the length of history.
  const snapshots = await openSnapshotStore(bus, o.streamReplicas, log, { newest: 3, spread: o.snapshotHistory });
  const loadStarted = performance.now();
  const snapshot = o.snapshotEveryEvents > 0 ? await snapshots.latest(await headSeq(bus.jsm)) : null;
  if (snapshot !== null) log.info({ seq: snapshot.seq, ms: Math.round(performance.now() - loadStarted) }, 'loaded a snapshot');

  let leadership: Leadership | undefined;
  let schedulerApi: SchedulerApi | undefined;
  const redelivery = new RedeliverySchedule({ minMs: o.statusUpdateRetryMinMs, maxMs: Math.max(o.statusUpdateRetryMinMs, o.statusUpdateRetryMaxMs) });
  const follower: Follower = startFollower(bus, log, (e, seq) => {
    leadership?.onEvent(e);
    schedulerApi?.onEvent(e, seq);
    redelivery.noteEvent(e, follower.projection.state, Date.now());
  }, snapshot ?? undefined);

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
  });
  const api = schedulerApi;
  const metrics = () =>
    metricsSnapshot(follower.projection.state, {
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
  });
  const st = (): State => follower.projection.state;

  const routes: Route[] = [
    { method: 'POST', path: '/api/v1/scheduler', handler: (req) => api.handle(req) },
    { method: 'POST', path: '/master/api/v1/scheduler', handler: (req) => api.handle(req) },
    { method: 'POST', path: '/api/v1', handler: (req) => operatorApi.handle(req) },
    { method: 'POST', path: '/master/api/v1', handler: (req) => operatorApi.handle(req) },
    { method: 'GET', path: '/master/roles', handler: () => json(masterRolesJson(st())) },
    { method: 'GET', path: '/roles', handler: () => json(masterRolesJson(st())) },
    { method: 'GET', path: '/master/weights', handler: () => json([...st().weights].map(([role, weight]) => ({ role, weight }))) },
    { method: 'GET', path: '/weights', handler: () => json([...st().weights].map(([role, weight]) => ({ role, weight }))) },
    { method: 'GET', path: '/master/quota', handler: () => json((OV.getQuota(st()) as { status: unknown }).status) },
    { method: 'GET', path: '/quota', handler: () => json((OV.getQuota(st()) as { status: unknown }).status) },
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
    { method: 'GET', path: '/master/state', handler: () => json(masterStateJson(follower.projection.state, currentIdentity())) },
    { method: 'GET', path: '/state', handler: () => json(masterStateJson(follower.projection.state, currentIdentity())) },
    {
      method: 'GET',
      path: '/master/slaves',
      handler: () => json({ slaves: [...follower.projection.state.agents.values()].filter((a) => a.status !== 'REMOVED').map(slaveJson), recovered_slaves: [] }),
    },
    {
      method: 'GET',
      path: '/master/frameworks',
      handler: () => {
        const s = follower.projection.state;
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
      handler: (_req, url) => {
        const limit = Number(url.searchParams.get('limit') ?? 100);
        const offset = Number(url.searchParams.get('offset') ?? 0);
        if (!Number.isInteger(limit) || limit < 0 || !Number.isInteger(offset) || offset < 0) {
          return text('limit and offset must be non-negative integers', 400);
        }
        return json(masterTasksJson(follower.projection.state, limit, offset));
      },
    },
    { method: 'GET', path: '/metrics/snapshot', handler: () => json(metrics()) },
    {
      method: 'GET',
      path: '/version',
      handler: () => json(versionJson(VERSION)),
    },
  ];

  let http: HttpApi;
  try {
    http = await startHttpApi({ ip: o.ip, port: o.port, routes, log, tls: serverTls });
  } catch (err) {
    await follower.stop();
    await bus.close();
    throw err;
  }
  flags.port = String(http.port);
  httpPort = http.port;
  identity = { id: masterId, hostname, ip: o.ip, port: http.port, version: VERSION, startTime, electedTime: null, flags };
  function currentIdentity(): MasterIdentity {
    return { ...identity, electedTime: leadership?.electedAt() ?? null };
  }

  leadership = createLeadership(bus, follower, { masterId, hostname, ip: o.ip, port: http.port }, o, log);
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
    async stop() {
      clearInterval(redeliveryTimer);
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
