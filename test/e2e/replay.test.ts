/**
 * `mesos replay` as an auditor runs it, against the log of a real run (test/helpers/live-run.ts:
 * two master processes with a kill -9 failover, agents, frameworks, version-1 events, malformed
 * messages): the state at any moment equals what /master/state said then; timelines, diffs,
 * exports and verify on that log; bad input gets clear errors and exit codes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clusterPart, jsonDifferences } from '../../replay/golden.js';
import { CSV_COLUMNS } from '../../replay/index.js';
import { type LiveRun, runLiveCluster } from '../helpers/live-run.js';
import { withSecureNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';
import { connectBus } from '../../kernel/shell/bus.js';
import { openSnapshotReader } from '../../kernel/shell/master/snapshots.js';

const MESOS = fileURLToPath(new URL('../../cli/mesos.js', import.meta.url));
/** `mesos` as an auditor runs it: with the auditor's credentials (MESOS_CREDS). */
const mesos = (...args: string[]) => spawnSync(process.execPath, [MESOS, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MESOS_CREDS: run.auditorCreds } });
const tmp = mkdtempSync(join(tmpdir(), 'mesos-replay-e2e-'));
let run: LiveRun;

interface StateOut {
  seq: number;
  storedAt: string | null;
  snapshot: number | null;
  malformed: number;
  state: Record<string, unknown>;
}

test.before(async () => {
  const log = pino({ level: process.env.MESOS_TEST_LOG ?? 'silent' });
  run = await runLiveCluster({ log });
  // The leader writes snapshots from a thread of its own (every 25 events here): let it catch up.
  const bus = await connectBus({ servers: run.natsUrl, name: 'e2e-snapshots', log, creds: run.auditorCreds });
  try {
    await waitFor(async () => ((await (await openSnapshotReader(bus, log))?.seqs()) ?? []).some((s) => s >= 50), 'the leader to write snapshots', 30_000, 200);
  } finally {
    await bus.close();
  }
  // The masters and agents stop; the log stays on nats-server for the auditor.
  await run.stopCluster();
});

test.after(async () => {
  await run?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('state --at SEQ equals what /master/state said at that moment, for every moment sampled during the run', () => {
  assert.ok(run.samples.length >= 4);
  for (const s of run.samples) {
    const r = mesos('replay', 'state', '--nats', run.natsUrl, '--at', String(s.seq));
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as StateOut;
    assert.is(out.seq, s.seq);
    const d = jsonDifferences(clusterPart(s.state), clusterPart(out.state));
    assert.equal(d, [], `seq ${s.seq} (${s.label})`);
  }
});

test('state --at TIME resolves to the last event stored by then; a snapshot is used and changes nothing', () => {
  const last = run.samples.at(-1)!;
  const bySeq = JSON.parse(mesos('replay', 'state', '--nats', run.natsUrl, '--at', String(last.seq)).stdout) as StateOut;
  assert.ok(bySeq.storedAt !== null);
  const byTime = mesos('replay', 'state', '--nats', run.natsUrl, '--at', bySeq.storedAt!);
  assert.is(byTime.status, 0, byTime.stderr);
  const t = JSON.parse(byTime.stdout) as StateOut;
  assert.ok(t.seq >= last.seq, `${bySeq.storedAt} resolves to seq ${t.seq}`);
  // The masters wrote snapshots every 25 events: a late point starts from one.
  const snap = JSON.parse(mesos('replay', 'state', '--nats', run.natsUrl, '--at', String(last.seq), '--view', 'projection').stdout) as StateOut;
  const full = JSON.parse(mesos('replay', 'state', '--nats', run.natsUrl, '--at', String(last.seq), '--view', 'projection', '--no-snapshots').stdout) as StateOut;
  assert.ok(snap.snapshot !== null && snap.snapshot > 0, `a snapshot was used (${String(snap.snapshot)})`);
  assert.is(full.snapshot, null);
  assert.equal(snap.state, full.state);
  // Before the first event: the empty state.
  const before = JSON.parse(mesos('replay', 'state', '--nats', run.natsUrl, '--at', '2000-01-01').stdout) as StateOut;
  assert.is(before.seq, 0);
});

test('timeline of a task on the real run: accepted, launched, running, kill asked, killed, acknowledged — with effects', () => {
  const r = mesos('replay', 'timeline', '--nats', run.natsUrl, '--task', 'sleep-1');
  assert.is(r.status, 0, r.stderr);
  const order = [/accepts .*launching sleep-1/, /command #\d+ to agent .*: launch sleep-1/, /task sleep-1 TASK_RUNNING/, /asks to kill sleep-1/, /command #\d+ to agent .*: kill sleep-1/, /task sleep-1 TASK_KILLED/];
  let at = 0;
  for (const re of order) {
    const i = r.stdout.slice(at).search(re);
    assert.ok(i >= 0, `${re} after position ${at} in:\n${r.stdout}`);
    at += i;
  }
  assert.match(r.stdout, /→ created: TASK_STAGING on agent/);
  assert.match(r.stdout, /→ state TASK_RUNNING → TASK_KILLED; its resources released/);
  const json = mesos('replay', 'timeline', '--nats', run.natsUrl, '--task', 'sleep-1', '--json');
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; type: string; effects: string[] });
  assert.ok(lines.length >= 8);
  assert.ok(lines.every((l, i) => i === 0 || l.seq > lines[i - 1]!.seq), 'in log order');
});

test('timeline of an agent: what reached it through the state too; --direct reads only its own subjects', () => {
  const agent = run.agentIds[1]!;
  const full = mesos('replay', 'timeline', '--nats', run.natsUrl, '--agent', agent);
  assert.is(full.status, 0, full.stderr);
  assert.match(full.stdout, /offer\(s\) to/, 'offers of its resources');
  assert.match(full.stdout, /agent .* disconnected/);
  const direct = mesos('replay', 'timeline', '--nats', run.natsUrl, '--agent', agent, '--direct');
  assert.is(direct.status, 0, direct.stderr);
  assert.match(direct.stdout, /direct subjects only/);
  assert.not.match(direct.stdout, /offer\(s\) to/);
  assert.match(direct.stdout, /agent .* disconnected/);
  const fw = mesos('replay', 'timeline', '--nats', run.natsUrl, '--framework', run.legacyFrameworkId, '--direct');
  assert.is(fw.status, 0, fw.stderr);
  assert.match(fw.stdout, /declines .*; filter 1 s/, 'its version-1 decline, upcast');
});

test('diff between two moments of the run names the tasks that changed and the failover', () => {
  const [a, b] = [run.samples[0]!, run.samples[2]!];
  const r = mesos('replay', 'diff', '--nats', run.natsUrl, '--from', String(a.seq), '--to', String(b.seq));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /~ .*\/sleep-1 on .*: TASK_RUNNING → TASK_KILLED/);
  assert.match(r.stdout, /\+ .*\/legacy-1 on .*: TASK_STAGING → .*TASK_FINISHED/);
  assert.match(r.stdout, /Leader: epoch 1 .* → epoch 2/);
  const j = JSON.parse(mesos('replay', 'diff', '--nats', run.natsUrl, '--from', String(a.seq), '--to', String(b.seq), '--json').stdout) as { tasks: { launched: unknown[] }; events: { malformed: number } };
  assert.ok(j.tasks.launched.length >= 2);
  assert.is(j.events.malformed, 2);
});

test('export round trip: the JSON Lines export replays to the same state; CSV has a row per event', () => {
  const file = join(tmp, 'log.jsonl');
  const e = mesos('replay', 'export', '--nats', run.natsUrl, '--raw', '--output', file);
  assert.is(e.status, 0, e.stderr);
  const fromNats = JSON.parse(mesos('replay', 'state', '--nats', run.natsUrl, '--view', 'projection', '--no-snapshots').stdout) as StateOut;
  const fromFile = mesos('replay', 'state', '--file', file, '--view', 'projection');
  assert.is(fromFile.status, 0, fromFile.stderr);
  const f = JSON.parse(fromFile.stdout) as StateOut;
  assert.is(f.seq, fromNats.seq);
  assert.is(f.malformed, 2);
  assert.equal(f.state, fromNats.state);
  // Decoded (not raw) export replays alike.
  const decodedFile = join(tmp, 'decoded.jsonl');
  mesos('replay', 'export', '--nats', run.natsUrl, '--output', decodedFile);
  assert.equal((JSON.parse(mesos('replay', 'state', '--file', decodedFile, '--view', 'projection').stdout) as StateOut).state, fromNats.state);
  const csv = mesos('replay', 'export', '--nats', run.natsUrl, '--format', 'csv');
  assert.is(csv.status, 0, csv.stderr);
  const rows = csv.stdout.trim().split('\n');
  assert.is(rows[0], CSV_COLUMNS.join(','));
  assert.is(readFileSync(file, 'utf8').trim().split('\n').length, fromNats.seq);
  assert.ok(rows.length - 1 >= fromNats.seq, 'a row (or more, for quoted newlines) per event');
  const part = mesos('replay', 'export', '--nats', run.natsUrl, '--from', '10', '--to', '20');
  assert.is(part.stdout.trim().split('\n').length, 10);
});

test('verify on the real run: every invariant holds (exit 0)', () => {
  const r = mesos('replay', 'verify', '--nats', run.natsUrl);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /all invariants hold/);
  assert.match(r.stdout, /\d+ stale decisions/);
  assert.match(r.stderr, /events\/s/);
});

test('bad input: clear errors and exit codes', async () => {
  const cases: Array<[string[], number, RegExp]> = [
    [['replay', 'state', '--nats', run.natsUrl, '--at', 'yesterday'], 2, /--at "yesterday": not a sequence or a time/],
    [['replay', 'state', '--nats', run.natsUrl, '--at', '999999'], 2, /the log ends at seq \d+/],
    [['replay', 'state', '--nats', run.natsUrl, '--at', '2026-01-01T10:00:00'], 2, /a time needs a zone/],
    [['replay', 'state', '--nats', run.natsUrl, '--at', '-3'], 2, /negative/],
    [['replay', 'state', '--nats', run.natsUrl, '--at', '5', '--to', '6'], 2, /--at and --to are the same flag/],
    [['replay', 'diff', '--nats', run.natsUrl, '--from', '20', '--to', '10'], 2, /--from seq 20 is after --to seq 10/],
    [['replay', 'timeline', '--nats', run.natsUrl, '--task', 'no-such-task'], 3, /task no-such-task does not appear in the log/],
    [['replay', 'timeline', '--nats', run.natsUrl, '--agent', 'bad.id'], 2, /--agent "bad.id" is not a valid id/],
    [['replay', 'timeline', '--nats', run.natsUrl], 2, /give one of --task ID/],
    [['replay', 'timeline', '--nats', run.natsUrl, '--task', 'x', '--direct'], 2, /--direct needs --framework/],
    [['replay', 'state', '--nats', 'nats://127.0.0.1:1'], 1, /cannot reach NATS at nats:\/\/127\.0\.0\.1:1/],
    [['replay', 'state'], 2, /give either --nats URL .* or --file PATH/],
    [['replay', 'state', '--file', join(tmp, 'missing.jsonl')], 1, /cannot read .*missing\.jsonl/],
    [['replay', 'export', '--nats', run.natsUrl, '--format', 'csv', '--raw'], 2, /--raw is for --format jsonl/],
    [['replay', 'export', '--nats', run.natsUrl, '--format', 'xml'], 2, /--format must be one of jsonl, csv/],
    [['replay', 'nonsense'], 1, /needs a subcommand: replay state, replay diff, replay verify, replay timeline, replay export/],
  ];
  for (const [args, code, re] of cases) {
    const r = mesos(...args);
    assert.is(r.status, code, `${args.join(' ')} → ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
  }
  // A NATS server without the cluster's log (the auditor of its own operator).
  const empty = await withSecureNats();
  try {
    const r = mesos('replay', 'verify', '--nats', empty.url, '--creds', empty.creds('auditor', 'auditor'));
    assert.is(r.status, 1);
    assert.match(r.stderr, /there is no cluster log \(JetStream stream CLUSTER\)/);
  } finally {
    await empty.stop();
  }
});

test.run();
