// The protobuf form of the v1 APIs (proto/): every call and event we serve round-trips between
// its JSON form and protobuf to the same value; golden bytes written by hand from the field
// numbers; malformed bytes are refused with the reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, encode, type MessageName, ProtobufError } from '../../proto/index.js';
import { parseCallJson } from '../../kernel/shell/scheduler-api/wire.js';
import { parseOperatorCallJson } from '../../kernel/shell/operator-api/wire.js';
import * as V from '../../kernel/shell/operator-api/views.js';
import { deriveEvents, seedView } from '../../kernel/shell/operator-api/stream-events.js';
import { evolve, initialState } from '../../kernel/core/fold/index.js';
import { masterInfoToMesos, offerToMesos, res, statusToMesos, subscribedEvent } from '../helpers/protobuf-fixtures.js';
import {
  accepted,
  agentRegistered,
  agentRemoved,
  drainStarted,
  frameworkDisconnected,
  frameworkRemoved,
  frameworkSubscribed,
  given,
  inverseOffersCreated,
  leaderElected,
  maintenanceSchedule,
  offersCreated,
  quotaUpdated,
  resetIds,
  status,
  weightsUpdated,
} from '../helpers/events.js';
import { RecordIoDecoder, encodeBinaryRecord } from '../../kernel/shell/scheduler-api/recordio.js';
import { asAgentId, asTaskId, type TaskInfo } from '../../events/index.js';
import { parseResources } from '../../kernel/core/resources.js';
import {
  ExecutorCall,
  acknowledgedEvent,
  errorEvent,
  executorInfoToMesos,
  heartbeatEvent,
  killEvent,
  launchEvent,
  messageEvent,
  shutdownEvent,
  taskInfoToMesos,
} from '../../agent/executor/wire.js';
import { AgentCall } from '../../agent/http/operator-api.js';

/** Mesos's JSON leaves empty lists out, and so does protobuf: compare without them. */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!(Array.isArray(x) && x.length === 0) && x !== undefined) out[k] = prune(x);
    return out;
  }
  return v;
}

/** JSON → protobuf → JSON is the identity (modulo empty lists): the schema covers every field we use. */
function roundTrips(name: MessageName, json: unknown): Uint8Array {
  const bytes = encode(name, json);
  assert.equal(decode(name, bytes), prune(json), `${name} ${(json as { type?: string }).type ?? ''}`);
  return bytes;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const uuid16 = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex').toString('base64');
const fid = { value: 'f1' };
const resources = [
  { name: 'cpus', type: 'SCALAR', scalar: { value: 1.5 }, role: 'r1', allocation_info: { role: 'r1' }, reservations: [{ type: 'DYNAMIC', role: 'r1', principal: 'ops', labels: { labels: [{ key: 'k', value: 'v' }] } }] },
  { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] } },
  { name: 'disk', type: 'SCALAR', scalar: { value: 64 }, disk: { persistence: { id: 'vol1', principal: 'ops' }, volume: { container_path: 'data', mode: 'RW' } } },
  { name: 'gpus_set', type: 'SET', set: { item: ['a', 'b'] } },
];
const command = { uris: [{ value: 'http://x/y.tgz', extract: true, executable: false, cache: true, output_file: 'y' }], environment: { variables: [{ name: 'A', type: 'VALUE', value: '1' }] }, shell: false, value: '/bin/run', arguments: ['run', '-x'], user: 'nobody' };
const taskInfo = {
  name: 't',
  task_id: { value: 't1' },
  agent_id: { value: 'a1' },
  resources,
  command,
  container: { type: 'DOCKER', docker: { image: 'busybox', network: 'BRIDGE', privileged: false, parameters: [{ key: 'k', value: 'v' }], force_pull_image: true }, volumes: [{ container_path: '/c', host_path: '/h', mode: 'RO' }], hostname: 'box', network_infos: [{ name: 'n1', groups: ['g'], ip_addresses: [{ protocol: 'IPv4', ip_address: '10.0.0.1' }] }] },
  health_check: { type: 'HTTP', http: { port: 8080, path: '/h', scheme: 'http', statuses: [200, 204], protocol: 'IPv4' }, delay_seconds: 1, interval_seconds: 2, timeout_seconds: 3, consecutive_failures: 4, grace_period_seconds: 5 },
  check: { type: 'TCP', tcp: { port: 9 }, delay_seconds: 1, interval_seconds: 2, timeout_seconds: 3 },
  kill_policy: { grace_period: { nanoseconds: 3_000_000_000 } },
  data: Buffer.from('payload').toString('base64'),
  labels: { labels: [{ key: 'a', value: 'b' }] },
  max_completion_time: { nanoseconds: 60_000_000_000 },
  limits: { cpus: { value: 2 }, mem: { value: 512 } },
};
const executor = { type: 'DEFAULT', executor_id: { value: 'ex1' }, framework_id: fid, resources: [resources[0]], name: 'default' };

/** One of each scheduler Call (as a framework would send it). */
const CALLS: unknown[] = [
  {
    type: 'SUBSCRIBE',
    subscribe: {
      framework_info: { user: 'u', name: 'n', id: fid, failover_timeout: 3600.5, checkpoint: true, roles: ['r1', 'r2'], hostname: 'h', principal: 'p', webui_url: 'http://ui', capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }], labels: { labels: [{ key: 'k', value: 'v' }] } },
      suppressed_roles: ['r2'],
      offer_constraints: {
        role_constraints: {
          r1: {
            groups: [
              { attribute_constraints: [{ selector: { attribute_name: 'rack' }, predicate: { text_equals: { value: 'a1' } } }, { selector: { pseudoattribute_type: 'HOSTNAME' }, predicate: { text_matches: { regex: 'node-.*' } } }] },
              { attribute_constraints: [{ selector: { attribute_name: 'ssd' }, predicate: { exists: {} } }] },
            ],
          },
        },
      },
    },
    framework_id: fid,
  },
  { type: 'TEARDOWN', framework_id: fid },
  {
    type: 'ACCEPT',
    framework_id: fid,
    accept: {
      offer_ids: [{ value: 'o1' }, { value: 'o2' }],
      operations: [
        { type: 'LAUNCH', launch: { task_infos: [taskInfo] } },
        { type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks: [{ ...taskInfo, task_id: { value: 't2' } }] } } },
        { type: 'RESERVE', reserve: { resources: [resources[0]], source: [resources[1]] } },
        { type: 'UNRESERVE', unreserve: { resources: [resources[0]] } },
        { type: 'CREATE', create: { volumes: [resources[2]] } },
        { type: 'DESTROY', destroy: { volumes: [resources[2]] } },
      ],
      filters: { refuse_seconds: 30 },
    },
  },
  { type: 'DECLINE', framework_id: fid, decline: { offer_ids: [{ value: 'o1' }], filters: { refuse_seconds: 5 } } },
  { type: 'ACCEPT_INVERSE_OFFERS', framework_id: fid, accept_inverse_offers: { inverse_offer_ids: [{ value: 'i1' }], filters: { refuse_seconds: 1 } } },
  { type: 'DECLINE_INVERSE_OFFERS', framework_id: fid, decline_inverse_offers: { inverse_offer_ids: [{ value: 'i1' }] } },
  { type: 'REVIVE', framework_id: fid, revive: { roles: ['r1'] } },
  { type: 'SUPPRESS', framework_id: fid, suppress: { roles: ['r1'] } },
  { type: 'KILL', framework_id: fid, kill: { task_id: { value: 't1' }, agent_id: { value: 'a1' }, kill_policy: { grace_period: { nanoseconds: 1_000_000 } } } },
  { type: 'SHUTDOWN', framework_id: fid, shutdown: { executor_id: { value: 'ex1' }, agent_id: { value: 'a1' } } },
  { type: 'ACKNOWLEDGE', framework_id: fid, acknowledge: { agent_id: { value: 'a1' }, task_id: { value: 't1' }, uuid: uuid16 } },
  { type: 'ACKNOWLEDGE_OPERATION_STATUS', framework_id: fid, acknowledge_operation_status: { agent_id: { value: 'a1' }, uuid: uuid16, operation_id: { value: 'op1' } } },
  { type: 'RECONCILE', framework_id: fid, reconcile: { tasks: [{ task_id: { value: 't1' }, agent_id: { value: 'a1' } }] } },
  { type: 'RECONCILE_OPERATIONS', framework_id: fid, reconcile_operations: { operations: [{ operation_id: { value: 'op1' }, agent_id: { value: 'a1' } }] } },
  { type: 'MESSAGE', framework_id: fid, message: { agent_id: { value: 'a1' }, executor_id: { value: 'ex1' }, data: Buffer.from('hi').toString('base64') } },
  { type: 'REQUEST', framework_id: fid, request: { requests: [{ agent_id: { value: 'a1' }, resources: [resources[0]] }] } },
  { type: 'UPDATE_FRAMEWORK', framework_id: fid, update_framework: { framework_info: { user: 'u', name: 'n', id: fid }, suppressed_roles: [] } },
];

test('every scheduler Call: JSON → protobuf → JSON is the same value, and both forms validate to the same Call', () => {
  for (const json of CALLS) {
    const bytes = roundTrips('schedulerCall', json);
    const viaJson = parseCallJson(json);
    const viaProtobuf = parseCallJson(decode('schedulerCall', bytes));
    assert.ok(viaJson.ok, JSON.stringify(viaJson));
    assert.equal(viaProtobuf, viaJson);
  }
});

/** One of each scheduler Event we send, built by the converters the gateway uses. */
function events(): unknown[] {
  const master = { id: 'm1', hostname: 'master.local', ip: '10.0.0.5', port: 5050, version: '1.11.0', capabilities: ['AGENT_UPDATE', 'QUOTA_V2'] };
  const offer = offerToMesos(
    { id: 'o1', frameworkId: 'f1', agentId: 'a1', hostname: 'a1.local', role: 'r1', resources: res('cpus:2;ports:[31000-31009]'), unavailability: { start: 1_700_000_000_000, durationMs: 3_600_000 } } as never,
    { port: 5051, ip: '10.0.0.9', attributes: [{ name: 'rack', type: 'TEXT', text: 'a1' }, { name: 'cores', type: 'SCALAR', scalar: 8 }, { name: 'k', type: 'RANGES', ranges: [[1, 2]] }, { name: 's', type: 'SET', set: ['x', 'y'] }] },
  );
  const st = statusToMesos({
    agentId: 'a1', frameworkId: 'f1', taskId: 't1', executorId: 'ex1', state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', message: 'ok',
    uuid: '6f1c2d3e-0000-4000-8000-00000000abcd', timestamp: 1_700_000_000_123, healthy: true, checkStatus: { type: 'COMMAND', command: { exitCode: 0 } }, containerId: 'c1',
  } as never);
  return [
    subscribedEvent('f1', 15, master),
    { type: 'HEARTBEAT' },
    { type: 'OFFERS', offers: { offers: [offer] } },
    { type: 'RESCIND', rescind: { offer_id: { value: 'o1' } } },
    { type: 'INVERSE_OFFERS', inverse_offers: { inverse_offers: [{ id: { value: 'i1' }, framework_id: fid, agent_id: { value: 'a1' }, url: { scheme: 'http', address: { hostname: 'a1.local', port: 5051 }, path: '/slave(1)' }, unavailability: { start: { nanoseconds: 1 }, duration: { nanoseconds: 2 } } }] } },
    { type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: { inverse_offer_id: { value: 'i1' } } },
    { type: 'UPDATE', update: { status: st } },
    { type: 'UPDATE', update: { status: statusToMesos({ taskId: 't9', state: 'TASK_LOST', source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION', timestamp: 1 } as never) } },
    { type: 'MESSAGE', message: { agent_id: { value: 'a1' }, executor_id: { value: 'ex1' }, data: 'aGk=' } },
    { type: 'FAILURE', failure: { agent_id: { value: 'a1' }, executor_id: { value: 'ex1' }, status: 137 } },
    { type: 'ERROR', error: { message: 'Framework removed' } },
  ];
}

test('every scheduler Event we send: JSON → protobuf → JSON is the same value', () => {
  for (const e of events()) roundTrips('schedulerEvent', e);
  void masterInfoToMesos;
});

test('every operator Response we serve, from a real projection: JSON → protobuf → JSON is the same value', () => {
  resetIds();
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;disk:1000;ports:[31000-32000]', attributes: [{ name: 'rack', type: 'TEXT', text: 'a1' }, { name: 'n', type: 'SCALAR', scalar: 3 }] }),
    agentRegistered({ agentId: 'a2' }),
    frameworkSubscribed({ frameworkId: 'f1', roles: ['r1'], capabilities: ['MULTI_ROLE'] }),
    frameworkSubscribed({ frameworkId: 'f2' }),
    offersCreated({ frameworkId: 'f1', offerId: 'o1', agentId: 'a1', role: 'r1', resources: 'cpus:4;mem:4096' }),
    accepted({ frameworkId: 'f1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:128' }] }),
    status({ frameworkId: 'f1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: '6f1c2d3e-0000-4000-8000-00000000abcd' }),
    offersCreated({ frameworkId: 'f2', offerId: 'o2', agentId: 'a2', resources: 'cpus:4;mem:4096' }),
    weightsUpdated({ weights: { r1: 2.5 } }),
    quotaUpdated({ configs: [{ role: 'r1', guarantees: { cpus: 1 }, limits: { cpus: 2, mem: 1024 } }] }),
    maintenanceSchedule({ windows: [{ machines: [{ hostname: 'a2.local' }], start: 1_800_000_000_000, durationMs: 3_600_000 }] }),
    inverseOffersCreated({ frameworkId: 'f2', offers: [{ inverseOfferId: 'i1', agentId: 'a2', start: 1_800_000_000_000, durationMs: 3_600_000 }] }),
    drainStarted({ agentId: 'a1', maxGracePeriodMs: 10_000, markGone: false }),
  );
  const answers: Record<string, unknown> = {
    GET_HEALTH: { healthy: true },
    GET_FLAGS: { flags: [{ name: 'port', value: '5050' }] },
    GET_VERSION: { version_info: { version: '1.11.0', build_date: '', build_time: 0, build_user: '', git_sha: '' } },
    GET_METRICS: { metrics: [{ name: 'master/tasks_running', value: 1 }] },
    GET_MASTER: { master_info: masterInfoToMesos({ id: 'm1', hostname: 'h', ip: '10.0.0.1', port: 5050, version: '1.11.0', capabilities: ['AGENT_UPDATE', 'AGENT_DRAINING', 'QUOTA_V2'] }), start_time: 1700000000.5, elected_time: 1700000001.25 },
    GET_STATE: V.getState(s),
    GET_AGENTS: V.getAgents(s),
    GET_FRAMEWORKS: V.getFrameworks(s),
    GET_TASKS: V.getTasks(s),
    GET_EXECUTORS: V.getExecutors(s),
    GET_ROLES: V.getRoles(s),
    GET_WEIGHTS: V.getWeights(s),
    GET_QUOTA: V.getQuota(s),
    GET_MAINTENANCE_SCHEDULE: V.getMaintenanceSchedule(s),
    GET_MAINTENANCE_STATUS: V.getMaintenanceStatus(s),
    GET_OPERATIONS: { operations: [] },
  };
  for (const [type, body] of Object.entries(answers)) roundTrips('masterResponse', { type, [type.toLowerCase()]: body });
  // the views are not trivially empty
  const state = decode('masterResponse', encode('masterResponse', { type: 'GET_STATE', get_state: V.getState(s) })) as { get_state: { get_tasks: { tasks: unknown[] }; get_agents: { agents: unknown[] } } };
  assert.is(state.get_state.get_tasks.tasks.length, 1);
  assert.is(state.get_state.get_agents.agents.length, 2);
});

test('every operator stream Event we send (SUBSCRIBED, TASK_ADDED, TASK_UPDATED, AGENT_ADDED, AGENT_REMOVED, FRAMEWORK_ADDED, FRAMEWORK_UPDATED, FRAMEWORK_REMOVED, HEARTBEAT), with its event_id: JSON → protobuf → JSON is the same value', () => {
  resetIds();
  const log = [
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-32000]', attributes: [{ name: 'rack', type: 'TEXT', text: 'a1' }] }),
    agentRegistered({ agentId: 'a2' }),
    frameworkSubscribed({ frameworkId: 'f1', roles: ['r1'], capabilities: ['MULTI_ROLE'] }),
    offersCreated({ frameworkId: 'f1', offerId: 'o1', agentId: 'a1', role: 'r1', resources: 'cpus:4;mem:4096' }),
    accepted({ frameworkId: 'f1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:128' }] }),
    status({ frameworkId: 'f1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: '6f1c2d3e-0000-4000-8000-00000000abcd' }),
    frameworkDisconnected({ frameworkId: 'f1' }),
    agentRemoved({ agentId: 'a2', reason: 'OPERATOR' }),
    frameworkRemoved({ frameworkId: 'f1' }),
  ];
  let st = evolve(initialState(), log[0]!);
  const view = seedView(st);
  const seen = new Set<string>();
  roundTrips('masterEvent', { type: 'SUBSCRIBED', subscribed: { get_state: V.getState(st), heartbeat_interval_seconds: 15 }, event_id: '1' });
  log.slice(1).forEach((e, i) => {
    st = evolve(st, e);
    deriveEvents(view, e, st).forEach((ev, k) => {
      seen.add(ev.type);
      roundTrips('masterEvent', { ...ev, event_id: `${i + 2}-${k}` });
    });
  });
  roundTrips('masterEvent', { type: 'SUBSCRIBED', subscribed: { get_state: V.getState(st), heartbeat_interval_seconds: 15 }, event_id: String(log.length) });
  roundTrips('masterEvent', { type: 'HEARTBEAT' });
  assert.equal([...seen].sort(), ['AGENT_ADDED', 'AGENT_REMOVED', 'FRAMEWORK_ADDED', 'FRAMEWORK_REMOVED', 'FRAMEWORK_UPDATED', 'TASK_ADDED', 'TASK_UPDATED']);
  // event_id is our field 100 (tag 100 << 3 | 2 = 0xa2 0x06), after Mesos's fields.
  assert.is(hex(encode('masterEvent', { type: 'HEARTBEAT', event_id: '7-0' })), '0809' + 'a206' + '03' + Buffer.from('7-0').toString('hex'));
});

test('every operator Call we serve: JSON → protobuf → JSON is the same value, and both validate alike', () => {
  const agent = { value: 'a1' };
  const calls: unknown[] = [
    ...['GET_HEALTH', 'GET_FLAGS', 'GET_VERSION', 'GET_METRICS', 'GET_STATE', 'GET_AGENTS', 'GET_FRAMEWORKS', 'GET_EXECUTORS', 'GET_OPERATIONS', 'GET_TASKS', 'GET_ROLES', 'GET_WEIGHTS', 'GET_MASTER', 'GET_MAINTENANCE_STATUS', 'GET_MAINTENANCE_SCHEDULE', 'GET_QUOTA'].map((type) => ({ type })),
    { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ weight: 2, role: 'r1' }] } },
    { type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: agent, source: [resources[1]], resources: [resources[0]] } },
    { type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: agent, resources: [resources[0]] } },
    { type: 'CREATE_VOLUMES', create_volumes: { agent_id: agent, volumes: [resources[2]] } },
    { type: 'DESTROY_VOLUMES', destroy_volumes: { agent_id: agent, volumes: [resources[2]] } },
    { type: 'UPDATE_MAINTENANCE_SCHEDULE', update_maintenance_schedule: { schedule: { windows: [{ machine_ids: [{ hostname: 'h', ip: '10.0.0.1' }], unavailability: { start: { nanoseconds: 1_800_000_000_000_000_000 }, duration: { nanoseconds: 3_600_000_000_000 } } }] } } },
    { type: 'START_MAINTENANCE', start_maintenance: { machines: [{ hostname: 'h' }] } },
    { type: 'STOP_MAINTENANCE', stop_maintenance: { machines: [{ ip: '10.0.0.1' }] } },
    { type: 'DRAIN_AGENT', drain_agent: { agent_id: agent, max_grace_period: { seconds: 10, nanos: 5 }, mark_gone: true } },
    { type: 'DEACTIVATE_AGENT', deactivate_agent: { agent_id: agent } },
    { type: 'REACTIVATE_AGENT', reactivate_agent: { agent_id: agent } },
    { type: 'UPDATE_QUOTA', update_quota: { force: true, quota_configs: [{ role: 'r1', guarantees: { cpus: { value: 1 } }, limits: { mem: { value: 2048 } } }] } },
    { type: 'TEARDOWN', teardown: { framework_id: fid } },
    { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: agent } },
  ];
  for (const json of calls) {
    const bytes = roundTrips('masterCall', json);
    const viaJson = parseOperatorCallJson(json);
    assert.ok(viaJson.ok, JSON.stringify(viaJson));
    assert.equal(parseOperatorCallJson(decode('masterCall', bytes)), viaJson);
  }
});

// Golden bytes, written by hand from scheduler.proto / mesos.proto field numbers (tag = field << 3 | wire type).
const GOLDEN: Array<{ what: string; name: MessageName; json: unknown; hex: string }> = [
  {
    what: 'HEARTBEAT event: type(1) varint 8',
    name: 'schedulerEvent',
    json: { type: 'HEARTBEAT' },
    hex: '0808',
  },
  {
    what: 'ACKNOWLEDGE call',
    name: 'schedulerCall',
    json: { framework_id: { value: 'f1' }, type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: 'a1' }, task_id: { value: 't1' }, uuid: uuid16 } },
    // framework_id(1) {value(1) "f1"} · type(2) = 8 · acknowledge(8), 30 bytes: agent_id(1) {"a1"} task_id(2) {"t1"} uuid(3) 16 bytes
    hex: '0a040a026631' + '1008' + '421e' + '0a040a026131' + '12040a027431' + '1a10' + '000102030405060708090a0b0c0d0e0f',
  },
  {
    what: 'SUBSCRIBE call',
    name: 'schedulerCall',
    json: { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n', capabilities: [{ type: 'MULTI_ROLE' }], roles: ['r'] } } },
    // type(2) = 1 · subscribe(3), 15 bytes: framework_info(1), 13 bytes: user(1) "u" name(2) "n" capabilities(10) {type(1) = 6} roles(12) "r"
    hex: '1001' + '1a0f' + '0a0d' + '0a0175' + '12016e' + '52020806' + '620172',
  },
  {
    what: 'OFFERS event',
    name: 'schedulerEvent',
    json: { type: 'OFFERS', offers: { offers: [{ id: { value: 'o1' }, framework_id: { value: 'f' }, agent_id: { value: 'a' }, hostname: 'h', resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 2 } }], allocation_info: { role: '*' } }] } },
    // type(1) = 2 · offers(3), 47: offers(1), 45: id(1) {"o1"} framework_id(2) {"f"} agent_id(3) {"a"} hostname(4) "h"
    //   resources(5), 19: name(1) "cpus" type(2) = SCALAR(0) scalar(3) {value(1) double 2.0} · allocation_info(10) {role(1) "*"}
    hex: '0802' + '1a2f' + '0a2d' + '0a040a026f31' + '12030a0166' + '1a030a0161' + '220168' + '2a13' + '0a0463707573' + '1000' + '1a09' + '09' + '0000000000000040' + '52030a012a',
  },
];

test('every executor Call and Event (the executor API on the agent): JSON → protobuf → JSON is the same value, and a decoded Call validates as the JSON one', () => {
  const task: TaskInfo = {
    taskId: asTaskId('t1'),
    name: 't1',
    agentId: asAgentId('a1'),
    resources: [...parseResources('cpus:0.5;mem:64')],
    command: { value: 'run', shell: true, environment: { A: '1' }, uris: [{ value: 'http://x/a.tgz', executable: false, extract: true }] },
    labels: { k: 'v' },
    killGracePeriodMs: 2500,
  };
  const execInfo = { executorId: 'ex1', name: 'shell', command: { value: './exec', shell: true }, resources: parseResources('cpus:0.1;mem:32'), shutdownGracePeriodMs: 5000 };
  const events: unknown[] = [
    {
      type: 'SUBSCRIBED',
      subscribed: {
        executor_info: executorInfoToMesos(execInfo as never, 'f1'),
        framework_info: { id: fid, name: 'n', user: 'u', checkpoint: true },
        agent_info: { id: { value: 'a1' }, hostname: 'h' },
        container_id: { value: 'c1' },
      },
    },
    launchEvent({ ...task, executor: execInfo as never }, 'f1', 'r1'),
    killEvent('t1', 1500),
    killEvent('t1'),
    acknowledgedEvent('t1', '6f1c2d3e-0000-4000-8000-00000000abcd'),
    messageEvent(Buffer.from('hi').toString('base64')),
    errorEvent('bad'),
    shutdownEvent(),
    heartbeatEvent(),
  ];
  for (const e of events) roundTrips('executorEvent', e);
  const ids = { executor_id: { value: 'ex1' }, framework_id: fid };
  const calls: unknown[] = [
    { ...ids, type: 'SUBSCRIBE', subscribe: { unacknowledged_tasks: [taskInfoToMesos(task, 'f1')], unacknowledged_updates: [{ status: { task_id: { value: 't1' }, state: 'TASK_RUNNING', uuid: uuid16, source: 'SOURCE_EXECUTOR', timestamp: 1700000000.5 } }] } },
    { ...ids, type: 'UPDATE', update: { status: { task_id: { value: 't1' }, state: 'TASK_FAILED', message: 'boom', reason: 'REASON_COMMAND_EXECUTOR_FAILED', uuid: uuid16, healthy: false, data: 'AAE=', executor_id: { value: 'ex1' }, agent_id: { value: 'a1' }, source: 'SOURCE_EXECUTOR', timestamp: 1700000000.25 } } },
    { ...ids, type: 'MESSAGE', message: { data: Buffer.from('to the scheduler').toString('base64') } },
  ];
  for (const c of calls) {
    const bytes = roundTrips('executorCall', c);
    assert.equal(ExecutorCall.parse(decode('executorCall', bytes)), ExecutorCall.parse(c));
  }
  // Call.Message.data is field 2 (as Mesos): tag 0x12.
  assert.is(hex(encode('executorCall', { type: 'MESSAGE', message: { data: 'AQ==' } })), '1803' + '3203' + '1201' + '01');
});

test('every agent Call we serve and the ProcessIO records of a session: JSON → protobuf → JSON is the same value, and the Calls validate alike', () => {
  const cid = { value: 'n1', parent: { value: 'c1' } };
  const calls: unknown[] = [
    ...['GET_HEALTH', 'GET_FLAGS', 'GET_VERSION', 'GET_STATE', 'GET_CONTAINERS', 'GET_FRAMEWORKS', 'GET_EXECUTORS', 'GET_TASKS'].map((type) => ({ type })),
    { type: 'GET_METRICS', get_metrics: { timeout: { nanoseconds: 5e9 } } },
    { type: 'LIST_FILES', list_files: { path: '/frameworks/f/executors/e/runs/latest' } },
    { type: 'READ_FILE', read_file: { path: '/x/stdout', offset: 10, length: 100 } },
    {
      type: 'LAUNCH_NESTED_CONTAINER_SESSION',
      launch_nested_container_session: { container_id: cid, command: { shell: false, value: 'sh', arguments: ['sh', '-c', 'tty'], environment: { variables: [{ name: 'A', value: '1' }] } }, container: { type: 'MESOS', tty_info: { window_size: { rows: 24, columns: 80 } } } },
    },
    { type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: cid } },
    { type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO', process_io: { type: 'DATA', data: { type: 'STDIN', data: 'aGk=' } } } },
    { type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO', process_io: { type: 'CONTROL', control: { type: 'TTY_INFO', tty_info: { window_size: { rows: 40, columns: 120 } } } } } },
    { type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO', process_io: { type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: 30e9 } } } } } },
    { type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: cid } },
    { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: cid } },
    { type: 'WAIT_CONTAINER', wait_container: { container_id: cid } },
  ];
  for (const c of calls) {
    const bytes = roundTrips('agentCall', c);
    const type = (c as { type: string }).type;
    if (type !== 'ATTACH_CONTAINER_INPUT') assert.equal(AgentCall.parse(decode('agentCall', bytes)), AgentCall.parse(c), type);
  }
  for (const r of [
    { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { exit_status: 768 } },
    { type: 'WAIT_CONTAINER', wait_container: { exit_status: 9 } },
    { type: 'READ_FILE', read_file: { size: 12, data: 'aGVsbG8=' } },
    { type: 'LIST_FILES', list_files: { file_infos: [{ path: '/x/stdout', nlink: 1, size: 12, mtime: { nanoseconds: 1.7e18 }, mode: 0o100644, uid: 'root', gid: 'root' }] } },
  ]) roundTrips('agentResponse', r);
  for (const io of [{ type: 'DATA', data: { type: 'STDOUT', data: 'aGk=' } }, { type: 'DATA', data: { type: 'STDERR', data: 'eA==' } }, { type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: 30e9 } } } }]) roundTrips('agentProcessIO', io);
  // DATA STDOUT "hi": type 1 (08 01), data { type 2 (08 02), bytes (12 02 68 69) } (12 06 …).
  assert.is(hex(encode('agentProcessIO', { type: 'DATA', data: { type: 'STDOUT', data: 'aGk=' } })), '0801' + '1206' + '0802' + '12026869');
});

test('golden bytes: encoding gives exactly the hand-written bytes, and decoding them gives the JSON back', () => {
  for (const g of GOLDEN) {
    assert.is(hex(encode(g.name, g.json)), g.hex, g.what);
    assert.equal(decode(g.name, Buffer.from(g.hex, 'hex')), g.json, g.what);
  }
});

const refused = (name: MessageName, bytes: Uint8Array | number[]): string => {
  try {
    decode(name, Uint8Array.from(bytes));
  } catch (e) {
    assert.instance(e, ProtobufError);
    return (e as Error).message;
  }
  return 'accepted';
};

test('malformed protobuf is refused with the reason: truncation, lengths past the end, wrong and invalid wire types, field 0, deep nesting', () => {
  const ack = Buffer.from(GOLDEN[1]!.hex, 'hex');
  assert.match(refused('schedulerCall', ack.subarray(0, ack.length - 3)), /acknowledge \(field 8\): length 30 runs past the end of its message by 3 bytes/);
  assert.match(refused('schedulerCall', [0x1a, 0xff, 0xff, 0xff, 0xff, 0x07]), /subscribe \(field 3\): length 2147483647 runs past the end/);
  assert.match(refused('schedulerCall', [0x10]), /Failed to parse body into mesos\.v1\.scheduler\.Call protobuf/);
  assert.match(refused('schedulerCall', [0x0a, 0x02, 0x08, 0x01]), /framework_id\.value \(field 1\): wire type varint, but a string is length-delimited/);
  assert.match(refused('schedulerCall', [0x12, 0x01, 0x41]), /type \(field 2\): wire type length-delimited, but a Type is varint/);
  assert.match(refused('schedulerCall', [0x0e]), /invalid wire type 6/);
  assert.match(refused('schedulerCall', [0x00, 0x00]), /field number 0/);
  assert.match(refused('schedulerEvent', [0x7a, 0x05, 0x01, 0x02]), /index out of range: 2 \+ 5 > 4/, 'an unknown field is skipped, but its length is still checked');
  // ContainerID.parent nests without bound in the schema: deeper than MAX_DEPTH is refused
  const field = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), encodeVarint(body.length), body]);
  let container: Buffer = Buffer.from('0a0163', 'hex'); // ContainerID {value(1) "c"}
  for (let i = 0; i < 80; i++) container = Buffer.concat([Buffer.from('0a0163', 'hex'), field(0x12, container)]); // parent(2)
  // Event.update(5) → Update.status(1) → TaskStatus.container_status(13) → ContainerStatus.container_id(4) → …
  const event = field(0x2a, field(0x0a, field(0x6a, field(0x22, container))));
  assert.match(refused('schedulerEvent', event), /nested deeper than 64 messages/);
  // unknown fields are skipped, and an unknown enum number leaves the field unset (proto2): the zod check then names it
  assert.equal(decode('schedulerCall', Uint8Array.from([0x10, 0x63, 0xf8, 0x01, 0x05])), {});
  const r = parseCallJson(decode('schedulerCall', Uint8Array.from([0x10, 0x63])));
  assert.equal(r, { ok: false, error: "Failed to validate scheduler::Call: Expecting 'type' to be present" });
  // a uuid that is not 16 bytes reads as base64 and is refused as Mesos refuses it
  const badUuid = encode('schedulerCall', { type: 'ACKNOWLEDGE', framework_id: fid, acknowledge: { agent_id: { value: 'a1' }, task_id: { value: 't1' }, uuid: Buffer.from('not-a-uuid').toString('base64') } });
  assert.equal(parseCallJson(decode('schedulerCall', badUuid)), { ok: false, error: 'Failed to validate scheduler::Call: Not a valid UUID' });
});

function encodeVarint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

test('RecordIO with binary records: protobuf events framed and read back, byte-exact, across any chunking', () => {
  const records = events().map((e) => encode('schedulerEvent', e));
  const stream = Buffer.concat(records.map((r) => encodeBinaryRecord(r)));
  for (const chunk of [1, 7, 64, stream.length]) {
    const d = new RecordIoDecoder({ binary: true });
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i += chunk) got.push(...(d.push(stream.subarray(i, i + chunk)) as Buffer[]));
    d.end();
    assert.equal(got.map(hex), records.map(hex));
  }
  const d = new RecordIoDecoder({ binary: true });
  d.push(Buffer.from('10\nabc'));
  assert.throws(() => d.end(), /stream ended after 3 of 10 bytes of a record/);
  assert.throws(() => new RecordIoDecoder({ binary: true }).push(Buffer.from('99999999999\n')), /larger than the limit/);
});

test.run();
