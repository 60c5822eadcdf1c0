/**
 * Chaos: a three-node JetStream cluster (R3 stream, lease bucket and snapshot store) under a real
 * master, a real agent and an SDK framework that launches short tasks (`true`) continuously. Each
 * nats-server in turn is killed with SIGKILL mid-stream (first the CLUSTER stream's RAFT leader,
 * then the others, so every client loses its server once), launching goes on, and the server is
 * brought back with the same ports and store dir. At the end nothing may be lost: every task the
 * framework launched reached TASK_FINISHED, no accept or acknowledgement failed, the master holds
 * no live task, and the fold of the whole log equals the master's state at the same sequence.
 *
 * A task whose accept the master refused was not launched: when a server's loss costs the master
 * its lease (the 1 s lease is shorter than the lease bucket's RAFT election), its re-election
 * rescinds the offers of the old epoch, and an accept already on its way is refused
 * (OFFER_RESCINDED: TASK_LOST with REASON_INVALID_OFFERS, as Mesos reports it). Those are counted,
 * not failures; a refusal for any other reason, or any other end than TASK_FINISHED, fails it.
 *
 * MESOS_CHAOS_TRACE=1 prints the progress every second; MESOS_TEST_LOG=info the components' logs.
 *
 * Also measured (printed): how long an acknowledged publish stalled around each kill (a probe
 * publishing to a small R3 stream every 20 ms), the slowest accept, and the longest pause in the
 * stream of TASK_FINISHED updates.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type JetStreamManager, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type AgentHandle, startAgent } from '../../agent/index.js';
import { type RunningNatsCluster, startNatsCluster } from '../../cli/nats/index.js';
import { STREAM_NAME, type TaskStateName, isTerminal } from '../../events/index.js';
import { type Bus, connectBus, credsOptions, readLog } from '../../kernel/shell/bus.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { LEASE_BUCKET } from '../../kernel/shell/master/lease.js';
import { SNAPSHOT_BUCKET } from '../../kernel/shell/master/snapshots.js';
import * as R from '../../kernel/core/resources.js';
import { cloneState } from '../../kernel/core/state.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { replayLog, stateToJson } from '../../replay/index.js';
import { type TestKeys, testKeys } from '../helpers/nats.js';
import { waitFor, within } from '../helpers/wait.js';

const TASK_CPUS = 0.1;
const TASK_MEM = 16;
const BATCH = 10;
/** How long launching goes on with one server down. */
const DOWN_MS = 4000;

/** A logger that keeps warnings and errors (to report what the components went through). */
type LogLine = { level: number; time?: number; msg: string; component?: string; err?: { message?: string } } & Record<string, unknown>;
/** Warnings and errors (`lines`), and the last info lines of every component (`recent`, for a failure's diagnosis). */
function recordingLog(): { log: Logger; lines: LogLine[]; recent: LogLine[] } {
  const lines: LogLine[] = [];
  const recent: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) {
        if (l.trim() === '') continue;
        try {
          const line = JSON.parse(l) as LogLine;
          if (line.level >= 40) lines.push(line);
          recent.push(line);
          if (recent.length > 4000) recent.splice(0, 1000);
        } catch {
          // not JSON
        }
      }
      cb();
    },
  });
  const level = process.env.MESOS_TEST_LOG;
  return { log: pino({ level: level === 'debug' || level === 'trace' ? level : 'info' }, level === undefined ? sink : pino.multistream([{ stream: sink, level: 'info' }, { stream: process.stderr, level }])), lines, recent };
}

interface Probe {
  stop(): Promise<void>;
  readonly samples: Array<{ at: number; ms: number; attempts: number }>;
}

/** Publishes to a small R3 stream every 20 ms and records how long each acknowledged publish took. */
function startProbe(nc: NatsConnection): Probe {
  const js = jetstream(nc);
  const samples: Array<{ at: number; ms: number; attempts: number }> = [];
  let stopped = false;
  const run = (async () => {
    let i = 0;
    while (!stopped) {
      const at = Date.now();
      let attempts = 0;
      for (;;) {
        attempts++;
        try {
          await js.publish('probe.x', `p${i}`, { msgID: `probe-${i}`, timeout: 1000 });
          break;
        } catch {
          if (stopped || nc.isClosed()) return;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      samples.push({ at, ms: Date.now() - at, attempts });
      i++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    samples,
    async stop() {
      stopped = true;
      await run;
    },
  };
}

/** The warnings and errors of a nats-server log file since its last start. */
function warningsOf(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    const start = lines.map((l) => l.includes('Starting nats-server')).lastIndexOf(true);
    return lines
      .slice(Math.max(0, start))
      .filter((l) => /\[(WRN|ERR)\]/.test(l))
      .slice(-30)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

/** The log's events that name one of these tasks, one line each (for a failure's diagnosis). */
async function historyOf(bus: Bus, taskIds: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readLog(bus, { untilHead: true })) {
    if (!e.decoded.ok) continue;
    const text = JSON.stringify(e.decoded.event);
    if (!taskIds.some((id) => text.includes(`"${id}"`))) continue;
    const ev = e.decoded.event as unknown as Record<string, unknown>;
    const status = ev.status as Record<string, unknown> | undefined;
    const detail = [ev.epoch !== undefined ? `epoch ${ev.epoch}` : '', ev.code, status?.taskId, status?.state, status?.reason, ev.message].filter((x) => x !== undefined && x !== '').join(' ');
    out.push(`  ${e.seq} ${e.subject} ${ev.type} ${detail}`);
  }
  return out;
}

async function streamInfo(jsm: JetStreamManager, name: string) {
  return jsm.streams.info(name);
}

/** The stream's leader and replicas all current (a restarted server has caught up). */
async function waitForStreamHealthy(jsm: JetStreamManager, name: string, what: string, timeoutMs = 30_000): Promise<void> {
  let last: unknown;
  await waitFor(
    async () => {
      const info = await streamInfo(jsm, name);
      const c = info.cluster;
      last = { leader: c?.leader, replicas: c?.replicas, last_seq: info.state.last_seq };
      return c?.leader !== undefined && c.leader !== '' && (c.replicas?.length ?? 0) === 2 && c.replicas!.every((r) => r.current && !r.offline);
    },
    what,
    timeoutMs,
    100,
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
  });
}

let cluster: RunningNatsCluster | undefined;
let master: MasterHandle | undefined;
let agent: AgentHandle | undefined;
let fw: Scheduler | undefined;
let admin: NatsConnection | undefined;
let prober: NatsConnection | undefined;
let keys: TestKeys | undefined;
let dir: string | undefined;
let probe: Probe | undefined;
let trace: NodeJS.Timeout | undefined;
let passed = false;

test.after(async () => {
  clearInterval(trace);
  await probe?.stop();
  // Each step bounded, so that a hung component fails the run instead of stalling it.
  const step = async (what: string, p: Promise<unknown> | undefined): Promise<void> => {
    await within(Promise.resolve(p), 20_000, what).catch((err: unknown) => process.stderr.write(`[chaos teardown] ${(err as Error).message}\n`));
  };
  await step('the framework to close', fw?.close());
  await step('the agent to stop', agent?.stop());
  await step('the master to stop', master?.stop());
  await step('the admin connection to close', admin?.close());
  await step('the probe connection to close', prober?.close());
  await step('the NATS cluster to stop', cluster?.stop());
  keys?.remove();
  // A failed run keeps its directory: the nats-servers' logs are in <dir>/logs.
  if (dir && passed) rmSync(dir, { recursive: true, force: true });
  else if (dir) process.stderr.write(`[chaos teardown] kept ${dir} (nats-server logs in ${join(dir, 'logs')})\n`);
});

test('3-node JetStream cluster: SIGKILL each nats-server in turn while tasks launch; nothing is lost', async () => {
  const started = Date.now();
  const note = (what: string): void => void process.stderr.write(`[chaos +${((Date.now() - started) / 1000).toFixed(1)} s] ${what}\n`);
  const { log, lines, recent } = recordingLog();
  dir = mkdtempSync(join(tmpdir(), 'mesos-chaos-'));
  // Secured, as every cluster: each party connects with its own credentials.
  keys = testKeys();
  const k = keys;
  cluster = await startNatsCluster({ size: 3, storeRoot: join(dir, 'nats'), clusterName: 'mesos-chaos', logDir: join(dir, 'logs'), auth: k.auth });
  const urls = cluster.urls;
  const nats = urls.join(',');
  const auth = (party: Parameters<TestKeys['creds']>[0], name: string, store?: { stream: string; subjects: string }) => {
    const { identity: _id, ...o } = credsOptions(k.creds(party, name, store !== undefined ? { store } : {}));
    return o;
  };

  // The stream administrator watches the streams (info on every one).
  admin = await connect({ servers: urls, name: 'chaos-admin', maxReconnectAttempts: -1, reconnectTimeWait: 100, ...auth('admin', 'chaos-admin') });
  const jsm = await jetstreamManager(admin, { timeout: 2000 });
  // The probe is a framework with a state store of its own (PROBE over probe.>): it may create that
  // stream and append to it, nothing of the cluster's.
  prober = await connect({ servers: urls, name: 'chaos-probe', maxReconnectAttempts: -1, reconnectTimeWait: 100, ...auth('framework', 'chaos-probe', { stream: 'PROBE', subjects: 'probe.>' }) });
  const probeJsm = await jetstreamManager(prober, { timeout: 2000 });
  // A cluster that has just started may not place three replicas yet ("no suitable peers").
  await waitFor(() => probeJsm.streams.add({ name: 'PROBE', subjects: ['probe.>'], storage: StorageType.File, num_replicas: 3 }).then(() => true), 'the cluster to place an R3 stream', 30_000, 250);
  probe = startProbe(prober);
  const samples = probe.samples;

  master = await startMaster({ nats, creds: k.creds('master', 'm1'), port: 0, streamReplicas: 3, allocationIntervalMs: 100, leaderLeaseMs: 1000 }, log);
  await master.caughtUp;
  await waitFor(() => master!.isLeader(), 'the master to lead', 20_000);
  const m = master;

  // The cluster stream, the lease bucket and the snapshot store are R3.
  for (const name of [STREAM_NAME, `KV_${LEASE_BUCKET}`, `OBJ_${SNAPSHOT_BUCKET}`]) {
    const info = await streamInfo(jsm, name);
    assert.is(info.config.num_replicas, 3, `${name} has 3 replicas`);
    assert.is(info.cluster?.name, 'mesos-chaos');
    assert.is(info.cluster?.replicas?.length, 2, `${name}: a leader and 2 replicas`);
  }

  agent = await startAgent(
    { nats, creds: k.creds('agent', 'chaos-agent'), workDir: join(dir, 'agent'), resources: 'cpus:4;mem:4096;disk:4096;ports:[31000-31099]', isolation: 'posix', killGracePeriodMs: 500, allowRootTasks: true },
    log,
  );
  const agentId = agent.agentId;
  await waitFor(() => m.state().agents.get(agentId)?.status === 'ACTIVE', 'the agent to register', 20_000);

  fw = await subscribe({ nats, creds: k.creds('framework', 'chaos-fw'), name: 'chaos', log });
  const scheduler = fw;
  const fid = scheduler.frameworkId;
  const refusals: string[] = [];
  const refusedCodes = new Set<string>();
  const refused = new Set<string>();
  scheduler.refusals$.subscribe((r) => {
    refusedCodes.add(r.code);
    refusals.push(`${r.code} (${r.message}; epoch ${r.epoch}, ${r.tasks.length} tasks)`);
    for (const t of r.tasks) refused.add(t.taskId);
  });

  // --- the workload: accept every offer with up to BATCH tasks of `true`
  let launching = true;
  let next = 0;
  const accepted = new Set<string>();
  const acceptErrors: string[] = [];
  const acceptMs: Array<{ at: number; ms: number }> = [];
  const terminal = new Map<string, TaskStateName>();
  const finishedAt: number[] = [];
  scheduler.updates$.subscribe((u) => {
    void scheduler.acknowledge(u).catch((err: unknown) => acceptErrors.push(`ack ${u.taskId}: ${(err as Error).message}`));
    if (isTerminal(u.state) && !terminal.has(u.taskId)) {
      terminal.set(u.taskId, u.state);
      if (u.state === 'TASK_FINISHED') finishedAt.push(Date.now());
    }
  });
  scheduler.offers$.subscribe((offer) => {
    const fit = Math.min(BATCH, Math.floor(R.scalar(offer.resources, 'cpus') / TASK_CPUS + 1e-6), Math.floor(R.scalar(offer.resources, 'mem') / TASK_MEM));
    if (!launching || fit <= 0) {
      void scheduler.decline([offer.id], launching ? 0 : 60).catch(() => undefined);
      return;
    }
    const ids = Array.from({ length: fit }, () => `t-${++next}`);
    const at = Date.now();
    scheduler
      .accept(
        [offer.id],
        ids.map((taskId) => ({ taskId, agentId: offer.agentId, resources: `cpus:${TASK_CPUS};mem:${TASK_MEM}`, command: 'true' })),
      )
      .then(() => {
        acceptMs.push({ at, ms: Date.now() - at });
        for (const id of ids) accepted.add(id);
      })
      .catch((err: unknown) => acceptErrors.push(`accept ${ids[0]}..${ids.at(-1)}: ${(err as Error).message}`));
  });

  const finishedCount = (): number => [...terminal.values()].filter((s) => s === 'TASK_FINISHED').length;
  trace = process.env.MESOS_CHAOS_TRACE
    ? setInterval(() => note(`launched ${next}, accepted ${accepted.size}, finished ${finishedCount()}, master seq ${m.seq()} epoch ${m.state().epoch} leading ${m.isLeader()}, live tasks ${m.state().tasks.size}, outbox ${m.state().outbox.size}`), 1000)
    : undefined;
  trace?.unref();
  await waitFor(() => finishedCount() >= 30, 'the first 30 tasks to finish', 20_000, 50);

  // --- kill each server in turn: first the CLUSTER stream's leader, then the ones not killed yet
  const rounds: Array<{ victim: string; wasStreamLeader: boolean; killAt: number; restartAt: number; healthyAt: number; secondRestart: boolean }> = [];
  const killed = new Set<number>();
  for (let round = 0; round < 3; round++) {
    const leader = (await streamInfo(jsm, STREAM_NAME)).cluster?.leader ?? '';
    let victim = cluster.names.indexOf(leader);
    if (victim < 0 || killed.has(victim)) victim = [0, 1, 2].find((i) => !killed.has(i))!;
    killed.add(victim);
    const before = finishedCount();
    const killAt = Date.now();
    cluster.servers[victim]!.kill('SIGKILL');
    note(`killed ${cluster.names[victim]}${cluster.names[victim] === leader ? ' (CLUSTER stream leader)' : ''}`);
    await cluster.servers[victim]!.exited;
    // Launching goes on with the server down (and must make progress).
    await new Promise((r) => setTimeout(r, DOWN_MS));
    await waitFor(() => finishedCount() >= before + 20, `20 tasks to finish with ${cluster!.names[victim]} down`, 30_000, 50);
    const restartAt = Date.now();
    note(`restarting ${cluster.names[victim]}`);
    await cluster.restart(victim);
    const c = cluster;
    const name = c.names[victim]!;
    // nats-server 2.10 now and then (about 1 run in 15 here) brings a SIGKILLed server back without
    // it ever getting in contact with the JetStream meta leader again, so its stream replicas never
    // catch up (its log: "JetStream has not established contact with a meta leader"). The cluster
    // works on with two replicas, but one more loss would stop it: as an operator would, restart
    // that server once more. Reported as such in the summary.
    let secondRestart = false;
    let sick = await c.waitHealthy([victim], 20_000);
    if (sick.length > 0) {
      note(`${name} is not healthy 20 s after its restart (${sick[0]!.error}); its warnings:\n${warningsOf(join(dir, 'logs', `nats-${name}.log`))}`);
      note(`restarting ${name} once more`);
      secondRestart = true;
      await c.restart(victim);
      sick = await c.waitHealthy([victim], 20_000);
    }
    assert.equal(sick, [], `${name} is healthy again`);
    await waitForStreamHealthy(jsm, STREAM_NAME, `${STREAM_NAME} to be whole again after ${name} came back`, 10_000);
    await waitForStreamHealthy(jsm, `KV_${LEASE_BUCKET}`, 'the lease bucket to be whole again', 10_000);
    const healthyAt = Date.now();
    note(`${cluster.names[victim]} is back; the streams are whole`);
    rounds.push({ victim: name, wasStreamLeader: name === leader, killAt, restartAt, healthyAt, secondRestart });
    const after = finishedCount();
    await waitFor(() => finishedCount() >= after + 20, `20 tasks to finish after ${cluster!.names[victim]} came back`, 30_000, 50).catch(async (err: unknown) => {
      // Say what the log holds of the tasks that did not end, and what the log was busy with.
      const open = [...accepted].filter((id) => !terminal.has(id)).slice(0, 3);
      const bus = await connectBus({ servers: nats, name: 'chaos-diagnostics', log });
      const history = await historyOf(bus, open).catch((e: unknown) => [`(could not read the log: ${(e as Error).message})`]);
      const tail: Record<string, number> = {};
      for await (const e of readLog(bus, { untilHead: true, fromSeq: Math.max(1, m.seq() - 200) })) tail[e.subject] = (tail[e.subject] ?? 0) + 1;
      await bus.close();
      note(`tasks with no end (${open.join(', ')}), from the log:\n${history.join('\n')}\nsubjects of the last 200 events: ${JSON.stringify(tail)}`);
      const show = (l: LogLine): string => {
        const { level, time, msg, component, err: e, pid: _p, hostname: _h, ...rest } = l;
        return `  ${time !== undefined ? new Date(time).toISOString().slice(11, 23) : '?'} ${level >= 40 ? 'WARN' : 'info'} ${component ?? '-'}: ${msg} ${JSON.stringify(rest).slice(0, 300)}${e?.message !== undefined ? ` (${e.message})` : ''}`;
      };
      note(`warnings and errors logged:\n${lines.slice(-40).map(show).join('\n')}`);
      note(`the agent's last log lines:\n${recent.filter((l) => l.component !== 'lease' && l.masterId === undefined).slice(-120).map(show).join('\n')}`);
      throw err;
    });
  }

  // --- stop launching; everything launched must finish and be acknowledged
  launching = false;
  note(`stopped launching after ${next} tasks`);
  await waitFor(() => [...accepted].every((id) => terminal.has(id)) && acceptErrors.length === 0 && accepted.size === next, 'every launched task to end', 30_000, 50).catch(
    (err: unknown) => {
      const missing = [...accepted].filter((id) => !terminal.has(id));
      throw new Error(`${(err as Error).message}; accepted ${accepted.size} of ${next}, no end for ${missing.length}: ${missing.slice(0, 10).join(', ')}; accept errors: ${acceptErrors.join('; ')}`);
    },
  );
  note('every task ended');
  assert.equal(acceptErrors, [], 'no accept or acknowledgement failed');
  if (refusals.length > 0) note(`refused accepts: ${refusals.join('; ')}`);
  assert.equal([...refusedCodes].filter((c) => c !== 'OFFER_RESCINDED'), [], 'accepts were refused only for offers rescinded by a re-election');
  const launched = [...accepted].filter((id) => !refused.has(id));
  const notFinished = launched.filter((id) => terminal.get(id) !== 'TASK_FINISHED');
  if (notFinished.length > 0) {
    const bus = await connectBus({ servers: nats, name: 'chaos-diagnostics', log, creds: k.creds('auditor', 'chaos-diagnostics') });
    note(`tasks that did not finish, and what the log says of them:\n${(await historyOf(bus, notFinished.slice(0, 5))).join('\n')}`);
    await bus.close();
  }
  assert.equal(notFinished.map((id) => [id, terminal.get(id)]), [], 'every task launched ended TASK_FINISHED');
  assert.ok([...refused].every((id) => terminal.get(id) === 'TASK_LOST'), 'a refused task is TASK_LOST');
  assert.is(finishedCount(), launched.length, 'every task launched finished');
  await waitFor(
    () => m.state().tasks.size === 0 && m.state().outbox.size === 0 && (m.state().frameworks.get(fid)?.taskKeys.size ?? -1) === 0,
    'the master to hold no live task',
    20_000,
  );
  assert.is(m.state().counters.tasksReached.TASK_FINISHED, launched.length, 'the master counted every task as finished');
  assert.is(m.state().counters.tasksReached.TASK_LOST ?? 0, 0);
  assert.ok(m.isLeader(), 'the master leads at the end');

  // --- the fold of the whole log equals the master's state at the same sequence
  const seq = m.seq();
  const mine = cloneState(m.state());
  const bus = await connectBus({ servers: nats, name: 'chaos-replay', log, creds: k.creds('auditor', 'chaos-replay') });
  try {
    note(`folding the log to ${seq}`);
    const r = await within(replayLog(bus, { toSeq: seq }), 30_000, `the fold of the log to ${seq}`);
    assert.is(r.seq, seq);
    assert.is(r.codec.malformed, 0);
    assert.equal(stateToJson(r.state), stateToJson(mine));
  } finally {
    await bus.close();
  }

  // --- still R3, every replica current
  const info = await streamInfo(jsm, STREAM_NAME);
  assert.is(info.config.num_replicas, 3);
  assert.is(info.cluster?.replicas?.length, 2);
  assert.is(info.state.last_seq >= seq, true);

  await probe.stop();
  clearInterval(trace);
  passed = true;

  // --- what happened around each kill
  const report: string[] = [];
  for (const r of rounds) {
    const window = (s: { at: number }): boolean => s.at >= r.killAt - 500 && s.at <= r.healthyAt + 2000;
    const stall = Math.max(0, ...samples.filter(window).map((s) => s.ms));
    const retried = samples.filter(window).filter((s) => s.attempts > 1).length;
    const slowestAccept = Math.max(0, ...acceptMs.filter(window).map((s) => s.ms));
    const fin = finishedAt.filter((t) => t >= r.killAt - 1000 && t <= r.healthyAt + 2000);
    let gap = 0;
    for (let i = 1; i < fin.length; i++) gap = Math.max(gap, fin[i]! - fin[i - 1]!);
    const firstFinishAfterKill = (finishedAt.find((t) => t >= r.killAt) ?? r.killAt) - r.killAt;
    report.push(
      `killed ${r.victim}${r.wasStreamLeader ? ' (CLUSTER stream leader)' : ''}: probe publish stalled ≤ ${stall} ms (${retried} retried), ` +
        `slowest accept ${slowestAccept} ms, first TASK_FINISHED ${firstFinishAfterKill} ms after the kill, longest pause between finishes ${gap} ms; ` +
        `restarted after ${r.restartAt - r.killAt} ms, stream whole ${r.healthyAt - r.restartAt} ms later` +
        (r.secondRestart ? ' (its replica did not catch up: restarted a second time)' : ''),
    );
  }
  const warnings = new Map<string, number>();
  for (const l of lines) {
    const key = `${l.component ?? '-'}: ${l.msg}`;
    warnings.set(key, (warnings.get(key) ?? 0) + 1);
  }
  console.log(
    [
      `chaos: ${launched.length} tasks launched and finished in ${((Date.now() - started) / 1000).toFixed(1)} s` +
        (refused.size > 0 ? ` (and ${refused.size} in accepts refused after a re-election rescinded their offers)` : '') +
        `; leader epoch now ${m.state().epoch}; log head ${seq}`,
      ...report,
      `warnings logged: ${warnings.size === 0 ? 'none' : [...warnings].map(([k, n]) => `${n}× ${k}`).join('; ')}`,
    ].join('\n  '),
  );
});

test.run();
