// Health checks and checks, the pure parts and the shell on a fake clock: the schedule of rounds
// (delay, interval, timeout), the consecutive-failure state machine (grace period, kill,
// recovery), how results are read, and a task's checks end to end with scripted probes.
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type CheckInfo, type CheckStatusInfo, CheckInfo as CheckInfoSchema, HealthCheck as HealthCheckSchema, type HealthCheck, TaskInfo } from '../../events/index.js';
import { healthFailed, healthPassed, initialHealth, type HealthState } from '../../agent/health/health-state.js';
import { checkStatusOf, healthVerdict, sameCheckStatus, type Probe, type ProbeResult } from '../../agent/health/probe.js';
import { answered, startRounds, stopRounds, tick, wakeAt, type RoundTiming } from '../../agent/health/rounds.js';
import { freshCheckFields, startTaskChecks, type CheckUpdate } from '../../agent/health/task-checks.js';
import { firstPort } from '../../agent/health/index.js';
import { checkUrl } from '../../agent/health/http-probe.js';
import { parseResources } from '../../kernel/core/resources.js';
import { FakeClock } from '../helpers/fake-clock.js';

const T = 1_000_000;
const timing: RoundTiming = { delayMs: 5000, intervalMs: 1000, timeoutMs: 2000 };

// ---------------------------------------------------------------------------------------------
// The schedule of rounds

test('rounds: the first round is due after the delay, and starts once that time has come', () => {
  const s = startRounds(timing, T);
  assert.equal(s, { phase: 'waiting', round: 1, dueAt: T + 5000 });
  assert.is(wakeAt(s), T + 5000);
  assert.equal(tick(s, timing, T + 4999).next, s, 'not yet due');
  const t = tick(s, timing, T + 5000);
  assert.is(t.started, 1);
  assert.equal(t.next, { phase: 'running', round: 1, startedAt: T + 5000, deadline: T + 7000 });
});

test('rounds: an answer ends the round; the next is due an interval after it ended', () => {
  const running = tick(startRounds(timing, T), timing, T + 5000).next;
  const a = answered(running, timing, 1, T + 5300);
  assert.not.ok(a.stale);
  assert.equal(a.next, { phase: 'waiting', round: 2, dueAt: T + 6300 });
});

test('rounds: a round still running at its deadline times out; the next is due an interval later; its late answer is stale', () => {
  const running = tick(startRounds(timing, T), timing, T + 5000).next;
  assert.equal(tick(running, timing, T + 6999).next, running, 'before the deadline nothing happens');
  const t = tick(running, timing, T + 7000);
  assert.is(t.ended, 'timed-out');
  assert.equal(t.next, { phase: 'waiting', round: 2, dueAt: T + 8000 });
  assert.ok(answered(t.next, timing, 1, T + 7100).stale, 'the answer of round 1 comes too late');
});

test('rounds: timeout 0 means a round never times out (no deadline to wake for)', () => {
  const t0 = { ...timing, timeoutMs: 0 };
  const running = tick(startRounds(t0, T), t0, T + 5000).next;
  assert.is(wakeAt(running), null);
  assert.equal(tick(running, t0, T + 10_000_000).next, running);
});

test('rounds: after a stop nothing is due and answers are stale', () => {
  const running = tick(startRounds(timing, T), timing, T + 5000).next;
  const stopped = stopRounds(running);
  assert.is(wakeAt(stopped), null);
  assert.ok(answered(stopped, timing, 1, T + 5001).stale);
});

// ---------------------------------------------------------------------------------------------
// The consecutive-failure state machine

const policy = { gracePeriodMs: 10_000, consecutiveFailures: 3 };

function run(steps: ReadonlyArray<readonly ['pass' | 'fail', number]>, p = policy): { state: HealthState; decisions: string[] } {
  let state = initialHealth(T);
  const decisions: string[] = [];
  for (const [what, at] of steps) {
    const r = what === 'pass' ? healthPassed(state) : healthFailed(state, p, T + at);
    state = r.next;
    const d = r.decision;
    decisions.push(d.kind === 'report' ? `${d.healthy ? 'healthy' : `unhealthy(${d.consecutiveFailures})`}${d.killTask ? ' kill' : ''}` : d.kind);
  }
  return { state, decisions };
}

test('health: failures within the grace period (counted from the start, delay included) are ignored', () => {
  const { state, decisions } = run([
    ['fail', 0],
    ['fail', 5000],
    ['fail', 10_000],
  ]);
  assert.equal(decisions, ['in-grace-period', 'in-grace-period', 'in-grace-period']);
  assert.is(state.consecutiveFailures, 0);
  assert.is(state.healthy, undefined);
});

test('health: after the grace period every failure is reported, and the N-th in a row says kill', () => {
  const { decisions } = run([
    ['fail', 9000],
    ['fail', 10_001],
    ['fail', 11_000],
    ['fail', 12_000],
  ]);
  assert.equal(decisions, ['in-grace-period', 'unhealthy(1)', 'unhealthy(2)', 'unhealthy(3) kill']);
});

test('health: the first success is reported and ends the grace period for good', () => {
  const { decisions } = run([
    ['pass', 1000],
    ['pass', 2000],
    ['fail', 3000],
  ]);
  assert.equal(decisions, ['healthy', 'quiet', 'unhealthy(1)']);
});

test('health: a success after failures is reported (recovery) and resets the count', () => {
  const { state, decisions } = run([
    ['pass', 0],
    ['fail', 1000],
    ['fail', 2000],
    ['pass', 3000],
    ['fail', 4000],
    ['fail', 5000],
  ]);
  assert.equal(decisions, ['healthy', 'unhealthy(1)', 'unhealthy(2)', 'healthy', 'unhealthy(1)', 'unhealthy(2)']);
  assert.is(state.consecutiveFailures, 2);
});

test('health: grace period 0 counts the first failure; consecutive_failures 0 or 1 kills at once', () => {
  assert.equal(run([['fail', 0]], { gracePeriodMs: 0, consecutiveFailures: 1 }).decisions, ['unhealthy(1) kill']);
  assert.equal(run([['fail', 0]], { gracePeriodMs: 0, consecutiveFailures: 0 }).decisions, ['unhealthy(1) kill']);
});

// ---------------------------------------------------------------------------------------------
// Reading results

test('results: health reads exit 0, HTTP 200–399 and a TCP connection as success; errors fail', () => {
  assert.ok(healthVerdict({ type: 'COMMAND', exitCode: 0 }).ok);
  assert.equal(healthVerdict({ type: 'COMMAND', exitCode: 3, output: 'nope' }), { ok: false, why: 'Command exited with status 3 (output: nope)' });
  for (const code of [200, 204, 301, 399]) assert.ok(healthVerdict({ type: 'HTTP', statusCode: code }).ok, String(code));
  for (const code of [100, 199, 400, 404, 500, 503]) assert.not.ok(healthVerdict({ type: 'HTTP', statusCode: code }).ok, String(code));
  assert.ok(healthVerdict({ type: 'TCP', succeeded: true }).ok);
  assert.equal(healthVerdict({ type: 'TCP', succeeded: false }), { ok: false, why: 'TCP connection failed' });
  assert.equal(healthVerdict({ type: 'ERROR', message: 'HTTP check timed out after 1s' }), { ok: false, why: 'HTTP check timed out after 1s' });
});

test('results: a check status holds the result, or the empty field of its type when there is none', () => {
  assert.equal(checkStatusOf('COMMAND', { type: 'COMMAND', exitCode: 7 }), { type: 'COMMAND', command: { exitCode: 7 } });
  assert.equal(checkStatusOf('HTTP', { type: 'HTTP', statusCode: 503 }), { type: 'HTTP', http: { statusCode: 503 } });
  assert.equal(checkStatusOf('TCP', { type: 'TCP', succeeded: false }), { type: 'TCP', tcp: { succeeded: false } });
  assert.equal(checkStatusOf('HTTP', { type: 'ERROR', message: 'refused' }), { type: 'HTTP', http: {} });
  assert.equal(checkStatusOf('COMMAND', { type: 'ERROR', message: 'timed out' }), { type: 'COMMAND', command: {} });
  assert.ok(sameCheckStatus({ type: 'HTTP', http: {} }, { type: 'HTTP', http: {} }));
  assert.not.ok(sameCheckStatus({ type: 'HTTP', http: {} }, { type: 'HTTP', http: { statusCode: 200 } }));
  assert.not.ok(sameCheckStatus({ type: 'COMMAND', command: { exitCode: 0 } }, { type: 'COMMAND', command: { exitCode: 1 } }));
});

test('definitions: Mesos defaults; the field named by the type is required and the others refused', () => {
  const h = HealthCheckSchema.parse({ type: 'TCP', tcp: { port: 80 } });
  assert.equal(
    { delayMs: h.delayMs, intervalMs: h.intervalMs, timeoutMs: h.timeoutMs, consecutiveFailures: h.consecutiveFailures, gracePeriodMs: h.gracePeriodMs },
    { delayMs: 15_000, intervalMs: 10_000, timeoutMs: 20_000, consecutiveFailures: 3, gracePeriodMs: 10_000 },
  );
  const c = CheckInfoSchema.parse({ type: 'COMMAND', command: { value: 'true' } });
  assert.equal([c.delayMs, c.intervalMs, c.timeoutMs, c.command?.shell], [15_000, 10_000, 20_000, true]);
  assert.not.ok(HealthCheckSchema.safeParse({ type: 'HTTP' }).success, 'HTTP without http');
  assert.not.ok(HealthCheckSchema.safeParse({ type: 'HTTP', http: { port: 80 }, tcp: { port: 80 } }).success, 'two kinds');
  assert.not.ok(HealthCheckSchema.safeParse({ type: 'HTTP', http: { port: 80, path: 'health' } }).success, 'path without /');
  assert.not.ok(HealthCheckSchema.safeParse({ type: 'TCP', tcp: { port: 0 } }).success, 'port 0');
  assert.not.ok(HealthCheckSchema.safeParse({ type: 'TCP', tcp: {}, delayMs: -1 }).success, 'negative delay');
});

test('targets: HTTP checks go to 127.0.0.1 (or ::1); a check without a port uses the task\'s first port', () => {
  assert.is(checkUrl({ port: 8080 }).href, 'http://127.0.0.1:8080/');
  assert.is(checkUrl({ port: 8443, scheme: 'https', path: '/ready?x=1', protocol: 'IPv6' }).href, 'https://[::1]:8443/ready?x=1');
  const task = (resources: string) =>
    TaskInfo.parse({ taskId: 't', name: 't', agentId: 'a', resources: [...parseResources(resources)], command: { value: 'true' } });
  assert.is(firstPort(task('cpus:1;ports:[31005-31007,31010-31010]')), 31005);
  assert.is(firstPort({ ...task('cpus:1'), resources: [{ name: 'ports', type: 'RANGES', ranges: [[31010, 31011], [31005, 31005]] }] }), 31010, 'in the order the ranges are listed, as PORT0');
  assert.is(firstPort(task('cpus:1')), undefined);
});

// ---------------------------------------------------------------------------------------------
// A task's checks, on a fake clock with scripted probes

interface Harness {
  clock: FakeClock;
  updates: CheckUpdate[];
  kills: string[];
  aborts: number;
  stop(): void;
}

/** A probe answering `results[i]` for round i (the last one repeats); 'hang' never answers until aborted. */
function scripted(results: ReadonlyArray<ProbeResult | 'hang'>, h: { aborts: number }): Probe {
  let i = 0;
  return (signal) => {
    const r = results[Math.min(i++, results.length - 1)]!;
    if (r !== 'hang') return Promise.resolve(r);
    return new Promise((resolve) =>
      signal.addEventListener('abort', () => {
        h.aborts++;
        resolve({ type: 'ERROR', message: 'aborted' });
      }),
    );
  };
}

function given(defs: { healthCheck?: HealthCheck; check?: CheckInfo }, health: ReadonlyArray<ProbeResult | 'hang'>, check: ReadonlyArray<ProbeResult | 'hang'> = []): Harness {
  const clock = new FakeClock(T);
  const h: Harness = { clock, updates: [], kills: [], aborts: 0, stop: () => undefined };
  const probes = { health: scripted(health, h), check: scripted(check, h) };
  const checks = startTaskChecks({
    ...defs,
    probeFor: (c) => (c === defs.healthCheck ? probes.health : probes.check),
    clock,
    log: pino({ level: 'silent' }),
    update: (u) => h.updates.push(u),
    kill: (m) => {
      h.kills.push(m);
      checks.stop(); // as the runner does once the task exits
    },
  });
  h.stop = () => checks.stop();
  return h;
}

const fail: ProbeResult = { type: 'COMMAND', exitCode: 1 };
const pass: ProbeResult = { type: 'COMMAND', exitCode: 0 };
const hcCommand = (o: Partial<HealthCheck> = {}): HealthCheck => HealthCheckSchema.parse({ type: 'COMMAND', command: { value: 'x' }, ...o });

test('task checks: failures in the grace period are ignored, then reported healthy:false, and the third gets the task killed', async () => {
  const h = given({ healthCheck: hcCommand({ delayMs: 5000, intervalMs: 1000, timeoutMs: 2000, gracePeriodMs: 8000, consecutiveFailures: 3 }) }, [fail]);
  await h.clock.advance(8000); // rounds at 5 s, 6 s, 7 s, 8 s: all within the grace period
  assert.equal(h.updates, []);
  await h.clock.advance(1000); // 9 s: first counted failure
  assert.equal(h.updates, [{ reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', healthy: false }]);
  assert.equal(h.kills, []);
  await h.clock.advance(2000); // 10 s, 11 s
  assert.is(h.updates.length, 3);
  assert.ok(h.updates.every((u) => u.healthy === false));
  assert.is(h.kills.length, 1);
  assert.match(h.kills[0]!, 'COMMAND health check failed 3 consecutive times (last: Command exited with status 1)');
  await h.clock.advance(10_000);
  assert.is(h.updates.length, 3, 'nothing after the kill');
  assert.is(h.clock.pending(), 0, 'no timer left');
});

test('task checks: a check that does not answer times out, counts as a failure, and is aborted; the next round comes an interval later', async () => {
  const h = given({ healthCheck: hcCommand({ delayMs: 0, intervalMs: 1000, timeoutMs: 2000, gracePeriodMs: 0, consecutiveFailures: 2 }) }, ['hang']);
  await h.clock.advance(1999);
  assert.equal(h.updates, [], 'still waiting for round 1');
  await h.clock.advance(1); // 2 s: round 1 times out
  assert.is(h.aborts, 1);
  assert.equal(h.updates, [{ reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', healthy: false }]);
  await h.clock.advance(2999); // round 2 starts at 3 s, times out at 5 s
  assert.is(h.kills.length, 0);
  await h.clock.advance(1);
  assert.is(h.aborts, 2);
  assert.is(h.kills.length, 1);
  assert.match(h.kills[0]!, 'timed out after 2s');
});

test('task checks: a task recovers: healthy, unhealthy twice, healthy again — no kill below the limit', async () => {
  const h = given({ healthCheck: hcCommand({ delayMs: 0, intervalMs: 1000, gracePeriodMs: 0, consecutiveFailures: 3 }) }, [pass, fail, fail, pass, pass, fail]);
  await h.clock.advance(5000);
  assert.equal(
    h.updates.map((u) => u.healthy),
    [true, false, false, true, false],
  );
  assert.equal(h.kills, []);
  h.stop();
  assert.is(h.clock.pending(), 0);
});

test('task checks: a general check reports its status only when it changes (an error is the empty status)', async () => {
  const check = CheckInfoSchema.parse({ type: 'COMMAND', command: { value: 'x' }, delayMs: 0, intervalMs: 1000 });
  const h = given({ check }, [], [{ type: 'ERROR', message: 'nope' }, pass, pass, fail, { type: 'ERROR', message: 'timed out' }]);
  await h.clock.advance(4000);
  const statuses = h.updates.map((u) => u.checkStatus);
  assert.equal(statuses, [
    { type: 'COMMAND', command: { exitCode: 0 } },
    { type: 'COMMAND', command: { exitCode: 1 } },
    { type: 'COMMAND', command: {} },
  ] satisfies CheckStatusInfo[]);
  assert.ok(h.updates.every((u) => u.reason === 'REASON_TASK_CHECK_STATUS_UPDATED' && u.healthy === undefined));
  assert.equal(h.kills, [], 'a check never kills');
  assert.equal(freshCheckFields(check), { checkStatus: { type: 'COMMAND', command: {} } });
  assert.equal(freshCheckFields(undefined), {});
  h.stop();
});

test('task checks: with both, each update carries the latest value of the other', async () => {
  const healthCheck = hcCommand({ delayMs: 0, intervalMs: 1000, gracePeriodMs: 0 });
  const check = CheckInfoSchema.parse({ type: 'TCP', tcp: { port: 1 }, delayMs: 500, intervalMs: 1000 });
  const h = given({ healthCheck, check }, [pass], [{ type: 'TCP', succeeded: true }]);
  await h.clock.advance(600);
  assert.equal(h.updates, [
    { reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', healthy: true, checkStatus: { type: 'TCP', tcp: {} } },
    { reason: 'REASON_TASK_CHECK_STATUS_UPDATED', healthy: true, checkStatus: { type: 'TCP', tcp: { succeeded: true } } },
  ]);
  h.stop();
});

test('task checks: a stop aborts the running probe, cancels the timers, and nothing is reported after it', async () => {
  const h = given({ healthCheck: hcCommand({ delayMs: 0, timeoutMs: 0, gracePeriodMs: 0 }) }, ['hang']);
  await h.clock.advance(100);
  h.stop();
  await h.clock.advance(60_000);
  assert.is(h.aborts, 1);
  assert.equal(h.updates, []);
  assert.is(h.clock.pending(), 0);
});

test.run();
