/**
 * The pieces of `mesos replay` that need no NATS: points of history, subject filters, the CSV and
 * JSON Lines formats and reading them back, diffs, fold-aware timelines, touches, the progress bar.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ClusterEvent, encode, subjectFor, taskKey, EVENT_TYPES } from '../../events/index.js';
import { cloneState } from '../../kernel/core/state.js';
import {
  DiffTrail,
  ReplayError,
  TimelineCollector,
  csvLine,
  describe,
  diffStates,
  jsonlLine,
  parsePoint,
  readExportFile,
  renderDiff,
  startProgress,
  subjectMatcher,
  touches,
  type Entry,
} from '../../replay/index.js';
import { accepted, ack, agentRegistered, agentRemoved, frameworkSubscribed, given, leaderElected, offersCreated, owed, resetIds, sent, status, when } from '../helpers/events.js';
import { sampleEvents } from '../helpers/samples.js';

test.before.each(() => resetIds());

const entry = (seq: number, e: ClusterEvent): Entry => {
  const data = encode(e);
  return { seq, subject: subjectFor(e), storedAt: 1_800_000_000_000 + seq, data, decoded: { ok: true, event: e } };
};

test('points: sequences, times with a zone, ms, head; anything else is a clear BAD_POINT', () => {
  assert.equal(parsePoint('1234', 'at'), { kind: 'seq', seq: 1234, text: '1234' });
  assert.equal(parsePoint('seq:0', 'at'), { kind: 'seq', seq: 0, text: 'seq:0' });
  assert.equal(parsePoint('ms:1764576000000', 'at'), { kind: 'time', ms: 1764576000000, text: 'ms:1764576000000' });
  assert.equal(parsePoint('1764576000000', 'at'), { kind: 'time', ms: 1764576000000, text: '1764576000000' });
  assert.equal(parsePoint('2026-12-01T08:00:00Z', 'at').kind, 'time');
  assert.is((parsePoint('2026-12-01T09:00:00+01:00', 'at') as { ms: number }).ms, Date.parse('2026-12-01T08:00:00Z'));
  assert.is((parsePoint('2026-12-01', 'from') as { ms: number }).ms, Date.parse('2026-12-01T00:00:00Z'));
  assert.equal(parsePoint('head', 'to'), { kind: 'head', text: 'head' });
  for (const [bad, why] of [
    ['yesterday', /not a sequence or a time/],
    ['-1', /negative/],
    ['2026-12-01T08:00:00', /needs a zone/],
    ['2026-13-45T08:00:00Z', /not a valid ISO 8601 time/],
    ['seq:x', /needs a whole number/],
    ['99999999999999999999', /too large/],
  ] as const) {
    try {
      parsePoint(bad, 'at');
      assert.unreachable(bad);
    } catch (e) {
      assert.instance(e, ReplayError);
      assert.is((e as ReplayError).code, 'BAD_POINT');
      assert.match((e as Error).message, why);
      assert.match((e as Error).message, /^--at /);
    }
  }
});

test('subject filters match as NATS does (* one token, > the rest)', () => {
  const m = subjectMatcher(['cl.agent.a1.>', 'cl.agent.*.status.fw1', 'cl.sys.leader']);
  assert.ok(m('cl.agent.a1.registered'));
  assert.ok(m('cl.agent.a1.status.fw9'));
  assert.ok(m('cl.agent.a2.status.fw1'));
  assert.ok(m('cl.sys.leader'));
  assert.not.ok(m('cl.agent.a1'));
  assert.not.ok(m('cl.agent.a2.registered'));
  assert.not.ok(m('cl.sys.leader.x'));
});

test('every event type has a one-line description', () => {
  for (const e of sampleEvents()) {
    const d = describe(e);
    assert.ok(d.length > 10 && !d.includes('\n'), `${e.type}: ${d}`);
  }
  assert.is(new Set(sampleEvents().map((e) => e.type)).size, EVENT_TYPES.length);
});

test('CSV: RFC 4180 quoting; a malformed message keeps its raw text', () => {
  const e = status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't,1', state: 'FAILED', uuid: 'u', message: 'said "no"\nthen left' });
  const line = csvLine(entry(7, e));
  const cols = parseCsvRecord(line);
  assert.is(cols.length, 13);
  assert.equal(cols.slice(0, 1), ['7']);
  assert.equal(cols.slice(3, 5), ['TaskStatusUpdated', '1']);
  assert.equal(cols.slice(9, 11), ['t,1', 'TASK_FAILED']);
  assert.match(cols[11]!, /"said "no"\nthen left"/, 'the summary keeps the message, newline and quotes');
  assert.equal(JSON.parse(cols[12]!), e, 'the event column is the event as JSON');
  const bad: Entry = { seq: 8, subject: 'cl.fw.x.accepted', storedAt: 0, data: new TextEncoder().encode('oops, "quoted"'), decoded: { ok: false, error: { code: 'NOT_JSON', message: 'the message is not JSON' } as never } };
  assert.match(csvLine(bad), /^8,1970-01-01T00:00:00.000Z,cl.fw.x.accepted,,,,,,,,,malformed: NOT_JSON: the message is not JSON,"oops, ""quoted"""$/);
});

/** One CSV record (RFC 4180: quoted fields may hold commas, doubled quotes and newlines). */
function parseCsvRecord(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= text.length) {
    if (text[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') (v += '"'), (i += 2);
        else if (text[i] === '"') {
          i++;
          break;
        } else v += text[i++];
      }
      out.push(v);
      i++; // the comma
    } else {
      const j = text.indexOf(',', i);
      out.push(text.slice(i, j === -1 ? text.length : j));
      i = j === -1 ? text.length + 1 : j + 1;
    }
  }
  return out;
}

test('JSON Lines round trip: decoded, raw, malformed; bad files are refused with the line number', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-parts-'));
  try {
    const events = [leaderElected(1), agentRegistered({ agentId: 'a1' })];
    const lines = [jsonlLine(entry(1, events[0]!)), jsonlLine(entry(2, events[1]!), { raw: true })];
    const notJson: Entry = { seq: 3, subject: 'cl.fw.f.accepted', storedAt: 5, data: new Uint8Array([0xff, 0xfe, 0x00]), decoded: { ok: false, error: { code: 'NOT_JSON', message: 'the message is not JSON' } as never } };
    lines.push(jsonlLine(notJson));
    const file = join(dir, 'a.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const back = await readExportFile(file);
    assert.equal(back.map((b) => b.seq), [1, 2, 3]);
    assert.ok(back[0]!.decoded.ok && back[1]!.decoded.ok);
    assert.is(back[2]!.decoded.ok, false);
    assert.equal([...back[2]!.data], [0xff, 0xfe, 0x00], 'a message that is not UTF-8 survives as base64');
    assert.equal(back.map((b) => jsonlLine(b, { raw: b.seq === 2 })), lines);
    const cases: Array<[string, RegExp]> = [
      ['{"seq":1,"subject":"s","storedAt":1}', /:1: no "event", "data", "text" or "base64"/],
      ['not json', /:1: not JSON/],
      [`${lines[1]}\n${lines[0]}`, /:2: sequence 1 after 2: the lines are not in log order/],
      ['{"subject":"s","storedAt":1,"data":{}}', /:1: no sequence number/],
    ];
    for (const [text, re] of cases) {
      writeFileSync(file, text);
      try {
        await readExportFile(file);
        assert.unreachable(text);
      } catch (e) {
        assert.is((e as ReplayError).code, 'BAD_FILE');
        assert.match((e as Error).message, re);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** An agent, a framework, a task that runs; then the agent is removed (the task becomes unreachable). */
function history(): ClusterEvent[] {
  const events: ClusterEvent[] = [
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1', capabilities: ['PARTITION_AWARE'] }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    accepted({ id: 'acc1', frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:128' }] }),
  ];
  events.push(sent(owed(given(...events), 'LaunchTasks')[0]!, 1));
  events.push(status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u1' }));
  events.push(ack({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', uuid: 'u1' }));
  events.push(agentRemoved({ agentId: 'a1' }));
  return events;
}

test('touches: what an event names, and what it reaches through the state', () => {
  const events = history();
  const before = given(...events.slice(0, 8));
  const t = touches(before, events[8]!); // the agent removal
  assert.is(t.agents.get('a1' as never), true);
  assert.is(t.tasks.get(taskKey('fw1' as never, 't1' as never)), false, 'the task is reached through the agent');
  const s = touches(before, events[6]!); // the status update
  assert.is(s.tasks.get(taskKey('fw1' as never, 't1' as never)), true);
});

test('a fold-aware timeline shows the removal that made a task unreachable, with what it did', () => {
  const events = history();
  const c = new TimelineCollector({ kind: 'task', taskId: 't1' });
  let s = given();
  events.forEach((e, i) => {
    c.before(entry(i + 1, e), s);
    s = when(s, e);
    c.after(entry(i + 1, e), s);
  });
  assert.equal(c.lines.map((l) => [l.seq, l.type, l.direct]), [
    [5, 'OffersAccepted', true],
    [6, 'LaunchTasks', true],
    [7, 'TaskStatusUpdated', true],
    [8, 'StatusAcknowledged', true],
    [9, 'AgentRemoved', false],
  ]);
  assert.equal(c.lines[4]!.effects, ['state TASK_RUNNING → TASK_UNREACHABLE', 'its resources released']);
  assert.equal(c.lines[0]!.effects, ['created: TASK_STAGING on agent a1']);
  // A stale decision that names the agent is on its timeline, marked ignored.
  const agent = new TimelineCollector({ kind: 'agent', agentId: 'a1' });
  const stale = offersCreated({ frameworkId: 'fw1', offerId: 'o9', agentId: 'a1', resources: 'cpus:1', epoch: 7 });
  let s2 = given(...events.slice(0, 4));
  agent.before(entry(10, stale), s2);
  s2 = when(s2, stale);
  agent.after(entry(10, stale), s2);
  assert.match(agent.lines[0]!.ignored ?? '', /ignored: a decision of epoch 7 while epoch 1 leads/);
});

test('diff: launched tasks with every state they went through, agents and roles that changed', () => {
  const events = history();
  const a = given(...events.slice(0, 4));
  const before = cloneState(a);
  const trail = new DiffTrail(before);
  let s = a;
  for (const e of events.slice(4)) {
    trail.before(s, e);
    s = when(s, e);
    trail.after(s);
  }
  const d = diffStates(before, s, trail, 1);
  assert.equal(d.tasks.launched.map((t) => [t.taskId, t.states]), [['t1', ['TASK_STAGING', 'TASK_RUNNING', 'TASK_UNREACHABLE']]]);
  assert.is(d.agents.changed[0]?.status?.to, 'REMOVED');
  assert.is(d.events.total, 6);
  assert.is(d.events.malformed, 1);
  assert.is(d.offers.accepted, 1);
  const text = renderDiff(d, 'From seq 4 to seq 9');
  assert.match(text, /\+ fw1\/t1 on a1 \(cpus:1;mem:128\): TASK_STAGING → TASK_RUNNING → TASK_UNREACHABLE/);
  assert.match(text, /~ a1 \(a1.local\): status ACTIVE → REMOVED; offered cpus:4;mem:4096 → \(none\)/);
});

test('progress: a bar on a terminal, redrawn at most ten times a second and erased; nothing elsewhere', async () => {
  const written: string[] = [];
  const tty = { isTTY: true, columns: 100, write: (s: string) => void written.push(s) };
  const p = startProgress(tty, { label: 'folding', from: 1, to: 1_000_000 });
  const t0 = performance.now();
  let seq = 0;
  while (performance.now() - t0 < 350) for (let i = 0; i < 5000; i++) p.tick(++seq);
  const r = p.done();
  assert.is(r.events, seq);
  const bars = written.filter((w) => w.startsWith('\rfolding ['));
  assert.ok(bars.length >= 2 && bars.length <= 5, `${bars.length} redraws in 350 ms`);
  assert.match(bars[0]!, /\d+\.\d%  [\d,]+\/1,000,000  [\d,]+ events\/s/);
  assert.is(written.at(-1), '\r\u001b[K', 'erased at the end');
  const pipe: string[] = [];
  const q = startProgress({ isTTY: false, write: (s: string) => void pipe.push(s) }, { label: 'x', from: 1, to: 10 });
  for (let i = 1; i <= 5000; i++) q.tick(i);
  q.done();
  assert.equal(pipe, []);
});

test.run();
