/**
 * The Mesos v1 operator API (`POST /api/v1`, also `/master/api/v1`), served by the leading master.
 * Queries are answered from the projection. Calls that change the cluster — weights, quota,
 * reservations, volumes, maintenance, draining, (de)activation, marking an agent gone, tearing a
 * framework down — are checked against the projection (answering 400/404/409 as Mesos does),
 * appended to the log as events, and answered once the fold has passed them: if the fold refused
 * one (the state had moved on in between), the answer says why. Standbys redirect to the leader.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import {
  type AgentId,
  AgentId as AgentIdSchema,
  type ClusterEventInput,
  type FrameworkId,
  FrameworkId as FrameworkIdSchema,
  type Resources,
  SCHEMA_VERSION,
  type TaskId,
  isTerminal,
  taskKey,
} from '../../../events/index.js';
import { available } from '../../core/accounts.js';
import { type Bus, append } from '../bus.js';
import { reservationOverLimit } from '../../core/fold/allocation.js';
import { type Reply, type RequestContext, readBody } from '../http/server.js';
import { type AclAction, type Acls, authorize, denial, restricts, viewableState } from '../../../security/http/index.js';
import type { Follower } from '../master/follower.js';
import { quotaUpdateError } from '../../core/quota.js';
import { type Actor, applyConversion, createVolumes, destroyVolumes, reserve, unreserve } from '../../core/reservations.js';
import { explainMissing } from '../../core/reservation-mismatch.js';
import { roleError } from '../../core/roles.js';
import { masterInfoToMesos, resourcesFromMesos } from '../scheduler-api/convert/index.js';
import { machineKey, type MachineId, type State } from '../../core/state.js';
import * as V from './views.js';
import { type MesosMachineId, type OperatorCall, type OperatorCallType, parseOperatorCall, parseOperatorCallJson } from './wire.js';
import { APPLICATION_PROTOBUF, type Media, NOT_ACCEPTABLE, requestMedia, responseMedia } from '../http/media.js';
import { decode as decodeProtobuf, encode as encodeProtobuf } from '../../../proto/index.js';
import type { OperatorStream } from './stream.js';
import { parseCursor } from './stream.js';
import { createLoggingLevel } from './logging-level.js';
import { BUILD } from '../http/build-info.js';

export interface OperatorApiOptions {
  readonly bus: Bus;
  readonly follower: Follower;
  readonly log: Logger;
  /** This master's epoch while it leads, else null. */
  readonly leaderEpoch: () => number | null;
  readonly me: {
    readonly masterId: string;
    readonly hostname: string;
    readonly ip: string;
    readonly port: () => number;
    readonly version: string;
    readonly startTime: number;
    readonly electedTime: () => number | null;
  };
  readonly flags: () => Readonly<Record<string, string>>;
  readonly metrics: () => Readonly<Record<string, number>>;
  readonly maxBodyBytes: number;
  /** Mesos's ACLs: each call that changes the cluster is authorized; GET_* views are filtered. */
  readonly acls: Acls;
  /** The event stream served to SUBSCRIBE (by every master, leader or not). */
  readonly stream: OperatorStream;
}

export interface OperatorApi {
  handle(req: IncomingMessage, ctx?: RequestContext): Promise<Reply>;
  close(): void;
}

const ok = (type: OperatorCallType, body?: unknown): Reply =>
  body === undefined ? { status: 200, text: '' } : { status: 200, body: { type, [type.toLowerCase()]: body } };
const bad = (text: string): Reply => ({ status: 400, text });
const conflict = (text: string): Reply => ({ status: 409, text });
const notFound = (text: string): Reply => ({ status: 404, text });

/** Calls any master answers itself; everything else is the leader's. */
const LOCAL: ReadonlySet<OperatorCallType> = new Set(['GET_HEALTH', 'GET_FLAGS', 'GET_VERSION', 'GET_LOGGING_LEVEL', 'SET_LOGGING_LEVEL', 'SUBSCRIBE']);

export function createOperatorApi(o: OperatorApiOptions): OperatorApi {
  const log = o.log.child({ component: 'operator-api' });
  const state = (): State => o.follower.projection.state;
  const envelope = () => ({ schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: Date.now() });
  const loggingLevel = createLoggingLevel(o.log);

  /** Append, wait until folded, and report the fold's refusal if there was one. */
  async function commit(e: ClusterEventInput & { id: string }, success: Reply, refusal: (why: string) => Reply = conflict): Promise<Reply> {
    const ack = await append(o.bus.js, e);
    await o.follower.reached(ack.seq);
    const why = state().operatorRefusals.get(e.id);
    if (why !== undefined) {
      log.info({ type: e.type, why }, 'operator call refused by the fold');
      return refusal(why);
    }
    log.info({ type: e.type, id: e.id }, 'operator call applied');
    return success;
  }

  function notLeader(): Reply {
    const leader = state().leader;
    if (leader === null || leader.masterId === o.me.masterId) return { status: 503, text: 'No leader elected' };
    return { status: 307, headers: { Location: `//${leader.hostname}:${leader.port}/api/v1` }, text: '' };
  }

  function agentOf(value: string): { ok: true; id: AgentId } | { ok: false; reply: Reply } {
    const p = AgentIdSchema.safeParse(value);
    const a = p.success ? state().agents.get(p.data) : undefined;
    if (a === undefined || a.status === 'REMOVED') return { ok: false, reply: notFound(`Agent ${value} not found`) };
    return { ok: true, id: a.id };
  }

  function resources(list: Parameters<typeof resourcesFromMesos>[0], what: string): { ok: true; rs: Resources } | { ok: false; reply: Reply } {
    const r = resourcesFromMesos(list);
    if (!r.ok) return { ok: false, reply: bad(`Invalid ${what}: ${r.error}`) };
    if (r.resources.length === 0) return { ok: false, reply: bad(`Invalid ${what}: no resources`) };
    return { ok: true, rs: r.resources };
  }

  async function handle(req: IncomingMessage, ctx: RequestContext = { principal: undefined }): Promise<Reply> {
    if (req.method !== 'POST') return { status: 405, text: `Expecting 'POST', received '${req.method ?? ''}'`, headers: { Allow: 'POST' } };
    const media = requestMedia(req.headers['content-type']);
    if (!media.ok) return { status: media.status, text: media.text };
    const answer = responseMedia(req.headers.accept);
    if (answer === null) return { status: 406, text: `${NOT_ACCEPTABLE}; got '${String(req.headers.accept)}'` };
    const body = await readBody(req, o.maxBodyBytes);
    const parsed = media.media === APPLICATION_PROTOBUF ? parseProtobuf(body) : parseOperatorCall(body.toString('utf8'));
    if (!parsed.ok) return bad(parsed.error);
    const c = parsed.call;
    log.debug({ type: c.type }, 'operator call');
    if (!LOCAL.has(c.type) && o.leaderEpoch() === null) return notLeader();
    if (c.type === 'SUBSCRIBE') return subscribe(req, c, answer, ctx.principal);
    return inMedia(await dispatch(c, ctx.principal), answer);
  }

  /**
   * SUBSCRIBE: the operator event stream (stream.ts), in JSON or protobuf. It is not filtered per principal,
   * so under view ACLs it is served only to a principal allowed to view every framework, task and
   * executor.
   */
  function subscribe(req: IncomingMessage, c: OperatorCall, answer: Media, principal: string | undefined): Reply {
    for (const action of ['view_frameworks', 'view_tasks', 'view_executors'] as const) {
      if (!restricts(o.acls, action)) continue;
      const denied = forbidden(principal, action);
      if (denied !== undefined) return { status: 403, text: `${denied.text ?? ''} (the operator event stream is not filtered per principal: it is served only to principals the ACLs let view every framework, task and executor)` };
    }
    const header = req.headers['last-event-id'];
    const resume = c.subscribe?.last_event_id ?? (Array.isArray(header) ? header[0] : header);
    const protobuf = answer === APPLICATION_PROTOBUF;
    if (resume === undefined || resume === '') return o.stream.subscribe(null, req.socket.remoteAddress ?? '', protobuf);
    const cursor = parseCursor(resume);
    if (typeof cursor === 'string') return bad(cursor);
    return o.stream.subscribe(cursor, req.socket.remoteAddress ?? '', protobuf);
  }

  /** A Call in protobuf: decoded to its JSON form, then validated as a JSON Call is. */
  function parseProtobuf(body: Buffer): ReturnType<typeof parseOperatorCallJson> {
    try {
      return parseOperatorCallJson(decodeProtobuf('masterCall', body));
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  }

  /** A Response body in the media type asked for (errors stay plain text, as Mesos's). */
  function inMedia(r: Reply, media: Media): Reply {
    if (media !== APPLICATION_PROTOBUF || r.body === undefined) return r;
    const bytes = encodeProtobuf('masterResponse', r.body);
    return {
      status: r.status,
      takeover: (res) => {
        res.writeHead(r.status, { ...r.headers, 'Content-Type': APPLICATION_PROTOBUF, 'Content-Length': bytes.length });
        res.end(bytes);
      },
    };
  }

  /** A 403 naming the rule if the ACLs deny `principal` the action on any of `objects` (undefined: ANY). */
  function forbidden(principal: string | undefined, action: AclAction, objects: readonly (string | undefined)[] = [undefined]): Reply | undefined {
    for (const object of objects) {
      const d = authorize(o.acls, action, principal, object);
      if (!d.allowed) {
        log.info({ action, principal, object, rule: d.rule }, 'operator call denied by the ACLs');
        return { status: 403, text: denial(action, principal, object, d) };
      }
    }
    return undefined;
  }

  async function dispatch(c: OperatorCall & { type: OperatorCallType }, principal: string | undefined): Promise<Reply> {
    const s = state();
    // What this principal may see (view_frameworks, view_tasks, view_executors, get_quotas).
    const seen = (): State => viewableState(s, o.acls, principal);
    const missing = (field: string): Reply => bad(`Failed to validate master::Call: Expecting '${field}' to be present`);
    switch (c.type) {
      case 'GET_HEALTH':
        return ok(c.type, { healthy: o.follower.projection.caughtUp });
      case 'GET_FLAGS':
        return ok(c.type, { flags: Object.entries(o.flags()).map(([name, value]) => ({ name, value })) });
      case 'GET_LOGGING_LEVEL':
        return ok(c.type, { level: loggingLevel.get() });
      case 'SET_LOGGING_LEVEL': {
        const d = c.set_logging_level;
        if (d === undefined) return missing('set_logging_level');
        if (d.level === undefined) return missing('set_logging_level.level');
        if (d.duration === undefined) return missing('set_logging_level.duration');
        if (!Number.isInteger(d.level) || d.level < 0) return bad(`Invalid logging level ${d.level}: expected a verbosity of 0 or more (0: normal, 1: debug, 2: trace)`);
        const ms = d.duration.nanoseconds / 1e6;
        if (!(ms > 0) || !Number.isFinite(ms) || ms > 2 ** 31 - 1) return bad('Invalid duration: expected more than 0 and less than 24 days, in nanoseconds');
        loggingLevel.set(d.level, Math.ceil(ms));
        return ok(c.type);
      }
      case 'GET_VERSION':
        return ok(c.type, { version_info: { version: o.me.version, build_date: BUILD.buildDate, build_time: BUILD.buildTime, build_user: '', git_sha: '' } });
      case 'GET_METRICS':
        return ok(c.type, { metrics: Object.entries(o.metrics()).map(([name, value]) => ({ name, value })) });
      case 'GET_MASTER': {
        const elected = o.me.electedTime();
        return ok(c.type, {
          master_info: masterInfoToMesos({ id: o.me.masterId, hostname: o.me.hostname, ip: o.me.ip, port: o.me.port(), version: o.me.version, capabilities: ['AGENT_UPDATE', 'AGENT_DRAINING', 'QUOTA_V2'] }),
          start_time: o.me.startTime / 1000,
          ...(elected !== null ? { elected_time: elected / 1000 } : {}),
        });
      }
      case 'GET_STATE':
        return ok(c.type, V.getState(seen()));
      case 'GET_AGENTS':
        return ok(c.type, V.getAgents(s));
      case 'GET_FRAMEWORKS':
        return ok(c.type, V.getFrameworks(seen()));
      case 'GET_TASKS':
        return ok(c.type, V.getTasks(seen()));
      case 'GET_EXECUTORS':
        return ok(c.type, V.getExecutors(seen()));
      case 'GET_OPERATIONS':
        // Offer operations are applied when their accept is folded; none is left pending to report.
        return ok(c.type, { operations: [] });
      case 'GET_ROLES':
        return ok(c.type, V.getRoles(s));
      case 'GET_WEIGHTS':
        return ok(c.type, V.getWeights(s));
      case 'GET_QUOTA':
        return ok(c.type, V.getQuota(seen()));
      case 'GET_MAINTENANCE_SCHEDULE':
        return ok(c.type, V.getMaintenanceSchedule(s));
      case 'GET_MAINTENANCE_STATUS':
        return ok(c.type, V.getMaintenanceStatus(s));

      case 'UPDATE_WEIGHTS': {
        const infos = c.update_weights?.weight_infos;
        if (infos === undefined) return missing('update_weights');
        if (infos.length === 0) return bad('Invalid weights: no weight_infos given');
        const weights: { role: string; weight: number }[] = [];
        for (const w of infos) {
          if (w.role === undefined) return bad("Invalid weights: each weight_info needs a 'role'");
          const why = roleError(w.role);
          if (why !== undefined) return bad(`Invalid weights: ${why}`);
          if (!(w.weight > 0) || !Number.isFinite(w.weight)) return bad(`Invalid weight ${w.weight} for role '${w.role}': weights must be positive numbers`);
          if (s.allocator.roleWhitelist !== null && !s.allocator.roleWhitelist.includes(w.role)) return bad(`Role '${w.role}' is not on the roles whitelist`);
          weights.push({ role: w.role, weight: w.weight });
        }
        const denied = forbidden(principal, 'update_weights', weights.map((w) => w.role));
        if (denied !== undefined) return denied;
        return commit({ type: 'WeightsUpdated', ...envelope(), weights, source: 'OPERATOR' }, ok(c.type), bad);
      }

      case 'UPDATE_QUOTA': {
        const u = c.update_quota;
        if (u === undefined) return missing('update_quota');
        if (u.quota_configs.length === 0) return bad('Invalid QuotaConfig: no quota_configs given');
        const configs = [];
        for (const q of u.quota_configs) {
          const rec = (m: Record<string, { value: number }> | undefined, what: string, infinityIsNone: boolean): Record<string, number> | string => {
            const out: Record<string, number> = {};
            for (const [k, v] of Object.entries(m ?? {})) {
              if (v.value === Number.POSITIVE_INFINITY && infinityIsNone) continue;
              if (!Number.isFinite(v.value) || v.value < 0) return `Invalid QuotaConfig: role '${q.role}': ${what}.${k} must be a finite number >= 0`;
              out[k] = v.value;
            }
            return out;
          };
          const guarantees = rec(q.guarantees, 'guarantees', false);
          if (typeof guarantees === 'string') return bad(guarantees);
          const limits = rec(q.limits, 'limits', true);
          if (typeof limits === 'string') return bad(limits);
          if (s.allocator.roleWhitelist !== null && !s.allocator.roleWhitelist.includes(q.role)) return bad(`Invalid QuotaConfig: '${q.role}' is not on the roles whitelist`);
          configs.push({ role: q.role, guarantees, limits });
        }
        const denied = forbidden(principal, 'update_quotas', configs.map((q) => q.role));
        if (denied !== undefined) return denied;
        const force = u.force ?? false;
        const why = quotaUpdateError(s, configs, force);
        if (why !== undefined) return bad(why);
        return commit({ type: 'QuotaUpdated', ...envelope(), configs, force }, ok(c.type), bad);
      }

      case 'RESERVE_RESOURCES':
      case 'UNRESERVE_RESOURCES':
      case 'CREATE_VOLUMES':
      case 'DESTROY_VOLUMES': {
        const body =
          c.type === 'RESERVE_RESOURCES'
            ? c.reserve_resources
            : c.type === 'UNRESERVE_RESOURCES'
              ? c.unreserve_resources
              : c.type === 'CREATE_VOLUMES'
                ? c.create_volumes
                : c.destroy_volumes;
        if (body === undefined) return missing(c.type.toLowerCase());
        const agent = agentOf(body.agent_id.value);
        if (!agent.ok) return agent.reply;
        const list = 'resources' in body ? body.resources : body.volumes;
        const rs = resources(list, c.type.includes('VOLUMES') ? 'volumes' : 'resources');
        if (!rs.ok) return rs.reply;
        let source: Resources | undefined;
        if (c.type === 'RESERVE_RESOURCES' && c.reserve_resources!.source.length > 0) {
          const src = resources(c.reserve_resources!.source, 'source');
          if (!src.ok) return src.reply;
          source = src.rs;
        }
        const last = (r: Resources[number]) => r.reservations?.[r.reservations.length - 1];
        const denied =
          c.type === 'RESERVE_RESOURCES'
            ? forbidden(principal, 'reserve_resources', rs.rs.map((r) => last(r)?.role ?? '*'))
            : c.type === 'UNRESERVE_RESOURCES'
              ? forbidden(principal, 'unreserve_resources', rs.rs.map((r) => last(r)?.principal ?? ''))
              : c.type === 'CREATE_VOLUMES'
                ? forbidden(principal, 'create_volumes', rs.rs.map((r) => last(r)?.role ?? '*'))
                : forbidden(principal, 'destroy_volumes', rs.rs.map((r) => ('disk' in r ? r.disk?.persistence?.principal : undefined) ?? ''));
        if (denied !== undefined) return denied;
        const a = s.agents.get(agent.id)!;
        const actor: Actor = { kind: 'operator' };
        const conv =
          c.type === 'RESERVE_RESOURCES'
            ? reserve(rs.rs, source, actor)
            : c.type === 'UNRESERVE_RESOURCES'
              ? unreserve(rs.rs, actor)
              : c.type === 'CREATE_VOLUMES'
                ? createVolumes(rs.rs, a.resources, actor)
                : destroyVolumes(rs.rs, actor);
        if (!conv.ok) return bad(`Invalid ${c.type.replace('_RESOURCES', '').replace('_VOLUMES', '')} operation: ${conv.error}`);
        const applied = applyConversion(available(a), conv);
        if (typeof applied === 'string') {
          const why = explainMissing(conv.from, { total: a.resources, used: a.used, offered: a.offered });
          return conflict(`Insufficient resources on agent ${a.id}: ${why ?? applied}`);
        }
        if (c.type === 'RESERVE_RESOURCES') {
          const over = reservationOverLimit(s, conv.to, conv.from);
          if (over !== undefined) return bad(over);
        }
        const e: ClusterEventInput & { id: string } =
          c.type === 'RESERVE_RESOURCES'
            ? { type: 'ResourcesReserved', ...envelope(), agentId: a.id, resources: [...rs.rs], ...(source !== undefined ? { source: [...source] } : {}) }
            : c.type === 'UNRESERVE_RESOURCES'
              ? { type: 'ResourcesUnreserved', ...envelope(), agentId: a.id, resources: [...rs.rs] }
              : c.type === 'CREATE_VOLUMES'
                ? { type: 'VolumesCreated', ...envelope(), agentId: a.id, volumes: [...rs.rs] }
                : { type: 'VolumesDestroyed', ...envelope(), agentId: a.id, volumes: [...rs.rs] };
        return commit(e, { status: 202, text: '' });
      }

      case 'DRAIN_AGENT': {
        const d = c.drain_agent;
        if (d === undefined) return missing('drain_agent');
        const agent = agentOf(d.agent_id.value);
        if (!agent.ok) return agent.reply;
        let maxGracePeriodMs: number | undefined;
        if (d.max_grace_period !== undefined) {
          const ms = (d.max_grace_period.seconds ?? 0) * 1000 + (d.max_grace_period.nanos ?? 0) / 1e6;
          if (!(ms >= 0) || !Number.isFinite(ms)) return bad("'max_grace_period' must not be negative");
          maxGracePeriodMs = Math.round(ms);
        }
        const denied = forbidden(principal, 'drain_agents');
        if (denied !== undefined) return denied;
        const markGone = d.mark_gone ?? false;
        const a = s.agents.get(agent.id)!;
        if (a.drain !== null && (a.drain.markGone !== markGone || a.drain.maxGracePeriodMs !== (maxGracePeriodMs ?? null))) {
          return conflict(`Agent ${a.id} is already ${a.drain.state.toLowerCase()} with other settings`);
        }
        return commit({ type: 'AgentDrainStarted', ...envelope(), agentId: a.id, markGone, ...(maxGracePeriodMs !== undefined ? { maxGracePeriodMs } : {}) }, ok(c.type));
      }
      case 'DEACTIVATE_AGENT':
      case 'REACTIVATE_AGENT': {
        const d = c.type === 'DEACTIVATE_AGENT' ? c.deactivate_agent : c.reactivate_agent;
        if (d === undefined) return missing(c.type.toLowerCase());
        const agent = agentOf(d.agent_id.value);
        if (!agent.ok) return agent.reply;
        const denied = forbidden(principal, c.type === 'DEACTIVATE_AGENT' ? 'deactivate_agents' : 'reactivate_agents');
        if (denied !== undefined) return denied;
        return commit({ type: c.type === 'DEACTIVATE_AGENT' ? 'AgentDeactivated' : 'AgentReactivated', ...envelope(), agentId: agent.id }, ok(c.type));
      }
      case 'MARK_AGENT_GONE': {
        const d = c.mark_agent_gone;
        if (d === undefined) return missing('mark_agent_gone');
        const p = AgentIdSchema.safeParse(d.agent_id.value);
        const a = p.success ? s.agents.get(p.data) : undefined;
        if (a === undefined) return notFound(`Agent ${d.agent_id.value} not found`);
        const denied = forbidden(principal, 'mark_agents_gone');
        if (denied !== undefined) return denied;
        if (a.gone) return ok(c.type); // as Mesos: marking a gone agent gone again is fine
        const epoch = o.leaderEpoch();
        if (epoch === null) return notLeader();
        return commit({ type: 'AgentRemoved', ...envelope(), epoch, agentId: a.id, reason: 'OPERATOR' }, ok(c.type));
      }
      case 'TEARDOWN': {
        const d = c.teardown;
        if (d === undefined) return missing('teardown');
        const p = FrameworkIdSchema.safeParse(d.framework_id.value);
        const f = p.success ? s.frameworks.get(p.data as FrameworkId) : undefined;
        if (f === undefined) return bad(`No framework found with specified ID '${d.framework_id.value}'`);
        const denied = forbidden(principal, 'teardown_frameworks', [f.info.principal ?? '']);
        if (denied !== undefined) return denied;
        const epoch = o.leaderEpoch();
        if (epoch === null) return notLeader();
        return commit({ type: 'FrameworkRemoved', ...envelope(), epoch, frameworkId: f.id, reason: 'OPERATOR' }, ok(c.type));
      }

      case 'KILL_TASK': {
        // Not in Mesos: a principal that may tear the framework down may kill one of its tasks.
        const d = c.kill_task;
        if (d === undefined) return missing('kill_task');
        const p = FrameworkIdSchema.safeParse(d.framework_id.value);
        const f = p.success ? s.frameworks.get(p.data as FrameworkId) : undefined;
        if (f === undefined) return notFound(`No framework found with specified ID '${d.framework_id.value}'`);
        const t = s.tasks.get(taskKey(f.id, d.task_id.value as TaskId));
        if (t === undefined) return notFound(`Task ${d.task_id.value} of framework ${f.id} is not known to the master (or is completed)`);
        if (isTerminal(t.state)) return conflict(`Task ${t.taskId} is already ${t.state}`);
        const denied = forbidden(principal, 'teardown_frameworks', [f.info.principal ?? '']);
        if (denied !== undefined) return denied;
        return commit({ type: 'TaskKillRequested', ...envelope(), frameworkId: f.id, taskId: t.taskId, agentId: t.agentId }, { status: 202, text: '' });
      }

      case 'UPDATE_MAINTENANCE_SCHEDULE': {
        const u = c.update_maintenance_schedule;
        if (u === undefined) return missing('update_maintenance_schedule');
        const denied = forbidden(principal, 'update_maintenance_schedules');
        if (denied !== undefined) return denied;
        const seen = new Set<string>();
        const windows = [];
        for (const [i, w] of u.schedule.windows.entries()) {
          if (w.machine_ids.length === 0) return bad(`Invalid maintenance schedule: window ${i} lists no machines`);
          const machines: MachineId[] = [];
          for (const m of w.machine_ids) {
            const id = machineOf(m);
            if (typeof id === 'string') return bad(`Invalid maintenance schedule: ${id}`);
            const k = machineKey(id);
            if (seen.has(k)) return bad(`Invalid maintenance schedule: machine ${m.hostname ?? m.ip} appears in more than one window`);
            seen.add(k);
            machines.push(id);
          }
          const start = Math.round(w.unavailability.start.nanoseconds / 1e6);
          const duration = w.unavailability.duration === undefined ? undefined : Math.round(w.unavailability.duration.nanoseconds / 1e6);
          if (duration !== undefined && duration < 0) return bad(`Invalid maintenance schedule: window ${i} has a negative duration`);
          windows.push({ machines, unavailability: { start, ...(duration !== undefined ? { durationMs: duration } : {}) } });
        }
        for (const [k, m] of s.maintenance.machines) {
          if (m.mode === 'DOWN' && !seen.has(k)) return bad(`Machine ${m.id.hostname ?? m.id.ip} is down for maintenance; stop its maintenance before taking it off the schedule`);
        }
        return commit({ type: 'MaintenanceScheduleUpdated', ...envelope(), windows }, ok(c.type), bad);
      }
      case 'START_MAINTENANCE':
      case 'STOP_MAINTENANCE': {
        const d = c.type === 'START_MAINTENANCE' ? c.start_maintenance : c.stop_maintenance;
        if (d === undefined) return missing(c.type.toLowerCase());
        if (d.machines.length === 0) return bad('No machines given');
        const denied = forbidden(principal, c.type === 'START_MAINTENANCE' ? 'start_maintenances' : 'stop_maintenances');
        if (denied !== undefined) return denied;
        const machines: MachineId[] = [];
        for (const m of d.machines) {
          const id = machineOf(m);
          if (typeof id === 'string') return bad(id);
          const st = s.maintenance.machines.get(machineKey(id));
          if (c.type === 'START_MAINTENANCE' && st === undefined) return bad(`Machine ${m.hostname ?? m.ip} is not in the maintenance schedule`);
          if (c.type === 'STOP_MAINTENANCE' && st?.mode !== 'DOWN') return bad(`Machine ${m.hostname ?? m.ip} is not down for maintenance`);
          machines.push(id);
        }
        return commit({ type: c.type === 'START_MAINTENANCE' ? 'MaintenanceStarted' : 'MaintenanceStopped', ...envelope(), machines }, ok(c.type), bad);
      }

      case 'SET_QUOTA':
      case 'REMOVE_QUOTA':
        return { status: 501, text: `${c.type} is deprecated and not served; use UPDATE_QUOTA (an empty config removes a role's quota)` };
      case 'SUBSCRIBE':
        return { status: 500, text: 'SUBSCRIBE is handled before dispatch' };
      case 'LIST_FILES':
      case 'READ_FILE':
        return { status: 501, text: `${c.type} is not served by the master: it keeps no files of its own (it logs to stdout). Task sandboxes are read from their agent: LIST_FILES/READ_FILE on the agent's /api/v1, or its /files/browse and /files/read` };
      case 'GROW_VOLUME':
      case 'SHRINK_VOLUME':
        return { status: 501, text: `${c.type} is not served: persistent volumes cannot be resized here; destroy the volume and create a new one of the size wanted (DESTROY_VOLUMES, CREATE_VOLUMES)` };
      case 'UNKNOWN':
        return { status: 501, text: "'type' is UNKNOWN: expecting one of the operator calls listed in docs/api.md" };
    }
  }

  return { handle, close: () => loggingLevel.close() };
}

function machineOf(m: MesosMachineId): MachineId | string {
  const hostname = m.hostname !== undefined && m.hostname !== '' ? m.hostname : undefined;
  const ip = m.ip !== undefined && m.ip !== '' ? m.ip : undefined;
  if (hostname === undefined && ip === undefined) return 'a machine needs a hostname or an ip';
  return { ...(hostname !== undefined ? { hostname } : {}), ...(ip !== undefined ? { ip } : {}) };
}
