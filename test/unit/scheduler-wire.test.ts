import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import type { Attribute, Resources, TaskStatus } from '../../events/index.js';
import { asAgentId, asFrameworkId, asTaskId } from '../../events/index.js';
import {
  attributesToMesos,
  base64ToUuid,
  errorEvent,
  failureEvent,
  frameworkInfoFromMesos,
  frameworkInfoToMesos,
  groupExecutorFromMesos,
  heartbeatEvent,
  ipToUint32,
  messageEvent,
  offerToMesos,
  offersEvent,
  rescindEvent,
  resourcesFromMesos,
  resourcesToMesos,
  roleError,
  statusToMesos,
  subscribeFromMesos,
  subscribedEvent,
  taskInfoFromMesos,
  updateEvent,
  uuidToBase64,
} from '../../kernel/shell/scheduler-api/convert/index.js';
import { checkStatusToMesos, checkToMesos, healthCheckToMesos } from '../../kernel/shell/scheduler-api/checks.js';
import { RecordIoDecoder } from '../../kernel/shell/scheduler-api/recordio.js';
import {
  type Call,
  MesosExecutorInfo,
  MesosFrameworkInfo,
  MesosResource,
  MesosTaskInfo,
  parseCall,
  parseMessage,
} from '../../kernel/shell/scheduler-api/wire.js';

// ---------------------------------------------------------------------------------------------
// helpers

const M = '641e44fe-1d2e-40ba-a966-a4dfc091c8a8';
const FW = { value: `${M}-0001` };

function ok(body: unknown): Call {
  const r = parseCall(typeof body === 'string' ? body : JSON.stringify(body));
  if (!r.ok) assert.unreachable(`expected the call to parse, got: ${r.error}`);
  return (r as { ok: true; call: Call }).call;
}

function bad(body: unknown): string {
  const r = parseCall(typeof body === 'string' ? body : JSON.stringify(body));
  if (r.ok) assert.unreachable(`expected the call to be refused: ${JSON.stringify(body)}`);
  return (r as { ok: false; error: string }).error;
}

function as<T extends Call['type']>(c: Call, type: T): Extract<Call, { type: T }> {
  assert.is(c.type, type);
  return c as Extract<Call, { type: T }>;
}

function parsed<T extends z.ZodType>(schema: T, json: unknown): z.output<T> {
  const r = parseMessage(schema, json);
  if (!r.ok) assert.unreachable(`expected the message to parse, got: ${r.error}`);
  return (r as { ok: true; value: z.output<T> }).value;
}

const mesosResources = (json: unknown): MesosResource[] => parsed(z.array(MesosResource), json);

function oursFromMesos(json: unknown): Resources {
  const r = resourcesFromMesos(mesosResources(json));
  if (!r.ok) assert.unreachable(`expected resources to convert, got: ${r.error}`);
  return (r as { ok: true; resources: Resources }).resources;
}

function roundTrip(ours: Resources, allocationRole?: string): void {
  const wire = JSON.parse(JSON.stringify(resourcesToMesos(ours, allocationRole))) as unknown;
  assert.equal(oursFromMesos(wire), ours);
}

/**
 * The de-chunked body of a SUBSCRIBE response recorded from Apache Mesos 1.12.0-dev (see
 * /work/shared/reference/mesos-samples/subscribe-stream.txt): three RecordIO frames, lengths as the
 * master wrote them.
 */
const REAL_SUBSCRIBED = '{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"641e44fe-1d2e-40ba-a966-a4dfc091c8a8-0001"},"heartbeat_interval_seconds":15.0,"master_info":{"id":"641e44fe-1d2e-40ba-a966-a4dfc091c8a8","ip":16777343,"port":5050,"pid":"master@127.0.0.1:5050","hostname":"localhost","version":"1.12.0","address":{"hostname":"localhost","ip":"127.0.0.1","port":5050},"capabilities":[{"type":"AGENT_UPDATE"},{"type":"AGENT_DRAINING"},{"type":"QUOTA_V2"}]}}}';
const REAL_HEARTBEAT = '{"type":"HEARTBEAT"}';
const REAL_OFFERS =
  '{"type":"OFFERS","offers":{"offers":[{"id":{"value":"641e44fe-1d2e-40ba-a966-a4dfc091c8a8-O1"},"framework_id":{"value":"641e44fe-1d2e-40ba-a966-a4dfc091c8a8-0001"},"agent_id":{"value":"641e44fe-1d2e-40ba-a966-a4dfc091c8a8-S0"},"hostname":"localhost","url":{"scheme":"http","address":{"hostname":"localhost","ip":"127.0.0.1","port":5051},"path":"/slave(1)"},"resources":[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]},"role":"*","allocation_info":{"role":"*"}},{"name":"cpus","type":"SCALAR","scalar":{"value":2.0},"role":"*","allocation_info":{"role":"*"}},{"name":"mem","type":"SCALAR","scalar":{"value":23081.0},"role":"*","allocation_info":{"role":"*"}},{"name":"disk","type":"SCALAR","scalar":{"value":252899.0},"role":"*","allocation_info":{"role":"*"}}],"allocation_info":{"role":"*"}}]}}';
const REAL_BODY = `448\n${REAL_SUBSCRIBED}20\n${REAL_HEARTBEAT}828\n${REAL_OFFERS}`;

/** The records of the recorded SUBSCRIBE stream. */
function sampleRecords(): { type: string; [k: string]: unknown }[] {
  return new RecordIoDecoder().push(Buffer.from(REAL_BODY, 'utf8')) as { type: string; [k: string]: unknown }[];
}

/** Keys and nesting of a JSON value (arrays by their first element), for shape comparison. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])];
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  }
  return typeof v;
}

// ---------------------------------------------------------------------------------------------
// parseCall: every call type

test('SUBSCRIBE (inventory §2.3)', () => {
  const c = as(
    ok({
      type: 'SUBSCRIBE',
      subscribe: {
        framework_info: {
          user: 'svc',
          name: 'ts-kernel-fw',
          roles: ['web'],
          capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }],
          failover_timeout: 604800,
          checkpoint: true,
        },
        suppressed_roles: [],
      },
    }),
    'SUBSCRIBE',
  );
  assert.is(c.framework_id, undefined);
  const fi = c.subscribe.framework_info;
  assert.is(fi.user, 'svc');
  assert.equal(fi.roles, ['web']);
  assert.equal(
    fi.capabilities.map((x) => x.type),
    ['MULTI_ROLE', 'PARTITION_AWARE'],
  );
  assert.is(fi.failover_timeout, 604800);
  assert.is(fi.checkpoint, true);
  assert.equal(c.subscribe.suppressed_roles, []);
});

test('SUBSCRIBE as recorded from a real client (sample stream request)', () => {
  const c = as(
    ok(`{
      "type": "SUBSCRIBE",
      "subscribe": { "framework_info": { "user": "root", "name": "recordio-sample-framework", "roles": ["*"],
        "capabilities": [{"type": "MULTI_ROLE"}] } }
    }`),
    'SUBSCRIBE',
  );
  assert.equal(c.subscribe.framework_info.roles, ['*']);
});

test('SUBSCRIBE again with an id: framework_id must match framework_info.id (Mesos compares them)', () => {
  const fi = { user: 'u', name: 'n', id: FW };
  const c = as(ok({ type: 'SUBSCRIBE', framework_id: FW, subscribe: { framework_info: fi } }), 'SUBSCRIBE');
  assert.equal(c.framework_id, FW);
  assert.is(
    bad({ type: 'SUBSCRIBE', subscribe: { framework_info: fi } }),
    "Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe.framework_info.id'",
  );
  assert.match(
    bad({ type: 'SUBSCRIBE', framework_id: { value: 'other' }, subscribe: { framework_info: fi } }),
    /differs/,
  );
});

test('ACCEPT with LAUNCH and LAUNCH_GROUP (inventory §2.5)', () => {
  const c = as(
    ok({
      type: 'ACCEPT',
      framework_id: FW,
      accept: {
        offer_ids: [{ value: `${M}-O17` }],
        filters: { refuse_seconds: 5 },
        operations: [
          {
            type: 'LAUNCH',
            launch: {
              task_infos: [
                {
                  name: 'web-1',
                  task_id: { value: 'web-1' },
                  agent_id: { value: `${M}-S3` },
                  resources: [
                    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } },
                    { name: 'mem', type: 'SCALAR', scalar: { value: 128 } },
                  ],
                  command: { shell: true, value: 'sleep 3600' },
                  kill_policy: { grace_period: { nanoseconds: 10000000000 } },
                },
              ],
            },
          },
          {
            type: 'LAUNCH_GROUP',
            launch_group: {
              executor: {
                type: 'DEFAULT',
                executor_id: { value: 'pod-1' },
                framework_id: FW,
                resources: [
                  { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } },
                  { name: 'mem', type: 'SCALAR', scalar: { value: 32 } },
                  { name: 'disk', type: 'SCALAR', scalar: { value: 10 } },
                ],
              },
              task_group: {
                tasks: [
                  {
                    name: 'app',
                    task_id: { value: 'pod-1.app' },
                    agent_id: { value: `${M}-S3` },
                    resources: [
                      { name: 'cpus', type: 'SCALAR', scalar: { value: 1 } },
                      { name: 'mem', type: 'SCALAR', scalar: { value: 256 } },
                    ],
                    command: { value: './run.sh' },
                  },
                ],
              },
            },
          },
        ],
      },
    }),
    'ACCEPT',
  );
  assert.equal(c.framework_id, FW);
  assert.equal(c.accept.offer_ids, [{ value: `${M}-O17` }]);
  assert.is(c.accept.filters?.refuse_seconds, 5);
  const [launch, group] = c.accept.operations;
  assert.is(launch?.type, 'LAUNCH');
  const ti = launch?.launch?.task_infos[0];
  assert.is(ti?.kill_policy?.grace_period?.nanoseconds, 10_000_000_000);
  assert.is(ti?.command?.shell, true);
  assert.is(ti?.resources[0]?.scalar?.value, 0.5);
  assert.is(group?.type, 'LAUNCH_GROUP');
  assert.is(group?.launch_group?.executor.type, 'DEFAULT');
  assert.is(group?.launch_group?.task_group.tasks[0]?.command?.shell, true, 'shell defaults to true');
});

test('ACCEPT: RESERVE/UNRESERVE/CREATE/DESTROY parse loosely; unknown operation types read UNKNOWN', () => {
  const disk = { name: 'disk', type: 'SCALAR', scalar: { value: 64 }, role: 'web', disk: { persistence: { id: 'v1' } } };
  const c = as(
    ok({
      type: 'ACCEPT',
      framework_id: FW,
      accept: {
        offer_ids: [{ value: 'o' }],
        operations: [
          { type: 'RESERVE', reserve: { resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }] } },
          { type: 'UNRESERVE', unreserve: { resources: [] } },
          { type: 'CREATE', create: { volumes: [disk] } },
          { type: 'DESTROY', destroy: { volumes: [disk] } },
          { type: 'TELEPORT', teleport: {} },
          {},
        ],
      },
    }),
    'ACCEPT',
  );
  assert.equal(
    c.accept.operations.map((o) => o.type),
    ['RESERVE', 'UNRESERVE', 'CREATE', 'DESTROY', 'UNKNOWN', 'UNKNOWN'],
  );
  assert.equal(c.accept.operations[2]?.create?.volumes[0]?.disk, { persistence: { id: 'v1' } });
});

test('DECLINE, REVIVE, SUPPRESS, TEARDOWN', () => {
  const d = as(
    ok({ type: 'DECLINE', framework_id: FW, decline: { offer_ids: [{ value: 'o18' }], filters: { refuse_seconds: 3600 } } }),
    'DECLINE',
  );
  assert.equal(d.decline, { offer_ids: [{ value: 'o18' }], filters: { refuse_seconds: 3600 } });

  assert.equal(as(ok({ type: 'REVIVE', framework_id: FW, revive: { roles: ['web'] } }), 'REVIVE').revive.roles, ['web']);
  assert.equal(as(ok({ type: 'REVIVE', framework_id: FW }), 'REVIVE').revive.roles, [], 'REVIVE needs no body');
  assert.equal(as(ok({ type: 'SUPPRESS', framework_id: FW, suppress: { roles: [] } }), 'SUPPRESS').suppress.roles, []);
  assert.equal(as(ok({ type: 'SUPPRESS', framework_id: FW }), 'SUPPRESS').suppress.roles, []);
  assert.equal(ok({ type: 'TEARDOWN', framework_id: FW }), { type: 'TEARDOWN', framework_id: FW });
});

test('KILL, SHUTDOWN, ACKNOWLEDGE, RECONCILE (inventory §2.5)', () => {
  const k = as(
    ok({
      type: 'KILL',
      framework_id: FW,
      kill: { task_id: { value: 't1' }, agent_id: { value: `${M}-S3` }, kill_policy: { grace_period: { nanoseconds: 0 } } },
    }),
    'KILL',
  );
  assert.equal(k.kill, { task_id: { value: 't1' }, agent_id: { value: `${M}-S3` }, kill_policy: { grace_period: { nanoseconds: 0 } } });
  assert.equal(as(ok({ type: 'KILL', framework_id: FW, kill: { task_id: { value: 't1' } } }), 'KILL').kill, {
    task_id: { value: 't1' },
  });

  const s = as(
    ok({ type: 'SHUTDOWN', framework_id: FW, shutdown: { executor_id: { value: 'pod-1' }, agent_id: { value: 'a' } } }),
    'SHUTDOWN',
  );
  assert.equal(s.shutdown.executor_id, { value: 'pod-1' });

  const a = as(
    ok({
      type: 'ACKNOWLEDGE',
      framework_id: FW,
      acknowledge: { agent_id: { value: `${M}-S3` }, task_id: { value: 't1' }, uuid: 'hTaLQ0b5Q1OZuab7QclTKQ==' },
    }),
    'ACKNOWLEDGE',
  );
  assert.is(a.acknowledge.uuid, 'hTaLQ0b5Q1OZuab7QclTKQ==');
  assert.is(base64ToUuid(a.acknowledge.uuid), '85368b43-46f9-4353-99b9-a6fb41c95329');

  const r = as(
    ok({ type: 'RECONCILE', framework_id: FW, reconcile: { tasks: [{ task_id: { value: 't1' }, agent_id: { value: 'a' } }] } }),
    'RECONCILE',
  );
  assert.equal(r.reconcile.tasks, [{ task_id: { value: 't1' }, agent_id: { value: 'a' } }]);
  assert.equal(as(ok({ type: 'RECONCILE', framework_id: FW, reconcile: {} }), 'RECONCILE').reconcile.tasks, []);
});

test('MESSAGE, REQUEST, inverse offers, operation calls, UPDATE_FRAMEWORK, UNKNOWN', () => {
  const m = as(
    ok({ type: 'MESSAGE', framework_id: FW, message: { agent_id: { value: 'a' }, executor_id: { value: 'e1' }, data: 'aGk=' } }),
    'MESSAGE',
  );
  assert.is(Buffer.from(m.message.data, 'base64').toString(), 'hi');

  const rq = as(
    ok({
      type: 'REQUEST',
      framework_id: FW,
      request: { requests: [{ agent_id: { value: 'a' }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }] }] },
    }),
    'REQUEST',
  );
  assert.is(rq.request.requests[0]?.resources[0]?.name, 'cpus');

  for (const type of ['ACCEPT_INVERSE_OFFERS', 'DECLINE_INVERSE_OFFERS'] as const) {
    const key = type.toLowerCase();
    const c = ok({ type, framework_id: FW, [key]: { inverse_offer_ids: [{ value: 'io1' }], filters: { refuse_seconds: 1 } } });
    assert.is(c.type, type);
    assert.equal((c as unknown as Record<string, { inverse_offer_ids: unknown }>)[key]?.inverse_offer_ids, [{ value: 'io1' }]);
  }

  const ro = as(
    ok({ type: 'RECONCILE_OPERATIONS', framework_id: FW, reconcile_operations: { operations: [{ operation_id: { value: 'op' } }] } }),
    'RECONCILE_OPERATIONS',
  );
  assert.equal(ro.reconcile_operations.operations, [{ operation_id: { value: 'op' } }]);
  const ao = as(
    ok({
      type: 'ACKNOWLEDGE_OPERATION_STATUS',
      framework_id: FW,
      acknowledge_operation_status: { agent_id: { value: 'a' }, uuid: 'hTaLQ0b5Q1OZuab7QclTKQ==', operation_id: { value: 'op' } },
    }),
    'ACKNOWLEDGE_OPERATION_STATUS',
  );
  assert.equal(ao.acknowledge_operation_status.operation_id, { value: 'op' });

  const u = as(
    ok({
      type: 'UPDATE_FRAMEWORK',
      framework_id: FW,
      update_framework: {
        framework_info: { user: 'svc', name: 'fw', id: FW, roles: ['web', 'batch'], capabilities: [{ type: 'MULTI_ROLE' }] },
        suppressed_roles: ['batch'],
      },
    }),
    'UPDATE_FRAMEWORK',
  );
  assert.equal(u.update_framework.suppressed_roles, ['batch']);
  assert.match(
    bad({ type: 'UPDATE_FRAMEWORK', framework_id: FW, update_framework: { framework_info: { user: 'u', name: 'n' } } }),
    /'framework_id' differs from 'update_framework.framework_info.id'/,
  );

  assert.equal(ok({ type: 'UNKNOWN', framework_id: FW }), { type: 'UNKNOWN', framework_id: FW });
});

// ---------------------------------------------------------------------------------------------
// parseCall: leniency of Mesos's JSON parser

test('unknown fields are ignored, at every level, and not passed on', () => {
  const c = as(
    ok({
      type: 'KILL',
      framework_id: { value: 'f', extra: 1 },
      future_field: { a: 1 },
      kill: { task_id: { value: 't', junk: true }, agent_id: { value: 'a' }, something_new: [1] },
    }),
    'KILL',
  );
  assert.equal(c, { type: 'KILL', framework_id: { value: 'f' }, kill: { task_id: { value: 't' }, agent_id: { value: 'a' } } });
});

test('null means "not set"', () => {
  const c = as(ok({ type: 'KILL', framework_id: FW, kill: { task_id: { value: 't' }, agent_id: null }, accept: null }), 'KILL');
  assert.is(c.kill.agent_id, undefined);
  assert.match(bad({ type: 'KILL', framework_id: FW, kill: null }), /Expecting 'kill' to be present/);
});

test('int64 fields accept numbers and decimal strings; doubles accept "Infinity"', () => {
  const k = as(
    ok({ type: 'KILL', framework_id: FW, kill: { task_id: { value: 't' }, kill_policy: { grace_period: { nanoseconds: '5000000000' } } } }),
    'KILL',
  );
  assert.is(k.kill.kill_policy?.grace_period?.nanoseconds, 5_000_000_000);

  const [r] = mesosResources([{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: '31000', end: 31005 }] } }]);
  assert.equal(r?.ranges?.range, [{ begin: 31000, end: 31005 }]);

  const d = as(
    ok({ type: 'DECLINE', framework_id: FW, decline: { offer_ids: [{ value: 'o' }], filters: { refuse_seconds: 'Infinity' } } }),
    'DECLINE',
  );
  assert.is(d.decline.filters?.refuse_seconds, Number.POSITIVE_INFINITY);
  const d2 = as(
    ok({ type: 'DECLINE', framework_id: FW, decline: { offer_ids: [{ value: 'o' }], filters: { refuse_seconds: '2.5' } } }),
    'DECLINE',
  );
  assert.is(d2.decline.filters?.refuse_seconds, 2.5);
  assert.match(
    bad({ type: 'DECLINE', framework_id: FW, decline: { filters: { refuse_seconds: 'soon' } } }),
    /'decline.filters.refuse_seconds': expected a number, got the string "soon"/,
  );
  assert.match(
    bad({ type: 'KILL', framework_id: FW, kill: { task_id: { value: 't' }, kill_policy: { grace_period: { nanoseconds: '1.5s' } } } }),
    /'kill.kill_policy.grace_period.nanoseconds': expected an integer/,
  );
  assert.match(
    bad({ type: 'REQUEST', framework_id: FW, request: { requests: [{ resources: [{ name: 'p', type: 'RANGES', ranges: { range: [{ begin: -1, end: 2 }] } }] }] } }),
    /'request.requests\[0\].resources\[0\].ranges.range\[0\].begin': expected an unsigned integer/,
  );
});

test('booleans may be the strings "true"/"false"; a single value counts as a one-element list', () => {
  const c = as(
    ok({
      type: 'SUBSCRIBE',
      subscribe: { framework_info: { user: 'u', name: 'n', checkpoint: 'true', roles: 'web', capabilities: { type: 'MULTI_ROLE' } } },
    }),
    'SUBSCRIBE',
  );
  assert.is(c.subscribe.framework_info.checkpoint, true);
  assert.equal(c.subscribe.framework_info.roles, ['web']);
  assert.equal(c.subscribe.framework_info.capabilities, [{ type: 'MULTI_ROLE' }]);
});

test('an unknown name in an optional enum is dropped; in a required enum it is an error', () => {
  const c = as(
    ok({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n', capabilities: [{ type: 'TIME_TRAVEL' }] } } }),
    'SUBSCRIBE',
  );
  assert.equal(c.subscribe.framework_info.capabilities, [{ type: 'UNKNOWN' }]);
  assert.match(
    bad({ type: 'REQUEST', framework_id: FW, request: { requests: [{ resources: [{ name: 'x', type: 'FANCY' }] }] } }),
    /'request.requests\[0\].resources\[0\].type': unknown value "FANCY" \(expected one of SCALAR, RANGES, SET, TEXT\)/,
  );
});

// ---------------------------------------------------------------------------------------------
// parseCall: error text

test('a call type without its sub-object is refused, with Mesos text', () => {
  const needs: [string, string][] = [
    ['SUBSCRIBE', 'subscribe'],
    ['ACCEPT', 'accept'],
    ['DECLINE', 'decline'],
    ['ACCEPT_INVERSE_OFFERS', 'accept_inverse_offers'],
    ['DECLINE_INVERSE_OFFERS', 'decline_inverse_offers'],
    ['KILL', 'kill'],
    ['SHUTDOWN', 'shutdown'],
    ['ACKNOWLEDGE', 'acknowledge'],
    ['ACKNOWLEDGE_OPERATION_STATUS', 'acknowledge_operation_status'],
    ['RECONCILE', 'reconcile'],
    ['RECONCILE_OPERATIONS', 'reconcile_operations'],
    ['MESSAGE', 'message'],
    ['REQUEST', 'request'],
    ['UPDATE_FRAMEWORK', 'update_framework'],
  ];
  for (const [type, key] of needs) {
    assert.is(
      bad({ type, framework_id: FW }),
      `Failed to validate scheduler::Call: Expecting '${key}' to be present`,
      type,
    );
  }
  // The sub-object of another type does not count.
  assert.is(bad({ type: 'ACCEPT', framework_id: FW, decline: {} }), "Failed to validate scheduler::Call: Expecting 'accept' to be present");
});

test('every call but SUBSCRIBE needs framework_id', () => {
  assert.is(bad({ type: 'TEARDOWN' }), "Failed to validate scheduler::Call: Expecting 'framework_id' to be present");
  assert.is(
    bad({ type: 'ACCEPT', accept: { offer_ids: [] } }),
    "Failed to validate scheduler::Call: Expecting 'framework_id' to be present",
  );
});

test('a missing or unknown type', () => {
  assert.is(bad({ framework_id: FW }), "Failed to validate scheduler::Call: Expecting 'type' to be present");
  assert.is(bad({ type: 'LAUNCH_ROCKET', framework_id: FW }), "Failed to validate scheduler::Call: Expecting 'type' to be present");
  assert.match(bad({ type: 7 }), /Failed to convert JSON into Call protobuf: 'type': expected an enum name/);
});

test('missing required fields are named by their path', () => {
  assert.is(
    bad({ type: 'SUBSCRIBE', subscribe: { framework_info: { name: 'n' } } }),
    "Failed to convert JSON into Call protobuf: 'subscribe.framework_info.user' is required",
  );
  assert.is(
    bad({ type: 'ACCEPT', framework_id: FW, accept: { offer_ids: [{ value: 'o' }, {}] } }),
    "Failed to convert JSON into Call protobuf: 'accept.offer_ids[1].value' is required",
  );
  assert.match(
    bad({
      type: 'ACCEPT',
      framework_id: FW,
      accept: { offer_ids: [{ value: 'o' }], operations: [{ type: 'LAUNCH', launch: { task_infos: [{ name: 't' }] } }] },
    }),
    /'accept.operations\[0\].launch.task_infos\[0\].task_id' is required; 'accept.operations\[0\].launch.task_infos\[0\].agent_id' is required/,
  );
});

test('wrong JSON types are reported with what was found', () => {
  assert.is(
    bad({ type: 'ACCEPT', framework_id: FW, accept: { offer_ids: [{ value: 17 }] } }),
    "Failed to convert JSON into Call protobuf: 'accept.offer_ids[0].value': expected a string, got number 17",
  );
  assert.match(bad({ type: 'KILL', framework_id: 'f', kill: { task_id: { value: 't' } } }), /'framework_id': expected an object, got the string "f"/);
});

test('ACKNOWLEDGE: the uuid must be base64 of 16 bytes', () => {
  const call = (uuid: string) => ({
    type: 'ACKNOWLEDGE',
    framework_id: FW,
    acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid },
  });
  assert.is(bad(call('aGk=')), 'Failed to validate scheduler::Call: Not a valid UUID');
  assert.match(bad(call('not base64!')), /Failed to convert JSON into Call protobuf: 'acknowledge.uuid': expected a base64 string/);
  assert.is(
    bad({ type: 'ACKNOWLEDGE', framework_id: FW, acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' } } }),
    "Failed to convert JSON into Call protobuf: 'acknowledge.uuid' is required",
  );
});

test('bad JSON and non-objects', () => {
  assert.match(bad('{"type": "TEARDOWN",'), /^Failed to parse body into JSON: /);
  assert.match(bad(''), /^Failed to parse body into JSON: /);
  assert.is(bad('[1,2]'), 'Failed to convert JSON into Call protobuf: Expecting a JSON object, got an array');
  assert.is(bad('null'), 'Failed to convert JSON into Call protobuf: Expecting a JSON object, got null');
});

// ---------------------------------------------------------------------------------------------
// resources

test('resources: scalar, ranges and set round trips', () => {
  roundTrip([{ name: 'cpus', type: 'SCALAR', scalar: 0.5 }]);
  roundTrip([{ name: 'ports', type: 'RANGES', ranges: [[31000, 31005], [32000, 32000]] }], 'web');
  roundTrip([{ name: 'zones', type: 'SET', set: ['a', 'b'] }]);
});

test('resources: reservations round trip (static, dynamic with principal and labels, refined)', () => {
  roundTrip([{ name: 'cpus', type: 'SCALAR', scalar: 2, reservations: [{ type: 'STATIC', role: 'web' }] }]);
  roundTrip([
    {
      name: 'mem',
      type: 'SCALAR',
      scalar: 512,
      reservations: [{ type: 'DYNAMIC', role: 'web', principal: 'ops', labels: { owner: 'team-a' } }],
    },
  ]);
  roundTrip(
    [
      {
        name: 'disk',
        type: 'SCALAR',
        scalar: 100,
        reservations: [
          { type: 'STATIC', role: 'eng' },
          { type: 'DYNAMIC', role: 'eng/web', principal: 'p' },
        ],
      },
    ],
    'eng/web',
  );
});

test('resourcesToMesos: unreserved get role "*"; allocation_info when given; Mesos field order', () => {
  const out = resourcesToMesos([{ name: 'cpus', type: 'SCALAR', scalar: 4 }], 'web');
  assert.equal(out, [{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 }, role: '*', allocation_info: { role: 'web' } }]);
  assert.equal(Object.keys(out[0]!), ['name', 'type', 'scalar', 'role', 'allocation_info']);
  assert.equal(resourcesToMesos([{ name: 'cpus', type: 'SCALAR', scalar: 4 }]), [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 4 }, role: '*' },
  ]);
});

test('resourcesToMesos: a reservation is written in both formats; a refined stack only as reservations', () => {
  const [stat] = resourcesToMesos([{ name: 'cpus', type: 'SCALAR', scalar: 1, reservations: [{ type: 'STATIC', role: 'web' }] }]);
  assert.equal(stat, { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'web', reservations: [{ type: 'STATIC', role: 'web' }] });
  const [dyn] = resourcesToMesos([
    { name: 'cpus', type: 'SCALAR', scalar: 1, reservations: [{ type: 'DYNAMIC', role: 'web', principal: 'ops' }] },
  ]);
  assert.equal(dyn, {
    name: 'cpus',
    type: 'SCALAR',
    scalar: { value: 1 },
    role: 'web',
    reservation: { principal: 'ops' },
    reservations: [{ type: 'DYNAMIC', role: 'web', principal: 'ops' }],
  });
  const [refined] = resourcesToMesos([
    {
      name: 'cpus',
      type: 'SCALAR',
      scalar: 1,
      reservations: [
        { type: 'STATIC', role: 'eng' },
        { type: 'DYNAMIC', role: 'eng/web' },
      ],
    },
  ]);
  assert.is(refined?.role, undefined);
  assert.equal(refined?.reservations?.map((r) => r.role), ['eng', 'eng/web']);
});

test('resourcesFromMesos: the legacy role and reservation fields', () => {
  assert.equal(oursFromMesos([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: '*' }]), [
    { name: 'cpus', type: 'SCALAR', scalar: 1 },
  ]);
  assert.equal(oursFromMesos([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'web' }]), [
    { name: 'cpus', type: 'SCALAR', scalar: 1, reservations: [{ type: 'STATIC', role: 'web' }] },
  ]);
  assert.equal(
    oursFromMesos([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'web', reservation: { principal: 'ops' } }]),
    [{ name: 'cpus', type: 'SCALAR', scalar: 1, reservations: [{ type: 'DYNAMIC', role: 'web', principal: 'ops' }] }],
  );
  // allocation_info is dropped
  assert.equal(oursFromMesos([{ name: 'mem', type: 'SCALAR', scalar: { value: 64 }, allocation_info: { role: 'web' } }]), [
    { name: 'mem', type: 'SCALAR', scalar: 64 },
  ]);
});

test('resourcesFromMesos: what the kernel does not model is refused with a reason', () => {
  const refused = (json: unknown, why: RegExp): void => {
    const r = resourcesFromMesos(mesosResources(json));
    assert.not.ok(r.ok, JSON.stringify(json));
    if (!r.ok) assert.match(r.error, why);
  };
  refused([{ name: 'disk', type: 'SCALAR', scalar: { value: 1 }, role: 'web', disk: { source: { type: 'MOUNT' } } }], /disk sources/);
  refused([{ name: 'disk', type: 'SCALAR', scalar: { value: 1 }, role: 'web', disk: { persistence: { id: 'v' }, volume: { container_path: 'd', mode: 'RW', host_path: '/x' } } }], /no host_path/);
  refused([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, disk: { persistence: { id: 'v' } } }], /only for disk/);
  // A persistent volume is a disk resource with disk info, both ways.
  const vol = { name: 'disk', type: 'SCALAR', scalar: { value: 64 }, role: 'web', disk: { persistence: { id: 'v1', principal: 'p' }, volume: { container_path: 'data', mode: 'RW' } } };
  const ours = resourcesFromMesos(mesosResources([vol]));
  assert.ok(ours.ok);
  if (ours.ok) {
    assert.equal(ours.resources, [{ name: 'disk', type: 'SCALAR', scalar: 64, reservations: [{ type: 'STATIC', role: 'web' }], disk: { persistence: { id: 'v1', principal: 'p' }, volume: { containerPath: 'data', mode: 'RW' } } }]);
    assert.equal(resourcesToMesos(ours.resources)[0]!.disk, { persistence: { id: 'v1', principal: 'p' }, volume: { container_path: 'data', mode: 'RW' } });
  }
  refused([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, revocable: {} }], /revocable/);
  refused([{ name: 'x', type: 'TEXT' }], /resource 0 \('x'\): TEXT is not a resource type/);
  refused([{ name: 'cpus', type: 'SCALAR' }], /needs 'scalar'/);
  refused([{ name: 'cpus', type: 'SCALAR', scalar: { value: -1 } }], /not negative/);
  refused([{ name: 'cpus', type: 'SCALAR', scalar: { value: 'Infinity' } }], /finite/);
  refused([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: '*', reservation: {} }], /'\*' cannot be dynamically reserved/);
  refused([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ role: 'web' }] }], /'type' must be STATIC or DYNAMIC/);
  refused(
    [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ type: 'STATIC', role: 'a' }, { type: 'DYNAMIC', role: 'b' }] }],
    /not a refinement of 'a'/,
  );
  refused(
    [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'other', reservations: [{ type: 'STATIC', role: 'web' }] }],
    /does not match/,
  );
  refused([{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 5, end: 2 }] } }], /invalid resources/);
  refused([{ name: 'bad name', type: 'SCALAR', scalar: { value: 1 } }], /invalid resources/);
  refused([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: '-web' }], /starts with a dash/);
});

test('roleError follows Mesos role names', () => {
  for (const good of ['*', 'web', 'eng/web', 'a.b', 'x-y']) assert.is(roleError(good), undefined, good);
  for (const badRole of ['', '/a', 'a/', 'a//b', '.', 'a/..', 'a/*', '-a', 'a b', 'a\bb']) {
    assert.type(roleError(badRole), 'string', JSON.stringify(badRole));
  }
});

test('attributesToMesos', () => {
  const attrs: Attribute[] = [
    { name: 'rack', type: 'TEXT', text: 'r1' },
    { name: 'level', type: 'SCALAR', scalar: 10 },
    { name: 'keys', type: 'RANGES', ranges: [[1000, 1500]] },
    { name: 'zones', type: 'SET', set: ['a', 'b'] },
  ];
  assert.equal(attributesToMesos(attrs), [
    { name: 'rack', type: 'TEXT', text: { value: 'r1' } },
    { name: 'level', type: 'SCALAR', scalar: { value: 10 } },
    { name: 'keys', type: 'RANGES', ranges: { range: [{ begin: 1000, end: 1500 }] } },
    { name: 'zones', type: 'SET', set: { item: ['a', 'b'] } },
  ]);
});

// ---------------------------------------------------------------------------------------------
// offers and the events of the stream, against the recorded stream

test('offerToMesos reproduces the OFFERS record of the real master (keys, nesting, order, values)', () => {
  const offers = sampleRecords().find((r) => r.type === 'OFFERS') as unknown as { offers: { offers: Record<string, unknown>[] } };
  const real = offers.offers.offers[0]!;
  const realResources = real.resources as unknown[];
  const ours = offerToMesos(
    {
      id: `${M}-O1`,
      frameworkId: `${M}-0001`,
      agentId: `${M}-S0`,
      hostname: 'localhost',
      role: '*',
      resources: oursFromMesos(realResources),
    },
    { port: 5051, ip: '127.0.0.1', attributes: [] },
  );
  assert.equal(shape(ours), shape(real));
  assert.equal(JSON.parse(JSON.stringify(ours)), real);
  assert.equal(Object.keys(ours), Object.keys(real));
  assert.equal(shape(offersEvent([ours])), shape(offers));
});

test('offerToMesos: attributes when the agent has some; no url without the agent', () => {
  const base = { id: 'o1', frameworkId: 'f', agentId: 'a', hostname: 'h', role: 'web', resources: [] as Resources };
  const withAttrs = offerToMesos(base, { port: 5051, attributes: [{ name: 'rack', type: 'TEXT', text: 'r1' }] });
  assert.equal(withAttrs.attributes, [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }]);
  assert.equal(withAttrs.url, { scheme: 'http', address: { hostname: 'h', port: 5051 }, path: '/slave(1)' });
  assert.equal(withAttrs.allocation_info, { role: 'web' });
  const bare = offerToMesos(base);
  assert.is(bare.url, undefined);
  assert.is(bare.attributes, undefined);
});

test('subscribedEvent reproduces the SUBSCRIBED record of the real master', () => {
  const real = sampleRecords().find((r) => r.type === 'SUBSCRIBED');
  const ours = subscribedEvent(`${M}-0001`, 15, {
    id: M,
    hostname: 'localhost',
    ip: '127.0.0.1',
    port: 5050,
    version: '1.12.0',
    capabilities: ['AGENT_UPDATE', 'AGENT_DRAINING', 'QUOTA_V2'],
  });
  assert.equal(JSON.parse(JSON.stringify(ours)), real);
});

test('ipToUint32 packs the network-order bytes little-endian, as MasterInfo.ip', () => {
  assert.is(ipToUint32('127.0.0.1'), 16777343);
  assert.is(ipToUint32('127.0.1.1'), 16842879); // the inventory's example
  assert.is(ipToUint32('10.0.0.3'), 0x0300000a);
  assert.is(ipToUint32('255.255.255.255'), 4294967295);
  for (const badIp of ['localhost', '1.2.3', '1.2.3.256', '::1', '1.2.3.4.5', '01.2.3.x']) {
    assert.throws(() => ipToUint32(badIp), /not an IPv4 address/);
  }
});

test('RESCIND, ERROR, HEARTBEAT, FAILURE, MESSAGE events', () => {
  assert.equal(rescindEvent('o17'), { type: 'RESCIND', rescind: { offer_id: { value: 'o17' } } });
  assert.equal(errorEvent('Framework failed over'), { type: 'ERROR', error: { message: 'Framework failed over' } });
  assert.equal(heartbeatEvent(), { type: 'HEARTBEAT' });
  assert.equal(failureEvent({ agentId: 'a', executorId: 'e1', status: 256 }), {
    type: 'FAILURE',
    failure: { agent_id: { value: 'a' }, executor_id: { value: 'e1' }, status: 256 },
  });
  assert.equal(failureEvent({ agentId: 'a' }), { type: 'FAILURE', failure: { agent_id: { value: 'a' } } });
  assert.equal(messageEvent('a', 'e1', Buffer.from('hi')), {
    type: 'MESSAGE',
    message: { agent_id: { value: 'a' }, executor_id: { value: 'e1' }, data: 'aGk=' },
  });
});

// ---------------------------------------------------------------------------------------------
// task status and uuids

test('uuid ⇄ base64 of its 16 raw bytes', () => {
  assert.is(uuidToBase64('1b4e28ba-2fa1-11d2-883f-0016d3cca427'), 'G04oui+hEdKIPwAW08ykJw==');
  assert.is(base64ToUuid('G04oui+hEdKIPwAW08ykJw=='), '1b4e28ba-2fa1-11d2-883f-0016d3cca427');
  assert.is(base64ToUuid(uuidToBase64('1B4E28BA-2FA1-11D2-883F-0016D3CCA427')), '1b4e28ba-2fa1-11d2-883f-0016d3cca427');
  const u = crypto.randomUUID();
  assert.is(base64ToUuid(uuidToBase64(u)), u);
  assert.is(base64ToUuid('G04oui+hEdKIPwAW08ykJw'), '1b4e28ba-2fa1-11d2-883f-0016d3cca427', 'padding is optional');
  assert.is(base64ToUuid('aGk='), null);
  assert.is(base64ToUuid(''), null);
  assert.is(base64ToUuid('G04oui+hEdKIPwAW08ykJw==AA'), null);
  assert.is(base64ToUuid('not base64 at all!!!!!!!'), null);
  assert.throws(() => uuidToBase64('not-a-uuid'), /not a canonical uuid/);
});

const status: TaskStatus = {
  agentId: asAgentId(`${M}-S3`),
  frameworkId: asFrameworkId(`${M}-0001`),
  taskId: asTaskId('t1'),
  state: 'TASK_RUNNING',
  source: 'SOURCE_EXECUTOR',
  uuid: '85368b43-46f9-4353-99b9-a6fb41c95329',
  timestamp: 1_700_000_000_123,
};

test('statusToMesos: seconds, base64 uuid, ids as objects, optional fields only when set', () => {
  const s = statusToMesos(status);
  assert.equal(s, {
    task_id: { value: 't1' },
    state: 'TASK_RUNNING',
    source: 'SOURCE_EXECUTOR',
    agent_id: { value: `${M}-S3` },
    timestamp: 1_700_000_000.123,
    uuid: 'hTaLQ0b5Q1OZuab7QclTKQ==',
  });
  const full = statusToMesos({
    ...status,
    state: 'TASK_FAILED',
    reason: 'REASON_COMMAND_EXECUTOR_FAILED',
    message: 'exit 1',
    executorId: 't1' as TaskStatus['executorId'] & string,
    healthy: false,
    checkStatus: { type: 'HTTP', http: { statusCode: 503 } },
    containerId: 'c-1',
  });
  assert.equal(Object.keys(full), [
    'task_id',
    'state',
    'message',
    'source',
    'reason',
    'agent_id',
    'executor_id',
    'timestamp',
    'uuid',
    'healthy',
    'check_status',
    'container_status',
  ]);
  assert.equal(full.check_status, { type: 'HTTP', http: { status_code: 503 } });
  assert.equal(statusToMesos({ ...status, checkStatus: { type: 'TCP', tcp: {} } }).check_status, { type: 'TCP', tcp: {} }, 'no result: the empty field');
  assert.equal(full.container_status, { container_id: { value: 'c-1' } });
  assert.equal(full.executor_id, { value: 't1' });
  const { uuid: _uuid, ...noUuid } = status;
  assert.not.ok('uuid' in statusToMesos(noUuid));
  assert.equal(updateEvent(status), { type: 'UPDATE', update: { status: s } });
});

test('statusToMesos: frameworks that are not partition-aware hear TASK_LOST', () => {
  for (const state of ['TASK_UNREACHABLE', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN'] as const) {
    assert.is(statusToMesos({ ...status, state }, false).state, 'TASK_LOST', state);
    assert.is(statusToMesos({ ...status, state }).state, state);
  }
  assert.is(statusToMesos({ ...status, state: 'TASK_FINISHED' }, false).state, 'TASK_FINISHED');
});

// ---------------------------------------------------------------------------------------------
// TaskInfo

const taskJson = (extra: Record<string, unknown> = {}, command: Record<string, unknown> = { value: 'sleep 10' }) => ({
  name: 'web-1',
  task_id: { value: 'web-1' },
  agent_id: { value: `${M}-S3` },
  resources: [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 }, role: '*', allocation_info: { role: 'web' } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31000 }] }, role: '*' },
  ],
  command,
  ...extra,
});

test('taskInfoFromMesos: a command task with everything we support', () => {
  const ti = parsed(
    MesosTaskInfo,
    taskJson(
      {
        kill_policy: { grace_period: { nanoseconds: '2500000000' } },
        labels: { labels: [{ key: 'app', value: 'web' }, { key: 'flag' }] },
        data: 'aGk=',
        discovery: { visibility: 'FRAMEWORK' },
        container: { type: 'MESOS' },
      },
      {
        shell: false,
        value: '/bin/echo',
        arguments: ['echo', 'hi'],
        user: 'nobody',
        environment: { variables: [{ name: 'A', value: '1' }, { name: 'B', type: 'VALUE', value: 'two' }] },
      },
    ),
  );
  const r = taskInfoFromMesos(ti);
  if (!r.ok) assert.unreachable(r.error);
  assert.equal((r as { ok: true; task: unknown }).task, {
    taskId: 'web-1',
    name: 'web-1',
    agentId: `${M}-S3`,
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: 0.5 },
      { name: 'ports', type: 'RANGES', ranges: [[31000, 31000]] },
    ],
    command: { value: '/bin/echo', shell: false, arguments: ['echo', 'hi'], environment: { A: '1', B: 'two' }, user: 'nobody' },
    killGracePeriodMs: 2500,
    labels: { app: 'web', flag: '' },
  });
});

test('taskInfoFromMesos: URIs (extract defaults to true, cache accepted and ignored) and the container settings the agent does', () => {
  const ti = parsed(
    MesosTaskInfo,
    taskJson(
      { container: { type: 'MESOS', network_infos: [{ name: 'none' }], linux_info: { share_pid_namespace: true } } },
      {
        value: './run.sh',
        uris: [
          { value: 'https://example.org/app.tar.gz', cache: true },
          { value: '/opt/tools/run.sh', executable: true, output_file: 'run.sh' },
          { value: 'file:///srv/data.zip', extract: false },
        ],
      },
    ),
  );
  const r = taskInfoFromMesos(ti);
  if (!r.ok) assert.unreachable(r.error);
  assert.equal((r as { ok: true; task: { command: unknown; container: unknown } }).task.command, {
    value: './run.sh',
    shell: true,
    uris: [
      { value: 'https://example.org/app.tar.gz', executable: false, extract: true },
      { value: '/opt/tools/run.sh', executable: true, extract: true, outputFile: 'run.sh' },
      { value: 'file:///srv/data.zip', executable: false, extract: false },
    ],
  });
  assert.equal((r as { ok: true; task: { container: unknown } }).task.container, { network: 'NONE', sharePidNamespace: true });
});

test('taskInfoFromMesos: container.mesos.image (DOCKER) and volumes (source HOST_PATH / SANDBOX_PATH, old host_path absolute or relative)', () => {
  const r = taskInfoFromMesos(
    parsed(
      MesosTaskInfo,
      taskJson({
        container: {
          type: 'MESOS',
          mesos: { image: { type: 'DOCKER', docker: { name: 'library/busybox:1.36' } } },
          volumes: [
            { container_path: '/data', mode: 'RO', source: { type: 'HOST_PATH', host_path: { path: '/srv/data' } } },
            { container_path: 'cache', mode: 'RW', source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'SELF', path: 'c' } } },
            { container_path: '/old', host_path: '/opt/old' },
            { container_path: 'rel', host_path: 'in-sandbox', mode: 'RO' },
          ],
        },
      }),
    ),
  );
  if (!r.ok) assert.unreachable(r.error);
  assert.equal((r as { ok: true; task: { container: unknown } }).task.container, {
    image: { type: 'DOCKER', name: 'library/busybox:1.36' },
    volumes: [
      { containerPath: '/data', mode: 'RO', source: { type: 'HOST_PATH', path: '/srv/data' } },
      { containerPath: 'cache', mode: 'RW', source: { type: 'SANDBOX_PATH', path: 'c' } },
      { containerPath: '/old', mode: 'RW', source: { type: 'HOST_PATH', path: '/opt/old' } },
      { containerPath: 'rel', mode: 'RO', source: { type: 'SANDBOX_PATH', path: 'in-sandbox' } },
    ],
  });
});

test("taskInfoFromMesos: no command value only for a task in an image with shell false (its Entrypoint/Cmd)", () => {
  const img = { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'busybox:1' } } } };
  const ok = taskInfoFromMesos(parsed(MesosTaskInfo, taskJson({ container: img }, { shell: false, arguments: ['x'] })));
  if (!ok.ok) assert.unreachable(ok.error);
  assert.equal((ok as { ok: true; task: { command: unknown } }).task.command, { value: '', shell: false, arguments: ['x'] });
  for (const [c, cmd] of [[img, { shell: true }], [undefined, { shell: false }]] as const) {
    const r = taskInfoFromMesos(parsed(MesosTaskInfo, taskJson(c === undefined ? {} : { container: c }, cmd)));
    assert.not.ok(r.ok);
    if (!r.ok) assert.match(r.error, /'command.value' is required/);
  }
});

test('taskInfoFromMesos: shell defaults to true', () => {
  const r = taskInfoFromMesos(parsed(MesosTaskInfo, taskJson()));
  assert.ok(r.ok && r.task.command!.shell === true && r.task.command!.value === 'sleep 10');
});

test('taskInfoFromMesos: refusals name what is not supported', () => {
  const refused = (json: unknown, why: RegExp): void => {
    const r = taskInfoFromMesos(parsed(MesosTaskInfo, json));
    assert.not.ok(r.ok, JSON.stringify(json));
    if (!r.ok) assert.match(r.error, why);
  };
  refused(taskJson({ executor: { executor_id: { value: 'e' }, command: { value: './exec' } } }), /one of 'command' and 'executor', not both/);
  refused(taskJson({ container: { type: 'DOCKER', docker: { image: 'nginx' } } }), /Docker/);
  refused(taskJson({ container: { type: 'MESOS', mesos: { image: { type: 'DOCKER' } } } }), /container.mesos.image.docker.name is required/);
  refused(taskJson({ container: { type: 'MESOS', mesos: { image: { type: 'APPC', appc: { name: 'x', id: 'sha512-00' } } } } }), /appc\.id is not supported/);
  refused(taskJson({ container: { type: 'MESOS', mesos: { image: { type: 'APPC' } } } }), /appc is required/);
  const appc = taskInfoFromMesos(parsed(MesosTaskInfo, taskJson({ container: { type: 'MESOS', mesos: { image: { type: 'APPC', appc: { name: 'example.com/app', labels: { labels: [{ key: 'version', value: '1.0' }] } } } } } })));
  if (!appc.ok) assert.unreachable(appc.error);
  assert.equal((appc as { ok: true; task: { container: unknown } }).task.container, { image: { type: 'APPC', name: 'example.com/app', labels: { version: '1.0' } } });
  const uncached = taskInfoFromMesos(parsed(MesosTaskInfo, taskJson({ container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'app:1' }, cached: false } } } })));
  if (!uncached.ok) assert.unreachable(uncached.error);
  assert.equal((uncached as { ok: true; task: { container: unknown } }).task.container, { image: { type: 'DOCKER', name: 'app:1', cached: false } });
  refused(taskJson({ container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'app:1' }, cached: 'no' } } } }), /cached must be a boolean/);
  refused(taskJson({ container: { type: 'MESOS', volumes: [{ container_path: '/x', host_path: '/srv' }] } }), /volumes are only supported for tasks with an image/);
  const img = { type: 'DOCKER', docker: { name: 'busybox:1' } };
  refused(taskJson({ container: { type: 'MESOS', mesos: { image: img }, volumes: [{ container_path: '/x' }] } }), /container.volumes\[0\]: a volume needs 'source' or 'host_path'/);
  refused(taskJson({ container: { type: 'MESOS', mesos: { image: img }, volumes: [{ container_path: '/x', source: { type: 'SECRET' } }] } }), /of type SECRET are not supported/);
  refused(taskJson({ container: { type: 'MESOS', mesos: { image: img }, volumes: [{ container_path: '/x', source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'PARENT', path: 'p' } } }] } }), /type SELF/);
  refused(taskJson({ container: { type: 'MESOS', network_infos: [{ name: 'cni' }] } }), /container.network_infos/);
  refused(taskJson({ container: { type: 'MESOS', network_infos: [{ name: 'none', ip_addresses: [{}] }] } }), /only \{"name": "none"\}/);
  refused(taskJson({ container: { type: 'MESOS', linux_info: { capability_info: {} } } }), /only share_pid_namespace is supported \(not capability_info\)/);
  refused(taskJson({ container: { type: 'MESOS', tty_info: {} } }), /container.tty_info/);
  refused(taskJson({}, { value: 'run', uris: [{ value: 'http://x/app.tgz', output_file: '../escape' }] }), /output_file.*relative path inside the sandbox/);
  refused(taskJson({ health_check: { type: 'COMMAND' } }), /^Task uses invalid health check: Expecting 'command' to be set for COMMAND health check$/);
  refused(taskJson({ check: { type: 'COMMAND' } }), /^Task uses invalid check: Expecting 'command' to be set for COMMAND check$/);
  refused(taskJson({ limits: { cpus: { value: 2 } } }), /limits/);
  refused(taskJson({ max_completion_time: { nanoseconds: 1 } }), /max_completion_time/);
  refused(taskJson({}, { value: 'x', environment: { variables: [{ name: 'S', type: 'SECRET', secret: {} }] } }), /secret/);
  refused(taskJson({}, { value: 'x', environment: { variables: [{ name: 'E' }] } }), /'E' has no value/);
  refused(taskJson({ kill_policy: { grace_period: { nanoseconds: -1 } } }), /must not be negative/);
  refused({ name: 'n', task_id: { value: 't' }, agent_id: { value: 'a' } }, /needs 'command'/);
  refused(taskJson({}, { shell: true }), /'command.value' is required/);
  refused(taskJson({ resources: [{ name: 'disk', type: 'SCALAR', scalar: { value: 1 }, disk: { source: { type: 'PATH' } } }] }), /disk sources/);
  refused(taskJson({ agent_id: { value: 'not/a token' } }), /agent_id/);
});

test('taskInfoFromMesos: a task of a custom executor (no command): its ExecutorInfo and data are kept; Mesos\'s checks refuse a bad one', () => {
  const withExecutor = (executor: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const { command: _none, ...rest } = taskJson({ executor, ...extra });
    return taskInfoFromMesos(parsed(MesosTaskInfo, rest));
  };
  const r = withExecutor(
    {
      type: 'CUSTOM',
      executor_id: { value: 'spark-exec' },
      name: 'spark',
      command: { value: './executor', uris: [{ value: 'http://x/exec.tgz' }], environment: { variables: [{ name: 'MODE', value: 'fast' }] } },
      resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: 64 } }],
      shutdown_grace_period: { nanoseconds: 2e9 },
    },
    { data: 'aGVsbG8=' },
  );
  assert.ok(r.ok, r.ok ? '' : r.error);
  if (!r.ok) return;
  assert.is(r.task.command, undefined);
  assert.is(r.task.data, 'aGVsbG8=');
  assert.equal(r.task.executor, {
    executorId: 'spark-exec',
    name: 'spark',
    command: { value: './executor', shell: true, environment: { MODE: 'fast' }, uris: [{ value: 'http://x/exec.tgz', executable: false, extract: true }] },
    resources: [{ name: 'mem', type: 'SCALAR', scalar: 64 }],
    shutdownGracePeriodMs: 2000,
  });
  // An executor without a type is taken as CUSTOM (older frameworks do not send it).
  assert.ok(withExecutor({ executor_id: { value: 'e' }, command: { value: './x' } }).ok);
  const why = (executor: Record<string, unknown>): string => {
    const x = withExecutor(executor);
    return x.ok ? '' : x.error;
  };
  assert.match(why({ type: 'CUSTOM', executor_id: { value: 'e' } }), /'ExecutorInfo.command' must be set/);
  assert.match(why({ type: 'DEFAULT', executor_id: { value: 'e' } }), /DEFAULT executor runs task groups/);
  assert.match(why({ type: 'CUSTOM', executor_id: { value: 'a/b' }, command: { value: './x' } }), /Executor ID "a\/b" is invalid/);
  assert.match(why({ type: 'CUSTOM', executor_id: { value: 'e' }, command: { value: './x' }, shutdown_grace_period: { nanoseconds: -1 } }), /must not be negative/);
  assert.match(why({ type: 'CUSTOM', executor_id: { value: 'e' }, command: { value: './x' }, container: { type: 'DOCKER', docker: { image: 'x' } } }), /executor: Docker/);
});

test('taskInfoFromMesos: a group task may repeat its group executor', () => {
  const executor = parsed(MesosExecutorInfo, { type: 'DEFAULT', executor_id: { value: 'pod-1' } });
  const ti = parsed(MesosTaskInfo, taskJson({ executor: { type: 'DEFAULT', executor_id: { value: 'pod-1' } } }));
  assert.ok(taskInfoFromMesos(ti, executor).ok);
  const other = parsed(MesosTaskInfo, taskJson({ executor: { type: 'DEFAULT', executor_id: { value: 'pod-2' } } }));
  const r = taskInfoFromMesos(other, executor);
  assert.ok(!r.ok && /differs from the task group's executor 'pod-1'/.test(r.error));
});

test('groupExecutorFromMesos: the DEFAULT executor, or a CUSTOM one with its command', () => {
  const ex = (json: unknown) => groupExecutorFromMesos(parsed(MesosExecutorInfo, json));
  const good = ex({
    type: 'DEFAULT',
    executor_id: { value: 'pod-1' },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }],
  });
  assert.ok(good.ok);
  if (good.ok) assert.equal(good.executor, { executorId: 'pod-1', resources: [{ name: 'cpus', type: 'SCALAR', scalar: 0.1 }] });
  const why = (json: unknown): string => {
    const r = ex(json);
    return r.ok ? '' : r.error;
  };
  assert.is(why({ executor_id: { value: 'e' } }), "'ExecutorInfo.type' must be set");
  assert.is(why({ type: 'UNKNOWN', executor_id: { value: 'e' } }), 'Unknown executor type');
  assert.match(why({ type: 'CUSTOM', executor_id: { value: 'e' } }), /'ExecutorInfo.command' must be set/);
  const custom = ex({ type: 'CUSTOM', executor_id: { value: 'c1' }, command: { value: './run' }, resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: 32 } }] });
  assert.ok(custom.ok && custom.custom !== undefined, JSON.stringify(custom));
  if (custom.ok) {
    assert.equal(custom.executor, { executorId: 'c1', resources: [{ name: 'mem', type: 'SCALAR', scalar: 32 }] }, 'its id and resources as a group executor');
    assert.is(custom.custom?.command.value, './run');
  }
  assert.match(why({ type: 'CUSTOM', executor_id: { value: 'c1' }, command: { value: './run' }, container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'busybox' } } } } }), /image or volumes for a custom executor are not supported/);
  // A task of a custom executor's group needs no command; its data is kept for the executor.
  const groupTask = parsed(MesosTaskInfo, { name: 't', task_id: { value: 't1' }, agent_id: { value: 'a1' }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }], data: Buffer.from('run me').toString('base64') });
  const t = taskInfoFromMesos(groupTask, parsed(MesosExecutorInfo, { type: 'CUSTOM', executor_id: { value: 'c1' }, command: { value: './run' } }));
  assert.ok(t.ok && t.task.command === undefined && t.task.data === Buffer.from('run me').toString('base64'), JSON.stringify(t));
  assert.not.ok(taskInfoFromMesos(groupTask, parsed(MesosExecutorInfo, { type: 'DEFAULT', executor_id: { value: 'd1' } })).ok, 'the DEFAULT executor needs the command');
  assert.match(why({ type: 'DEFAULT', executor_id: { value: 'e' }, command: { value: 'x' } }), /must not be set/);
  assert.match(why({ type: 'DEFAULT', executor_id: { value: 'e' }, container: { type: 'DOCKER' } }), /Docker/);
});

// ---------------------------------------------------------------------------------------------
// FrameworkInfo

const fwInfo = (json: unknown) => frameworkInfoFromMesos(parsed(MesosFrameworkInfo, json));

test('frameworkInfoFromMesos: a MULTI_ROLE framework', () => {
  const r = fwInfo({
    user: 'svc',
    name: 'fw',
    id: FW,
    roles: ['web', 'batch'],
    capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }, { type: 'NOT_YET_INVENTED' }, { type: 'MULTI_ROLE' }],
    failover_timeout: 604800.5,
    checkpoint: true,
    hostname: 'h',
    principal: 'p',
    webui_url: 'http://h:8080',
    labels: { labels: [{ key: 'team', value: 'a' }] },
  });
  if (!r.ok) assert.unreachable(r.error);
  assert.equal(r.ok && r.info, {
    name: 'fw',
    user: 'svc',
    roles: ['web', 'batch'],
    failoverTimeoutMs: 604_800_500,
    checkpoint: true,
    capabilities: ['MULTI_ROLE', 'PARTITION_AWARE'],
    hostname: 'h',
    principal: 'p',
    webuiUrl: 'http://h:8080',
    labels: { team: 'a' },
  });
  assert.is(r.ok && r.id, `${M}-0001`);
});

test('frameworkInfoFromMesos: the single role of older frameworks, and the defaults', () => {
  const r = fwInfo({ user: 'u', name: 'n', role: 'web' });
  assert.ok(r.ok && r.info.roles.length === 1 && r.info.roles[0] === 'web');
  const d = fwInfo({ user: 'u', name: 'n' });
  if (!d.ok) assert.unreachable(d.error);
  assert.equal(d.ok && d.info, { name: 'n', user: 'u', roles: ['*'], failoverTimeoutMs: 0, checkpoint: false, capabilities: [] });
  assert.is(d.ok && d.id, undefined);
  const empty = fwInfo({ user: 'u', name: 'n', capabilities: [{ type: 'MULTI_ROLE' }] });
  assert.ok(empty.ok && empty.info.roles[0] === '*');
  const neg = fwInfo({ user: 'u', name: 'n', failover_timeout: -5 });
  assert.ok(!neg.ok && /must not be negative/.test(neg.error), 'a negative failover_timeout is refused (Mesos took it as 0)');
});

test('frameworkInfoFromMesos: the master\'s checks', () => {
  const why = (json: unknown): string => {
    const r = fwInfo(json);
    return r.ok ? '' : r.error;
  };
  assert.match(why({ user: 'u', name: 'n', roles: ['web'] }), /'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable/);
  assert.match(
    why({ user: 'u', name: 'n', role: 'web', capabilities: [{ type: 'MULTI_ROLE' }] }),
    /'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable/,
  );
  assert.match(why({ user: 'u', name: 'n', roles: ['a', 'a'], capabilities: [{ type: 'MULTI_ROLE' }] }), /duplicate items: a/);
  assert.match(why({ user: 'u', name: 'n', roles: ['a b'], capabilities: [{ type: 'MULTI_ROLE' }] }), /invalid role/);
  assert.match(why({ user: 'u', name: 'n', role: '../x' }), /is not a valid role/);
  assert.match(why({ user: 'u', name: 'n', failover_timeout: 'Infinity' }), /failover_timeout \(Infinity\) is invalid/);
  assert.match(why({ user: 'u', name: 'n', failover_timeout: 1e12 }), /is invalid/);
  assert.match(why({ user: 'u', name: 'n', id: { value: 'has/slash' } }), /'FrameworkInfo.id'/);
  assert.match(why({ user: '', name: 'n' }), /invalid FrameworkInfo: user/);
});

test('subscribeFromMesos: suppressed roles must be roles of the framework', () => {
  const framework_info = parsed(MesosFrameworkInfo, { user: 'u', name: 'n', roles: ['web', 'batch'], capabilities: [{ type: 'MULTI_ROLE' }] });
  const good = subscribeFromMesos({ framework_info, suppressed_roles: ['batch'] });
  assert.ok(good.ok);
  if (good.ok) assert.equal(good.suppressedRoles, ['batch']);
  const badSub = subscribeFromMesos({ framework_info, suppressed_roles: ['ops'] });
  assert.ok(!badSub.ok && /Suppressed roles \{ ops \} are not contained in the set of roles/.test(badSub.error));
});

test('frameworkInfoToMesos: roles for MULTI_ROLE, role otherwise; round trip', () => {
  const multi = fwInfo({
    user: 'u',
    name: 'n',
    roles: ['web'],
    capabilities: [{ type: 'MULTI_ROLE' }],
    failover_timeout: 60,
    labels: { labels: [{ key: 'k', value: 'v' }] },
  });
  if (!multi.ok) assert.unreachable(multi.error);
  if (multi.ok) {
    const json = frameworkInfoToMesos(multi.info, 'fw-1');
    assert.equal(json, {
      user: 'u',
      name: 'n',
      id: { value: 'fw-1' },
      failover_timeout: 60,
      checkpoint: false,
      roles: ['web'],
      capabilities: [{ type: 'MULTI_ROLE' }],
      labels: { labels: [{ key: 'k', value: 'v' }] },
    });
    const back = fwInfo(JSON.parse(JSON.stringify(json)));
    assert.ok(back.ok);
    if (back.ok) assert.equal(back.info, multi.info);
  }
  const single = fwInfo({ user: 'u', name: 'n', role: 'web' });
  if (single.ok) {
    const json = frameworkInfoToMesos(single.info, 'fw-2');
    assert.is(json.role, 'web');
    assert.not.ok('roles' in json);
    assert.not.ok('capabilities' in json);
  }
});


// ---------------------------------------------------------------------------------------------
// Health checks and checks (TaskInfo.health_check, TaskInfo.check)

const hcTask = (health_check: unknown) => taskInfoFromMesos(parsed(MesosTaskInfo, taskJson({ health_check })));
const ckTask = (check: unknown) => taskInfoFromMesos(parsed(MesosTaskInfo, taskJson({ check })));

test('health_check: Mesos JSON becomes ours (seconds → ms, Mesos defaults for what is not given)', () => {
  const r = hcTask({
    type: 'HTTP',
    http: { port: 8080, path: '/health', scheme: 'http', statuses: [200] },
    delay_seconds: 0.5,
    interval_seconds: '2',
    timeout_seconds: 1.25,
    consecutive_failures: 5,
    grace_period_seconds: 30,
  });
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.task.healthCheck, {
    type: 'HTTP',
    http: { port: 8080, path: '/health', scheme: 'http', protocol: 'IPv4' },
    delayMs: 500,
    intervalMs: 2000,
    timeoutMs: 1250,
    consecutiveFailures: 5,
    gracePeriodMs: 30_000,
  });
  const d = hcTask({ type: 'TCP', tcp: { port: 9000, protocol: 'IPv6' } });
  assert.ok(d.ok);
  if (!d.ok) return;
  assert.equal(d.task.healthCheck, { type: 'TCP', tcp: { port: 9000, protocol: 'IPv6' }, delayMs: 15_000, intervalMs: 10_000, timeoutMs: 20_000, consecutiveFailures: 3, gracePeriodMs: 10_000 });
  const c = hcTask({ type: 'COMMAND', command: { value: 'test -f ready', environment: { variables: [{ name: 'X', value: '1' }] }, user: 'ignored', uris: [{ value: 'ignored' }] } });
  assert.ok(c.ok && c.task.healthCheck?.command?.value === 'test -f ready' && c.task.healthCheck.command.environment?.X === '1' && c.task.healthCheck.command.shell);
});

test('health_check: invalid ones are refused with Mesos\'s validation messages', () => {
  const refused = (hc: unknown, why: string): void => {
    const r = hcTask(hc);
    assert.not.ok(r.ok, JSON.stringify(hc));
    if (!r.ok) assert.is(r.error, `Task uses invalid health check: ${why}`);
  };
  refused({ http: { port: 80 } }, "HealthCheck must specify 'type'");
  refused({ type: 'GRPC', http: { port: 80 } }, "HealthCheck must specify 'type'");
  refused({ type: 'UNKNOWN' }, "'UNKNOWN' is not a valid health check type");
  refused({ type: 'HTTP' }, "Expecting 'http' to be set for HTTP health check");
  refused({ type: 'TCP' }, "Expecting 'tcp' to be set for TCP health check");
  refused({ type: 'HTTP', http: { port: 80, scheme: 'ftp' } }, "Unsupported HTTP health check scheme: 'ftp'");
  refused({ type: 'HTTP', http: { port: 80, path: 'health' } }, "The path 'health' of HTTP health check must start with '/'");
  refused({ type: 'TCP', tcp: { port: 80 }, delay_seconds: -1 }, "Expecting 'delay_seconds' to be non-negative");
  refused({ type: 'TCP', tcp: { port: 80 }, grace_period_seconds: -0.5 }, "Expecting 'grace_period_seconds' to be non-negative");
  refused({ type: 'TCP', tcp: { port: 80 }, timeout_seconds: 'Infinity' }, "'timeout_seconds' is too large (at most 100 years)");
  refused({ type: 'TCP', tcp: { port: 0 } }, 'the port of a TCP health check must be between 1 and 65535 (got 0)');
  refused({ type: 'HTTP', http: { port: 70000 } }, 'the port of an HTTP health check must be between 1 and 65535 (got 70000)');
  refused({ type: 'COMMAND', command: { shell: false } }, "Command health check must contain 'executable path'");
  // A required field missing is a parse error of the Call itself, as for Mesos.
  assert.not.ok(MesosTaskInfo.safeParse(taskJson({ health_check: { type: 'TCP', tcp: {} } })).success);
});

test('check: Mesos CheckInfo becomes ours, and invalid ones are refused as Mesos does', () => {
  const r = ckTask({ type: 'COMMAND', command: { command: { value: 'cat /tmp/state', shell: true } }, delay_seconds: 1, interval_seconds: 3, timeout_seconds: 0 });
  assert.ok(r.ok);
  if (r.ok) assert.equal(r.task.check, { type: 'COMMAND', command: { value: 'cat /tmp/state', shell: true }, delayMs: 1000, intervalMs: 3000, timeoutMs: 0 });
  const h = ckTask({ type: 'HTTP', http: { port: 8080, path: '/status' } });
  assert.ok(h.ok && h.task.check?.http?.port === 8080 && h.task.check.delayMs === 15_000);
  const bad = (c: unknown, why: string): void => {
    const x = ckTask(c);
    assert.ok(!x.ok && x.error === `Task uses invalid check: ${why}`, JSON.stringify(x));
  };
  bad({ command: { command: { value: 'x' } } }, "CheckInfo must specify 'type'");
  bad({ type: 'HTTP' }, "Expecting 'http' to be set for HTTP check");
  bad({ type: 'HTTP', http: { port: 1, path: 'x' } }, "The path 'x' of HTTP check must start with '/'");
  bad({ type: 'TCP', tcp: { port: 1 }, interval_seconds: -3 }, "Expecting 'interval_seconds' to be non-negative");
});

test('health_check and check back to Mesos JSON (the master\'s and agent\'s state): defaults written out, proto order', () => {
  const r = hcTask({ type: 'HTTP', http: { port: 8080, path: '/health' }, interval_seconds: 5 });
  assert.ok(r.ok);
  if (!r.ok) return;
  const out = healthCheckToMesos(r.task.healthCheck!);
  assert.equal(out, {
    http: { port: 8080, path: '/health', protocol: 'IPv4' },
    delay_seconds: 15,
    interval_seconds: 5,
    timeout_seconds: 20,
    consecutive_failures: 3,
    grace_period_seconds: 10,
    type: 'HTTP',
  });
  assert.equal(Object.keys(out), ['http', 'delay_seconds', 'interval_seconds', 'timeout_seconds', 'consecutive_failures', 'grace_period_seconds', 'type']);
  // What comes out reads back in as the same thing.
  const again = hcTask(out);
  assert.ok(again.ok && JSON.stringify(again.task.healthCheck) === JSON.stringify(r.task.healthCheck));
  const c = ckTask({ type: 'COMMAND', command: { command: { value: 'true', environment: { variables: [{ name: 'A', value: 'b' }] } } } });
  assert.ok(c.ok);
  if (c.ok) {
    assert.equal(checkToMesos(c.task.check!), {
      type: 'COMMAND',
      command: { command: { environment: { variables: [{ name: 'A', type: 'VALUE', value: 'b' }] }, shell: true, value: 'true' } },
      delay_seconds: 15,
      interval_seconds: 10,
      timeout_seconds: 20,
    });
  }
  assert.equal(checkStatusToMesos({ type: 'COMMAND', command: { exitCode: 0 } }), { type: 'COMMAND', command: { exit_code: 0 } });
  assert.equal(checkStatusToMesos({ type: 'TCP', tcp: { succeeded: false } }), { type: 'TCP', tcp: { succeeded: false } });
});

test.run();
