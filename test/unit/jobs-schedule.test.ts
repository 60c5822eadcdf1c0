/**
 * The jobs framework's pure parts: ISO 8601 repeating intervals and cron schedules (the next
 * instant, time zones, DST), validation in Chronos's error shape, the plan (epsilon: late or
 * skipped; no overlap unless concurrent; retries), dependent runs after all parents succeeded,
 * and cycles refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobsEvent } from '../../frameworks/jobs/events.js';
import { validateJob } from '../../frameworks/jobs/job.js';
import { planJob } from '../../frameworks/jobs/plan.js';
import { countBetween, firstAtOrAfter, instantAt, nextAfter, parseCron, parseEpsilon, parseIso8601, parsePeriod } from '../../frameworks/jobs/schedule.js';
import { type JobsState, evolve, graphError, initialState, scheduledRunId } from '../../frameworks/jobs/state.js';

const T = (s: string): number => Date.parse(s);
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());
const sched = (text: string, tz?: string) => {
  const s = parseIso8601(text, tz, T('2026-01-01T00:00:00Z'));
  if (!s.ok) throw new Error(s.reason);
  return s.value;
};

test('periods and epsilons: ISO 8601 durations', () => {
  assert.equal(parsePeriod('PT2S'), { ok: true, value: { years: 0, months: 0, days: 0, timeMs: 2000 } });
  assert.equal(parsePeriod('P1Y2M3W4DT5H6M7.5S'), { ok: true, value: { years: 1, months: 2, days: 25, timeMs: ((5 * 60 + 6) * 60 + 7.5) * 1000 } });
  assert.not.ok(parsePeriod('P').ok);
  assert.not.ok(parsePeriod('PT').ok);
  assert.not.ok(parsePeriod('PT0S').ok);
  assert.not.ok(parsePeriod('2S').ok);
  assert.equal(parseEpsilon('PT60S'), { ok: true, value: 60_000 });
  assert.equal(parseEpsilon('P1DT1M'), { ok: true, value: 86_460_000 });
  assert.not.ok(parseEpsilon('P1M').ok, 'a month has no fixed length');
});

test('R[n]/start/period: instants from the start, counted repetitions, the next one after a time', () => {
  const s = sched('R/2026-01-01T00:00:00Z/PT2S');
  assert.is(iso(firstAtOrAfter(s, T('2025-06-01T00:00:00Z'))), '2026-01-01T00:00:00.000Z');
  assert.is(iso(firstAtOrAfter(s, T('2026-01-01T00:00:00Z'))), '2026-01-01T00:00:00.000Z');
  assert.is(iso(firstAtOrAfter(s, T('2026-01-01T00:00:00.001Z'))), '2026-01-01T00:00:02.000Z');
  assert.is(iso(nextAfter(s, T('2026-01-01T00:00:02Z'))), '2026-01-01T00:00:04.000Z');
  assert.is(iso(firstAtOrAfter(s, T('2026-03-01T10:00:01Z'))), '2026-03-01T10:00:02.000Z');
  const r3 = sched('R3/2026-01-01T00:00:00Z/PT1H');
  assert.is(iso(firstAtOrAfter(r3, T('2026-01-01T01:30:00Z'))), '2026-01-01T02:00:00.000Z');
  assert.is(firstAtOrAfter(r3, T('2026-01-01T02:00:01Z')), undefined, 'R3: three instants, then none');
  assert.is(firstAtOrAfter(sched('R0/2026-01-01T00:00:00Z/PT1H'), 0), undefined);
  assert.equal(countBetween(s, T('2026-01-01T00:00:00Z'), T('2026-01-01T00:01:00Z')), { count: 30, capped: false });
  // An offset in the start is read when no zone is given.
  assert.is(iso(sched('R/2026-01-01T09:00:00+02:00/P1D').start), '2026-01-01T07:00:00.000Z');
  // Months: from the start each time (31 Jan + 1 month is the end of February; + 2 is 31 March).
  const monthly = sched('R/2026-01-31T12:00:00Z/P1M');
  assert.equal([0, 1, 2].map((k) => iso(instantAt(monthly, k))), ['2026-01-31T12:00:00.000Z', '2026-02-28T12:00:00.000Z', '2026-03-31T12:00:00.000Z']);
});

test('scheduleTimeZone: the start is wall-clock time there, days stay at the same local hour across DST', () => {
  // Europe/Berlin: CET (+1) until 2026-03-29 02:00, then CEST (+2).
  const daily = sched('R/2026-03-27T09:00:00Z/P1D', 'Europe/Berlin');
  assert.is(iso(daily.start), '2026-03-27T08:00:00.000Z', "the start's fields are read in the zone (Chronos: its Z is set aside)");
  assert.equal([0, 1, 2, 3].map((k) => iso(instantAt(daily, k))), ['2026-03-27T08:00:00.000Z', '2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z']);
  // Hours are elapsed time: across the change, every 12 h is 12 h of real time.
  const twelve = sched('R/2026-03-28T21:00:00/PT12H', 'Europe/Berlin');
  assert.equal([0, 1, 2].map((k) => iso(instantAt(twelve, k))), ['2026-03-28T20:00:00.000Z', '2026-03-29T08:00:00.000Z', '2026-03-29T20:00:00.000Z']);
  // A local time in the spring gap (02:30 does not exist on 29 March) moves on by the gap.
  assert.is(iso(sched('R/2026-03-29T02:30:00/P1D', 'Europe/Berlin').start), '2026-03-29T01:30:00.000Z');
  // In the autumn overlap (02:30 happens twice on 25 October) the earlier one.
  assert.is(iso(sched('R/2026-10-25T02:30:00/P1D', 'Europe/Berlin').start), '2026-10-25T00:30:00.000Z');
  // America/New_York daily at 09:00 across its change (8 March 2026).
  const ny = sched('R/2026-03-07T09:00:00/P1D', 'America/New_York');
  assert.equal([0, 1].map((k) => iso(instantAt(ny, k))), ['2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z']);
  const bad = parseIso8601('R/2026-01-01T00:00:00Z/PT1S', 'Mars/Olympus', 0);
  assert.ok(!bad.ok && /time zone/.test(bad.reason));
});

test('cron (croner): next instants in a zone, across DST; bad expressions say why', () => {
  const c = parseCron('0 9 * * *', 'Europe/Berlin');
  assert.ok(c.ok);
  if (!c.ok) return;
  assert.is(iso(firstAtOrAfter(c.value, T('2026-03-28T10:00:00Z'))), '2026-03-29T07:00:00.000Z');
  assert.is(iso(firstAtOrAfter(c.value, T('2026-03-27T08:00:00Z'))), '2026-03-27T08:00:00.000Z', 'at the instant itself');
  const secs = parseCron('*/2 * * * * *', undefined);
  assert.ok(secs.ok);
  if (secs.ok) assert.is(iso(nextAfter(secs.value, T('2026-01-01T00:00:02Z'))), '2026-01-01T00:00:04.000Z');
  const bad = parseCron('61 * * * *', undefined);
  assert.ok(!bad.ok && /not a cron expression/.test(bad.reason));
  assert.ok(!parseCron('* * *', undefined).ok);
});

test("validation: Chronos's fields and defaults, unknown fields kept, each error names its field", () => {
  const now = T('2026-01-01T00:00:00Z');
  const v = validateJob({ name: 'a.b-c_1', command: 'echo', schedule: 'R/2026-01-01T00:00:00Z/PT1H', extra: { keep: true }, successCount: 99 }, 'schedule', now);
  assert.ok(v.ok);
  if (v.ok) {
    assert.is(v.job.retries, 2);
    assert.is(v.job.epsilon, 'PT60S');
    assert.is(v.epsilonMs, 60_000);
    assert.equal(v.job.extra, { keep: true });
    assert.is(v.job.successCount, undefined, 'counters come from the log, not the body');
  }
  // A job read back (GET /v1/scheduler/jobs) and posted again: what we computed is set aside.
  const back = validateJob({ name: 'x', command: 'echo', schedule: 'R//PT1H', state: 'idle', nextRun: null, skippedCount: 3, lastSkipped: {}, waiting: {}, lastError: '' }, 'schedule', now);
  assert.ok(back.ok);
  if (back.ok) {
    for (const k of ['state', 'nextRun', 'skippedCount', 'lastSkipped', 'waiting', 'lastError']) assert.not.ok(k in back.job, k);
  }
  const empty = validateJob({ name: 'x', command: 'echo', schedule: 'R//PT1H' }, 'schedule', now);
  assert.ok(empty.ok && empty.job.schedule === 'R/2026-01-01T00:00:00.000Z/PT1H', 'an empty start is written in');
  const bad = validateJob({ name: 'has space', cpus: 'two', schedule: 'R/x/PT1H' }, 'schedule', now);
  assert.ok(!bad.ok);
  if (!bad.ok) assert.equal(bad.errors.map((e) => e.field).sort(), ['command', 'cpus', 'name']);
  const cronInSchedule = validateJob({ name: 'x', command: 'echo', schedule: '*/5 * * * *' }, 'schedule', now);
  assert.ok(!cronInSchedule.ok && /give it as "cron"/.test(cronInSchedule.errors[0]!.message));
  assert.ok(validateJob({ name: 'x', command: 'echo', cron: '*/5 * * * *' }, 'schedule', now).ok);
  const both = validateJob({ name: 'x', command: 'echo', cron: '* * * * *', schedule: 'R//PT1S' }, 'schedule', now);
  assert.ok(!both.ok && both.errors[0]!.field === 'schedule');
  const orphan = validateJob({ name: 'x', command: 'echo' }, 'dependency', now);
  assert.ok(!orphan.ok && orphan.errors[0]!.field === 'parents');
  const self = validateJob({ name: 'x', command: 'echo', parents: ['x'] }, 'dependency', now);
  assert.ok(!self.ok && /own parent/.test(self.errors[0]!.message));
  const eps = validateJob({ name: 'x', command: 'echo', schedule: 'R//PT1S', epsilon: '60' }, 'schedule', now);
  assert.ok(!eps.ok && eps.errors[0]!.field === 'epsilon');
});

// --- the plan ----------------------------------------------------------------------------------

const define = (name: string, over: Record<string, unknown>, at = 0, kind: 'schedule' | 'dependency' = 'schedule'): JobsEvent => {
  const v = validateJob({ name, command: 'true', ...over }, kind, at);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return { type: 'JobDefined', at, kind, job: v.job };
};
const fold = (events: JobsEvent[]): JobsState => events.reduce(evolve, initialState());
const started = (name: string, instant: number, at: number, trigger: 'schedule' | 'dependency' | 'manual' = 'schedule', runId = scheduledRunId(name, instant), parentRuns?: string[]): JobsEvent => ({
  type: 'RunStarted',
  at,
  name,
  runId,
  trigger,
  instant,
  ...(parentRuns !== undefined ? { parentRuns } : {}),
  taskId: `t-${runId}`,
  agentId: 'ag',
  hostname: 'h',
});
const status = (name: string, runId: string, state: string, at: number, taskId = `t-${runId}`): JobsEvent => ({ type: 'TaskStatusChanged', at, name, runId, taskId, state });
const finished = (name: string, runId: string, at: number, outcome: 'SUCCESS' | 'FAILED' = 'SUCCESS'): JobsEvent => ({ type: 'RunFinished', at, name, runId, outcome });

const S0 = T('2026-01-01T00:00:00Z');

test('a due instant starts; one missed by less than epsilon runs late; older ones are skipped together', () => {
  const s = fold([define('j', { schedule: 'R/2026-01-01T00:00:00Z/PT10S', epsilon: 'PT15S' }, S0 - 1000)]);
  assert.equal(planJob(s, 'j', S0 - 500).starts, [], 'not yet');
  assert.is(planJob(s, 'j', S0 - 500).wakeAt, S0);
  assert.equal(planJob(s, 'j', S0 + 3000).starts.map((x) => iso(x.instant)), ['2026-01-01T00:00:00.000Z'], 'late, within epsilon');
  // Away 42 s: 00:00, 00:10, 00:20 are older than epsilon (15 s); 00:30 and 00:40 are within it.
  const p = planJob(s, 'j', S0 + 42_000);
  assert.equal(p.skips.map((x) => [iso(x.from), iso(x.to), x.count]), [['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:20.000Z', 3]]);
  assert.equal(p.starts.map((x) => iso(x.instant)), ['2026-01-01T00:00:30.000Z'], 'the oldest one still within epsilon, late');
  const after = fold([define('j', { schedule: 'R/2026-01-01T00:00:00Z/PT10S', epsilon: 'PT15S' }, S0 - 1000), { type: 'InstantsSkipped', at: S0 + 42_000, name: 'j', from: S0, to: S0 + 20_000, count: 3, reason: 'x' }, started('j', S0 + 30_000, S0 + 42_000), finished('j', scheduledRunId('j', S0 + 30_000), S0 + 42_500)]);
  assert.equal(planJob(after, 'j', S0 + 43_000).starts.map((x) => iso(x.instant)), ['2026-01-01T00:00:40.000Z'], 'then the next, late too');
  assert.equal(after.jobs.get('j')!.skippedCount, 3);
});

test('a job every second left alone for a week: its skipped instants are counted exactly, at once', () => {
  const s = fold([define('j', { schedule: 'R/2026-01-01T00:00:00Z/PT1S', epsilon: 'PT10S' }, S0 - 1)]);
  const p = planJob(s, 'j', S0 + 7 * 86_400_000);
  assert.equal(p.skips.map((x) => [iso(x.from), iso(x.to), x.count, x.capped]), [['2026-01-01T00:00:00.000Z', '2026-01-07T23:59:49.000Z', 7 * 86_400 - 10, false]]);
  assert.equal(p.starts.map((x) => iso(x.instant)), ['2026-01-07T23:59:50.000Z']);
});

test('instants before the job was defined are not missed runs', () => {
  const s = fold([define('j', { schedule: 'R/2020-01-01T00:00:00Z/PT10S' }, S0 + 5000)]);
  const p = planJob(s, 'j', S0 + 6000);
  assert.equal(p.skips, []);
  assert.equal(p.starts, []);
  assert.is(iso(p.wakeAt), '2026-01-01T00:00:10.000Z');
});

test('no overlapping runs unless concurrent: a due instant waits, then is skipped after epsilon', () => {
  const base = [define('j', { schedule: 'R/2026-01-01T00:00:00Z/PT10S', epsilon: 'PT5S' }, S0 - 1000), started('j', S0, S0)];
  const s = fold(base);
  const p = planJob(s, 'j', S0 + 10_500);
  assert.equal(p.starts, []);
  assert.match(p.blocked ?? '', /still running/);
  const late = planJob(s, 'j', S0 + 16_000);
  assert.equal(late.skips.map((x) => x.count), [1]);
  assert.match(late.skips[0]!.reason, /still running/);
  const conc = fold([define('j', { schedule: 'R/2026-01-01T00:00:00Z/PT10S', epsilon: 'PT5S', concurrent: true }, S0 - 1000), started('j', S0, S0)]);
  assert.equal(planJob(conc, 'j', S0 + 10_500).starts.map((x) => iso(x.instant)), ['2026-01-01T00:00:10.000Z']);
});

test('a failed attempt with retries left is retried; a disabled job starts nothing', () => {
  const runId = scheduledRunId('j', S0);
  const s = fold([define('j', { schedule: 'R/2026-01-01T00:00:00Z/PT1H', retries: 1 }, S0 - 1000), started('j', S0, S0), status('j', runId, 'TASK_FAILED', S0 + 100)]);
  const p = planJob(s, 'j', S0 + 200);
  assert.equal(p.retries.map((r) => r.runId), [runId]);
  assert.equal(p.starts, []);
  const off = fold([define('j', { schedule: 'R/2026-01-01T00:00:00Z/PT1S', disabled: true }, S0 - 1000)]);
  assert.equal(planJob(off, 'j', S0 + 5000).starts, []);
  assert.equal(planJob(off, 'j', S0 + 5000).skips, []);
});

test('a dependent job runs once after all its parents succeeded since its last run', () => {
  const a = scheduledRunId('a', S0);
  const b = scheduledRunId('b', S0);
  let s = fold([define('a', { schedule: 'R/2026-01-01T00:00:00Z/PT1H' }, 0), define('b', { schedule: 'R/2026-01-01T00:00:00Z/PT1H' }, 0), define('c', { parents: ['a', 'b'] }, 0, 'dependency'), started('a', S0, S0), started('b', S0, S0), finished('a', a, S0 + 10)]);
  assert.equal(planJob(s, 'c', S0 + 20).starts, [], 'b has not succeeded yet');
  s = evolve(s, finished('b', b, S0 + 30));
  const p = planJob(s, 'c', S0 + 40);
  assert.equal(p.starts.map((x) => [x.trigger, x.parentRuns]), [['dependency', [a, b]]]);
  s = evolve(s, started('c', S0 + 30, S0 + 40, 'dependency', p.starts[0]!.runId, [a, b]));
  assert.equal(planJob(s, 'c', S0 + 50).starts, [], 'fired once');
  // A parent failing in between: no firing until it succeeds again.
  const a2 = scheduledRunId('a', S0 + 3_600_000);
  s = [started('a', S0 + 3_600_000, S0 + 3_600_000), finished('a', a2, S0 + 3_600_010, 'FAILED')].reduce(evolve, s);
  assert.is(s.jobs.get('c')!.pending.length, 0);
  // Not started within epsilon of its parents' success: skipped and recorded.
  const late = fold([define('a', { schedule: 'R/2026-01-01T00:00:00Z/PT1H' }, 0), define('c', { parents: ['a'], epsilon: 'PT5S' }, 0, 'dependency'), started('a', S0, S0), finished('a', a, S0 + 10)]);
  const lp = planJob(late, 'c', S0 + 6000);
  assert.equal(lp.skips.map((x) => [x.count, x.parentRuns]), [[1, [a]]]);
});

test('unknown parents and cycles are refused, with the path of the cycle', () => {
  const s = fold([define('a', { schedule: 'R//PT1H' }, S0), define('b', { parents: ['a'] }, S0, 'dependency'), define('c', { parents: ['b'] }, S0, 'dependency')]);
  assert.equal(graphError(s, 'd', ['a', 'zz']), { field: 'parents', message: "unknown parent job 'zz': create it first" });
  assert.is(graphError(s, 'd', ['c', 'a']), undefined);
  const cyc = graphError(s, 'a', ['c']);
  assert.ok(cyc !== undefined && /cycle: a -> b -> c -> a/.test(cyc.message), JSON.stringify(cyc));
  assert.ok(graphError(s, 'b', ['c']) !== undefined);
});

test.run();
