import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CodecError,
  CodecStats,
  decode,
  encode,
  EVENT_TYPES,
  EVENT_VERSIONS,
  UPCASTERS,
  subjectFor,
  subjects,
  validate,
} from '../../events/index.js';
import {
  accepted,
  agentDisconnected,
  agentRegistered,
  declined,
  leaderElected,
  resetIds,
  status,
} from '../helpers/events.js';
import { registryProblems } from '../../events/upcasters.js';
import { sampleEvents } from '../helpers/samples.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const json = (o: unknown): Uint8Array => bytes(JSON.stringify(o));

test.before.each(() => resetIds());

const samples = sampleEvents;

test('the samples cover every event type', () => {
  const types = new Set(samples().map((e) => e.type));
  assert.equal([...types].sort(), [...EVENT_TYPES].sort());
});

test('encode → decode round trip for every event type (on its own subject, too)', () => {
  for (const e of samples()) {
    const d = decode(encode(e));
    assert.ok(d.ok, `${e.type} decodes`);
    if (d.ok) assert.equal(d.event, e, `${e.type} round trips`);
    const onSubject = decode(encode(e), subjectFor(e));
    assert.ok(onSubject.ok, `${e.type} decodes on ${subjectFor(e)}`);
  }
});

test('encode applies schema defaults (validated input form)', () => {
  const input = {
    type: 'FrameworkSubscribed' as const,
    schemaVersion: 1 as const,
    id: 'x1',
    time: 10,
    frameworkId: 'fw1',
    info: { name: 'n', user: 'u' },
  };
  const d = decode(encode(input));
  assert.ok(d.ok);
  if (!d.ok || d.event.type !== 'FrameworkSubscribed') throw new Error('wrong event');
  assert.equal(d.event.info.roles, ['*']);
  assert.is(d.event.info.failoverTimeoutMs, 0);
  assert.is(d.event.info.checkpoint, false);
  assert.equal(d.event.info.capabilities, []);
  assert.equal(d.event, validate(input));
});

function rejects(data: Uint8Array, code: string, subject?: string): CodecError {
  let d: ReturnType<typeof decode> | undefined;
  try {
    d = decode(data, subject);
  } catch (e) {
    assert.unreachable(`decode threw ${String(e)}`);
  }
  assert.ok(d !== undefined && !d.ok, 'decode must return ok:false');
  if (d === undefined || d.ok) throw new Error('unreachable');
  assert.instance(d.error, CodecError);
  assert.is(d.error.code, code);
  assert.type(d.error.message, 'string');
  assert.ok(d.error.message.length > 0);
  return d.error;
}

test('decode: non-JSON bytes → NOT_JSON', () => {
  rejects(bytes('not json {'), 'NOT_JSON');
  rejects(new Uint8Array([0xff, 0xfe, 0x00, 0x81]), 'NOT_JSON');
  rejects(new Uint8Array([]), 'NOT_JSON');
});

test('decode: JSON without a string type → NOT_AN_EVENT', () => {
  rejects(json({ schemaVersion: 1, id: 'x', time: 1 }), 'NOT_AN_EVENT');
  rejects(json({ type: 7, schemaVersion: 1 }), 'NOT_AN_EVENT');
  rejects(json(null), 'NOT_AN_EVENT');
  rejects(json('AgentRegistered'), 'NOT_AN_EVENT');
  rejects(json(42), 'NOT_AN_EVENT');
  rejects(json([]), 'NOT_AN_EVENT');
});

test('decode: unknown schemaVersion → UNKNOWN_SCHEMA_VERSION', () => {
  const e = { ...(agentDisconnected({ agentId: 'a1' }) as object) };
  const err = rejects(json({ ...e, schemaVersion: 2 }), 'UNKNOWN_SCHEMA_VERSION');
  assert.match(err.message, /2/);
  rejects(json({ ...e, schemaVersion: 0 }), 'UNKNOWN_SCHEMA_VERSION');
  rejects(json({ ...e, schemaVersion: '1' }), 'UNKNOWN_SCHEMA_VERSION');
  rejects(json({ ...e, schemaVersion: 1.5 }), 'UNKNOWN_SCHEMA_VERSION');
  const { schemaVersion: _drop, ...without } = e as { schemaVersion: number };
  rejects(json(without), 'UNKNOWN_SCHEMA_VERSION');
});

test('decode: a version newer than the type\'s current one → UNKNOWN_SCHEMA_VERSION naming the versions read', () => {
  const d = { ...(declined({ frameworkId: 'fw1', offerIds: ['o1'] }) as object) };
  const err = rejects(json({ ...d, schemaVersion: 3 }), 'UNKNOWN_SCHEMA_VERSION');
  assert.match(err.message, /OffersDeclined versions 1\.\.2/);
});

test('upcasting: a version-1 OffersDeclined/OffersAccepted (as recorded before filters were explicit) decodes to version 2 once', () => {
  // As a v1 publisher wrote them (the shapes are taken from a log written before the change).
  const v1Decline = { type: 'OffersDeclined', schemaVersion: 1, id: 'd1', time: 5, frameworkId: 'fw1', offerIds: ['o1'], refuseSeconds: 30 };
  const v1DeclineDefault = { type: 'OffersDeclined', schemaVersion: 1, id: 'd2', time: 5, frameworkId: 'fw1', offerIds: ['o1'] };
  const v1DeclineNegative = { ...v1DeclineDefault, id: 'd3', refuseSeconds: -1 };
  const v1DeclineHuge = { ...v1DeclineDefault, id: 'd4', refuseSeconds: 1e12 };
  const v1Accept = {
    type: 'OffersAccepted',
    schemaVersion: 1,
    id: 'a1',
    time: 6,
    frameworkId: 'fw1',
    offerIds: ['o1'],
    operations: [{ type: 'LAUNCH', tasks: [{ taskId: 't1', name: 't1', agentId: 'a1', resources: [{ name: 'cpus', type: 'SCALAR', scalar: 1 }], command: { value: 'true' } }] }],
  };
  const expect = (raw: object, refuseSeconds: number): void => {
    const d = decode(json(raw), 'cl.fw.fw1.' + ((raw as { type: string }).type === 'OffersDeclined' ? 'declined' : 'accepted'));
    assert.ok(d.ok, d.ok ? '' : d.error.message);
    if (!d.ok) return;
    assert.is(d.event.schemaVersion, 2);
    assert.equal((d.event as { filters: unknown }).filters, { refuseSeconds });
    assert.not.ok('refuseSeconds' in d.event, 'the v1 field is gone');
    // Upcast once: the decoded event is current, so encoding and decoding it again changes nothing.
    const again = decode(encode(d.event));
    assert.ok(again.ok);
    if (again.ok) assert.equal(again.event, d.event);
  };
  expect(v1Decline, 30);
  expect(v1DeclineDefault, 5);
  expect(v1DeclineNegative, 5);
  expect(v1DeclineHuge, 365 * 24 * 3600);
  expect(v1Accept, 5);
  // An invalid v1 event is not repaired by the upcast.
  rejects(json({ ...v1DeclineDefault, refuseSeconds: 'soon' }), 'SCHEMA_VIOLATION');
  // A v2 event must carry its filter.
  rejects(json({ ...v1DeclineDefault, schemaVersion: 2 }), 'SCHEMA_VIOLATION');
});

test('upcasting: the registry covers every version step of every type', () => {
  assert.equal(registryProblems(), []);
  for (const t of EVENT_TYPES) {
    const v = EVENT_VERSIONS[t];
    assert.ok(v >= 1);
    for (let from = 1; from < v; from++) assert.ok(UPCASTERS.some((u) => u.type === t && u.from === from), `${t} has an upcaster from ${from}`);
  }
  assert.is(EVENT_VERSIONS.OffersDeclined, 2);
  assert.is(EVENT_VERSIONS.AgentRegistered, 1);
});

test('decode: schema violations → SCHEMA_VIOLATION (negative cpus, agent id with a dot, unknown type, missing field)', () => {
  const reg = agentRegistered({ agentId: 'a1' });
  const negative = { ...reg, resources: [{ name: 'cpus', type: 'SCALAR', scalar: -1 }] };
  const err = rejects(json(negative), 'SCHEMA_VIOLATION');
  assert.match(err.message, /AgentRegistered/);
  assert.match(err.message, /resources/);
  rejects(json({ ...reg, agentId: 'a.1' }), 'SCHEMA_VIOLATION');
  rejects(json({ ...reg, agentId: '' }), 'SCHEMA_VIOLATION');
  rejects(json({ ...reg, type: 'NoSuchEvent' }), 'SCHEMA_VIOLATION');
  const { hostname: _h, ...noHost } = reg;
  rejects(json(noHost), 'SCHEMA_VIOLATION');
  rejects(json({ ...reg, time: -5 }), 'SCHEMA_VIOLATION');
  rejects(json({ ...reg, resources: [{ name: 'ports', type: 'RANGES', ranges: [[10, 5]] }] }), 'SCHEMA_VIOLATION');
  // A decision without an epoch is not a decision.
  const { epoch: _e, ...noEpoch } = leaderElected(2);
  rejects(json(noEpoch), 'SCHEMA_VIOLATION');
  // An accept for no offers.
  rejects(json({ ...accepted({ frameworkId: 'fw1', offerIds: ['o1'] }), offerIds: [] }), 'SCHEMA_VIOLATION');
});

test('decode: an event on the wrong subject → WRONG_SUBJECT', () => {
  const s = status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u1' });
  const data = encode(s);
  assert.ok(decode(data, 'cl.agent.a1.status.fw1').ok);
  // Agent a2 reporting a status of a task on a1.
  const err = rejects(data, 'WRONG_SUBJECT', 'cl.agent.a2.status.fw1');
  assert.match(err.message, /cl\.agent\.a2\.status\.fw1/);
  assert.match(err.message, /cl\.agent\.a1\.status\.fw1/);
  // The status of another framework's task.
  rejects(data, 'WRONG_SUBJECT', 'cl.agent.a1.status.fw2');
  // A framework calling as another.
  rejects(encode(declined({ frameworkId: 'fw1', offerIds: ['o1'] })), 'WRONG_SUBJECT', 'cl.fw.fw2.declined');
  // A framework cannot forge a leader decision on its own call subject.
  rejects(encode(leaderElected(9)), 'WRONG_SUBJECT', 'cl.fw.fw1.subscribed');
});

test('decode never throws on arbitrary input', () => {
  const inputs = ['', '{', '{}', '[]', 'true', '"x"', '{"type":"LaunchTasks"}', '{"type":"LaunchTasks","schemaVersion":1}', '\u0000'];
  for (const s of inputs) {
    const d = decode(bytes(s), 'cl.x');
    assert.is(d.ok, false, s);
  }
});

test('encode throws CodecError INVALID_EVENT for an invalid event', () => {
  const bad = { ...agentRegistered({ agentId: 'a1' }), resources: [{ name: 'cpus', type: 'SCALAR', scalar: -1 }] };
  try {
    encode(bad as never);
    assert.unreachable('encode must throw');
  } catch (e) {
    assert.instance(e, CodecError);
    assert.is((e as CodecError).code, 'INVALID_EVENT');
    assert.match((e as CodecError).message, /AgentRegistered/);
    assert.ok((e as CodecError).cause !== undefined, 'the zod error is the cause');
  }
  try {
    validate({ type: 'LeaderElected', schemaVersion: 1, id: 'x', time: 0, epoch: 0, masterId: 'm', hostname: 'h', ip: '127.0.0.1', port: 1 });
    assert.unreachable('validate must throw');
  } catch (e) {
    assert.instance(e, CodecError);
    assert.is((e as CodecError).code, 'INVALID_EVENT');
  }
});

test('CodecStats counts decoded and malformed by code', () => {
  const stats = new CodecStats();
  const good = encode(agentDisconnected({ agentId: 'a1' }));
  stats.record(decode(good));
  stats.record(decode(good));
  stats.record(decode(bytes('nope')));
  stats.record(decode(json({})));
  stats.record(decode(bytes('nope')));
  stats.record(decode(good, 'cl.agent.a2.disconnected'));
  assert.is(stats.decoded, 2);
  assert.is(stats.malformed, 4);
  assert.is(stats.byCode.get('NOT_JSON'), 2);
  assert.is(stats.byCode.get('NOT_AN_EVENT'), 1);
  assert.is(stats.byCode.get('WRONG_SUBJECT'), 1);
  assert.is(stats.byCode.get('SCHEMA_VIOLATION'), undefined);
});

test('subjectFor: every event type has a subject under cl.', () => {
  const expected: Record<string, string> = {
    AgentRegistered: 'cl.agent.a1.registered',
    AgentReregistered: 'cl.agent.a1.reregistered',
    AgentDisconnected: 'cl.agent.a1.disconnected',
    FrameworkSubscribed: 'cl.fw.fw1.subscribed',
    OffersAccepted: 'cl.fw.fw1.accepted',
    OffersDeclined: 'cl.fw.fw1.declined',
    TaskKillRequested: 'cl.fw.fw1.kill',
    StatusAcknowledged: 'cl.fw.fw1.acknowledged',
    OffersRevived: 'cl.fw.fw1.revived',
    OffersSuppressed: 'cl.fw.fw1.suppressed',
    FrameworkDisconnected: 'cl.tell.fw1.disconnected',
    LeaderElected: 'cl.sys.leader',
    OffersCreated: 'cl.tell.fw1.offers',
    OffersRescinded: 'cl.tell.fw1.rescind',
    AcceptRefused: 'cl.tell.fw1.refused',
    LaunchTasks: 'cl.cmd.a1.launch',
    KillTask: 'cl.cmd.a1.kill',
    FrameworkMessageSent: 'cl.fw.fw1.message',
    DeliverFrameworkMessage: 'cl.cmd.a1.message',
    ExecutorMessageSent: 'cl.agent.a1.message.fw1',
    ExecutorExited: 'cl.agent.a1.exited.fw1',
    AgentRemoved: 'cl.sys.agent-removed',
    WeightsUpdated: 'cl.sys.weights',
    QuotaUpdated: 'cl.sys.quota',
    AllocatorConfigured: 'cl.sys.allocator',
    ResourcesReserved: 'cl.sys.reservation',
    ResourcesUnreserved: 'cl.sys.reservation',
    VolumesCreated: 'cl.sys.volumes',
    VolumesDestroyed: 'cl.sys.volumes',
    MaintenanceScheduleUpdated: 'cl.sys.maintenance',
    MaintenanceStarted: 'cl.sys.maintenance',
    MaintenanceStopped: 'cl.sys.maintenance',
    AgentDrainStarted: 'cl.sys.agent-admin',
    AgentDeactivated: 'cl.sys.agent-admin',
    AgentReactivated: 'cl.sys.agent-admin',
    InverseOffersCreated: 'cl.tell.fw1.inverse-offers',
    InverseOffersRescinded: 'cl.tell.fw1.inverse-rescind',
    InverseOffersAccepted: 'cl.fw.fw1.inverse-accepted',
    InverseOffersDeclined: 'cl.fw.fw1.inverse-declined',
    ResourcesRequested: 'cl.fw.fw1.request',
    DemandUnmet: 'cl.tell.fw1.pending',
  };
  const seen = new Set<string>();
  for (const e of samples()) {
    const subject = subjectFor(e);
    assert.ok(subject.startsWith('cl.'), `${e.type}: ${subject}`);
    assert.not.match(subject, /\.\./);
    assert.not.match(subject, /[\s*>]/);
    seen.add(e.type);
    if (e.type === 'TaskStatusUpdated') {
      assert.is(subject, e.epoch === undefined ? 'cl.agent.a1.status.fw1' : 'cl.tell.fw1.update');
    } else if (e.type === 'FrameworkRemoved') {
      assert.is(subject, e.epoch === undefined ? 'cl.fw.fw1.teardown' : 'cl.tell.fw1.removed');
    } else {
      assert.is(subject, expected[e.type], e.type);
    }
  }
  assert.is(seen.size, EVENT_TYPES.length);
});

test('subjects: wildcards match the subjects they are meant to', () => {
  assert.is(subjects.all, 'cl.>');
  assert.is(subjects.statusesOf('fw1' as never), 'cl.agent.*.status.fw1');
  assert.is(subjects.commandsOf('a1' as never), 'cl.cmd.a1.>');
  assert.is(subjects.toldTo('fw1' as never), 'cl.tell.fw1.>');
  assert.is(subjects.agentPing('a1' as never), 'live.agent.a1');
});

test.run();
