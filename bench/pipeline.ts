/**
 * pipeline: tasks per second from accept to TASK_FINISHED, end to end through the real master.
 *
 * Per run, everything fresh: a nats-server (temp store), a real master in this process
 * (`startMaster`, allocation interval 100 ms, no offer timeout), K emulated agents
 * (bench/emulated-agent.ts: huge resources, immediate RUNNING + FINISHED), and one framework on the
 * native SDK that accepts every offer with as many tasks as it still needs (batches of up to
 * `batch` tasks of cpus:0.01;mem:1), acknowledges every update, suppresses offers once it needs
 * nothing more, and counts TASK_FINISHED. The clock runs from the first accept to the N-th
 * TASK_FINISHED seen by the framework.
 *
 * Beside it, on the same server once the cluster is stopped, the raw pipelined publish rate, so the
 * pipeline can be put in proportion: (log events per second the pipeline achieved) / (raw rate).
 *
 * To tell where the time goes: while it runs, a sampler records how far the master's fold trails
 * the log head, the outbox and the offers, and the CPU used by this process and by nats-server;
 * afterwards the log is read back and each task's way is split into stages by the events' own
 * times and the stream's store times (bench/log-analysis.ts); and a small unloaded probe (one agent,
 * one task per accept) gives the same stages when nothing queues. A run that makes no progress for
 * `stallMs`, or whose nats-server dies, fails at once with a snapshot of every component; every
 * other wait is bounded too, and everything started is stopped.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalCa, httpGet, makeLocalCa } from '../security/tls/index.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type RunningNatsServer, startNatsServer } from '../cli/nats/index.js';
import { type Party } from '../security/nats/index.js';
import { type AuthMode, type BenchBus, startBenchNats } from './bus.js';
import { STREAM_NAME, type Resources, type TaskStatus } from '../events/index.js';
import { type Offer, type Scheduler, subscribe } from '../frameworks/sdk/index.js';
import { type Bus, connectBus } from '../kernel/shell/bus.js';
import { type MasterHandle, startMaster } from '../kernel/shell/master/index.js';
import * as R from '../kernel/core/resources.js';
import { type EmulatedAgent, startEmulatedAgent } from './emulated-agent.js';
import { type LogBreakdown, analyseLog } from './log-analysis.js';
import { collectGarbage } from './gc.js';
import { type CapturedLog, capturingLogger, silentLogger } from './log.js';
import { mainThreadCpuSeconds, processCpuSeconds, selfCpuSeconds } from './proc.js';
import { RAW_SUBJECT, publishPipelined, statusPayload } from './raw-publish.js';
import { type LatencySummary, latencySummary, median, metric } from './stats.js';
import { type BenchContext, type BenchResult, SanityError } from './types.js';
import { type SubscriberCounts, startOperatorSubscribers } from './operator-subscribers.js';

export interface PipelineOptions {
  readonly tasks: number;
  readonly agents: number;
  /** Most tasks per accept. */
  readonly batch: number;
  /** Filter the framework asks for on the unused part of an accepted offer (Mesos default 5). */
  readonly refuseSeconds: number;
  /** The emulated agents also send TASK_STARTING. */
  readonly withStarting: boolean;
  readonly runs: number;
  /** Tasks in the discarded warm-up run (0: none). */
  readonly warmupTasks: number;
  /** Publishes outstanding in the raw-rate measurement. */
  readonly window: number;
  /** Messages per raw-rate measurement (three are taken). */
  readonly rawMessages: number;
  /** Give up on a run when no task finished for this long. */
  readonly stallMs: number;
  readonly agentResources: string;
  /**
   * Operator event stream subscribers (SUBSCRIBE on /api/v1) during a second run beside each run
   * (0: none, no second run): what serving them costs the pipeline, in the same invocation.
   */
  readonly operatorSubscribers: number;
  /** The subscribers ask for the stream gzip-compressed (Accept-Encoding: gzip) and inflate it. */
  readonly operatorSubscribersGzip: boolean;
  /**
   * TLS on every connection (a local CA, security/tls): off, on, or both (each run twice, plain
   * then TLS, in the same process, so the two are compared under the same conditions).
   */
  readonly tls: 'off' | 'on' | 'both';
  /**
   * on (default): an operator-mode nats-server (security/nats), the master, each agent, the
   * framework and the monitor with credentials of their own, so every message passes the server's
   * checks; off: an open bus; both: each run also on an open bus, right after the secured one.
   */
  readonly auth: AuthMode;
}

export const defaultPipelineOptions = (): PipelineOptions => ({
  tasks: 20_000,
  agents: 10,
  batch: 50,
  refuseSeconds: 0,
  withStarting: false,
  runs: 3,
  warmupTasks: 2_000,
  window: 256,
  rawMessages: 30_000,
  stallMs: 30_000,
  agentResources: 'cpus:1000;mem:1000000',
  operatorSubscribers: 0,
  operatorSubscribersGzip: false,
  tls: 'off',
  auth: 'on',
});

const TASK_RESOURCES: Resources = [...R.parseResources('cpus:0.01;mem:1')];
const TASK_CPUS_MILLI = 10;
const TASK_MEM = 1;

interface Sample {
  readonly at: number;
  readonly head: number;
  readonly folded: number;
  readonly outbox: number;
  readonly offers: number;
  readonly liveTasks: number;
  readonly finished: number;
}

export interface PipelineRun {
  readonly tasks: number;
  readonly windowMs: number;
  readonly tasksPerSec: number;
  /** Log events appended during the window, per second. */
  readonly eventsPerSec: number;
  /** Log events appended per task (from just before the framework subscribed to after everything settled). */
  readonly eventsPerTask: number;
  readonly eventsInWindow: number;
  readonly rawPublishPerSec: number;
  readonly ratio: number;
  readonly framework: Record<string, number>;
  readonly agents: Record<string, number | string>;
  readonly master: Record<string, number>;
  readonly latencyMs: Record<string, LatencySummary>;
  readonly lag: { readonly maxEvents: number; readonly meanEvents: number; readonly samples: number };
  readonly queues: { readonly maxOutbox: number; readonly meanOutbox: number; readonly maxOffers: number; readonly maxLiveTasks: number };
  readonly cpu: {
    readonly benchProcessPct: number;
    readonly natsServerPct: number;
    readonly eventLoopUtilization: number;
    readonly cpuMsPerTask: number;
    /** CPU-ms per task of this process's main thread alone: master, agents and framework, without the subscriber clients' worker thread. */
    readonly mainThreadCpuMsPerTask: number;
    /** The same, until the operator stream subscribers had received everything (= mainThreadCpuMsPerTask without them). */
    readonly mainThreadCpuMsPerTaskDelivered: number;
    /** How long after the last TASK_FINISHED the subscribers received their last record (0: none). */
    readonly deliveredAfterMs: number;
  };
  readonly masterWarnings: Record<string, number>;
  /** Stages of a task's way, from the event and store times in the log. */
  readonly breakdown: LogBreakdown;
  readonly timeline: readonly Sample[];
  /** The operator stream subscribers of this run (absent: none). */
  readonly operatorStream?: SubscriberCounts & { readonly connected: number };
}

class Tracker {
  private readonly set = new Set<Promise<unknown>>();
  add(p: Promise<unknown>): void {
    this.set.add(p);
    void p.finally(() => this.set.delete(p)).catch(() => undefined);
  }
  async settle(): Promise<void> {
    while (this.set.size > 0) await Promise.allSettled([...this.set]);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`pipeline: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

async function streamState(bus: Bus): Promise<{ messages: number; lastSeq: number }> {
  const s = (await bus.jsm.streams.info(STREAM_NAME)).state;
  return { messages: s.messages, lastSeq: s.last_seq };
}

/** `p`, or a rejection naming `what` after `ms`, whichever comes first (the timer never keeps node alive). */
function within<T>(what: string, p: Promise<T>, ms: number, also: Promise<never>[] = []): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`pipeline: ${what}: not done within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout, ...also]).finally(() => clearTimeout(timer));
}

/** One run on a fresh server and cluster. */
export async function pipelineRun(o: PipelineOptions, tasks: number, ctx: BenchContext, label: string, operatorSubscribers = 0, tls?: LocalCa): Promise<PipelineRun> {
  const bus: BenchBus = await startBenchNats({ auth: o.auth !== 'off', ...(tls !== undefined ? { tls } : {}) });
  const server: RunningNatsServer = bus.server;
  // Each party's credentials (its CA too, over TLS); the CA alone for what is not a bus party.
  const credsOf = (party: Party, name: string): { creds?: string } => {
    const c = bus.as(party, name);
    return c.creds !== undefined ? { creds: c.creds } : {};
  };
  const tlsCa = tls !== undefined ? { tlsCa: tls.ca } : {};
  const masterCreds = credsOf('master', 'bench-master');
  // If the server goes away mid-run (crash, or killed from outside), fail at once instead of
  // waiting on clients that reconnect forever.
  let serverAlive = true;
  const serverGone = server.exited.then((code) => {
    serverAlive = false;
    throw new Error(`pipeline: nats-server (pid ${server.pid}) exited during the run (code ${code}); its last output:\n${server.logTail()}`);
  });
  serverGone.catch(() => undefined);
  /** Every wait of the run: bounded, and cut short if the server dies. */
  const step = <T>(what: string, p: Promise<T>, ms = 30_000): Promise<T> => within(what, p, ms, [serverGone]);
  const cleanups: (() => Promise<unknown>)[] = [];
  const masterLog: CapturedLog = capturingLogger('warn');
  let sampler: NodeJS.Timeout | undefined;
  try {
    const monitor = await step('connect the monitor', connectBus({ servers: server.url, name: 'bench-monitor', log: silentLogger(), ...tlsCa, ...credsOf('admin', 'bench-monitor') }));
    cleanups.push(() => monitor.close());

    const master: MasterHandle = await step(
      'start the master',
      startMaster({ nats: server.url, port: 0, allocationIntervalMs: 100, offerTimeoutMs: null, operatorStreamMaxSubscribers: Math.max(1000, operatorSubscribers), ...masterCreds, ...(tls !== undefined ? { tls: { cert: tls.cert, key: tls.key, ca: tls.ca } } : {}) }, masterLog.log),
    );
    cleanups.push(() => master.stop());
    await step('election', waitFor('the master to lead', () => master.isLeader(), 15_000));

    // --- agents
    const launchAt = new Map<string, number>();
    const agents: EmulatedAgent[] = await step('start the agents', Promise.all(
      Array.from({ length: o.agents }, (_, i) =>
        startEmulatedAgent({
          url: server.url,
          index: i,
          resources: o.agentResources,
          sendStarting: o.withStarting,
          log: silentLogger(),
          ...tlsCa,
          ...credsOf('agent', `emulated-${i}-${randomUUID().slice(0, 8)}`),
          onLaunch: (taskId, at) => {
            if (!launchAt.has(taskId)) launchAt.set(taskId, at);
          },
        }),
      ),
    ));
    cleanups.push(() => Promise.all(agents.map((a) => a.stop())));
    await step('registrations', waitFor('the master to fold every agent registration', () => master.state().agents.size === o.agents, 15_000));
    const subscribers = operatorSubscribers > 0 ? startOperatorSubscribers(master.url, operatorSubscribers, o.operatorSubscribersGzip) : null;
    if (subscribers !== null) {
      cleanups.push(() => subscribers.stop());
      await step(`${operatorSubscribers} operator stream subscribers`, subscribers.ready, 60_000);
    }
    const before = await step('stream info', streamState(monitor));

    // --- the framework
    const pending = new Tracker();
    const acceptAt = new Map<string, number>();
    const runningAt = new Map<string, number>();
    const acceptToFinished: number[] = [];
    const launchToFinished: number[] = [];
    const acceptToLaunch: number[] = [];
    const offerGaps: number[] = [];
    const lastOfferAt = new Map<string, number>();
    const finished = new Set<string>();
    const fw = {
      offers: 0,
      accepts: 0,
      declines: 0,
      acceptErrors: 0,
      ackErrors: 0,
      updates: 0,
      acks: 0,
      refusedTasks: 0,
      otherUpdates: 0,
      suppressions: 0,
      revivals: 0,
      duplicateFinished: 0,
    };
    let remaining = tasks;
    let taskNo = 0;
    let suppressed = false;
    let firstAcceptAt: number | null = null;
    let lastFinishedAt: number | null = null;
    let headAtFirstAccept: Promise<number> | null = null;
    let headAtLastFinished: Promise<number> | null = null;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const runId = randomUUID().slice(0, 8);
    let windowCpu: { self: number; main: number; nats: number; at: number; elu: ReturnType<typeof performance.eventLoopUtilization> } | undefined;

    const sched: Scheduler = await step('subscribe the framework', subscribe({ nats: server.url, name: `bench-pipeline-${label}`, user: 'bench', log: silentLogger(), ...tlsCa, ...credsOf('framework', randomUUID()) }));
    cleanups.push(() => sched.close());

    const onOffer = (offer: Offer): void => {
      fw.offers++;
      const now = performance.now();
      const prev = lastOfferAt.get(offer.agentId);
      if (prev !== undefined) offerGaps.push(now - prev);
      lastOfferAt.set(offer.agentId, now);
      const fit = Math.floor(Math.min(Math.round(R.scalar(offer.resources, 'cpus') * 1000) / TASK_CPUS_MILLI, R.scalar(offer.resources, 'mem') / TASK_MEM));
      const n = Math.min(o.batch, remaining, fit);
      if (n <= 0) {
        fw.declines++;
        pending.add(sched.decline([offer.id], 0).catch(() => undefined));
        return;
      }
      const batch = Array.from({ length: n }, () => ({
        taskId: `${runId}-t${++taskNo}`,
        agentId: offer.agentId,
        resources: TASK_RESOURCES,
        command: 'true',
      }));
      remaining -= n;
      if (firstAcceptAt === null) {
        firstAcceptAt = now;
        headAtFirstAccept = streamState(monitor).then((s) => s.lastSeq);
        windowCpu = { self: selfCpuSeconds(), main: mainThreadCpuSeconds(), nats: processCpuSeconds(server.pid), at: now, elu: performance.eventLoopUtilization() };
      }
      for (const t of batch) acceptAt.set(t.taskId, now);
      fw.accepts++;
      pending.add(
        sched.accept([offer.id], batch, { refuseSeconds: o.refuseSeconds }).catch(() => {
          fw.acceptErrors++;
          remaining += n;
        }),
      );
      if (remaining === 0 && !suppressed) {
        suppressed = true;
        fw.suppressions++;
        pending.add(sched.suppress().catch(() => undefined));
      }
    };

    const onUpdate = (s: TaskStatus): void => {
      fw.updates++;
      const now = performance.now();
      if (s.uuid !== undefined) {
        fw.acks++;
        pending.add(
          sched.acknowledge(s).catch(() => {
            fw.ackErrors++;
          }),
        );
      }
      switch (s.state) {
        case 'TASK_STARTING':
        case 'TASK_RUNNING':
          if (!runningAt.has(s.taskId)) runningAt.set(s.taskId, now);
          break;
        case 'TASK_FINISHED': {
          if (finished.has(s.taskId)) {
            fw.duplicateFinished++;
            break;
          }
          finished.add(s.taskId);
          const a = acceptAt.get(s.taskId);
          if (a !== undefined) acceptToFinished.push(now - a);
          const l = launchAt.get(s.taskId);
          if (l !== undefined) {
            launchToFinished.push(now - l);
            if (a !== undefined) acceptToLaunch.push(l - a);
          }
          if (finished.size === tasks) {
            lastFinishedAt = now;
            headAtLastFinished = streamState(monitor).then((st) => st.lastSeq);
            resolveDone();
          }
          break;
        }
        case 'TASK_LOST':
        case 'TASK_ERROR':
        case 'TASK_DROPPED':
          // A refused accept: the task never ran; launch a replacement.
          fw.refusedTasks++;
          remaining++;
          if (suppressed) {
            suppressed = false;
            fw.revivals++;
            pending.add(sched.revive().catch(() => undefined));
          }
          break;
        default:
          fw.otherUpdates++;
      }
    };

    const subs = [sched.offers$.subscribe(onOffer), sched.updates$.subscribe(onUpdate)];
    cleanups.push(async () => subs.forEach((s) => s.unsubscribe()));

    // --- sampling and stall detection
    const timeline: Sample[] = [];
    let sampling = false;
    let lastProgress = { at: performance.now(), finished: 0 };
    let stalled: ((e: Error) => void) | undefined;
    const stall = new Promise<never>((_, reject) => (stalled = reject));
    stall.catch(() => undefined);
    const t0Cpu = { self: selfCpuSeconds(), main: mainThreadCpuSeconds(), nats: processCpuSeconds(server.pid), at: performance.now(), elu: performance.eventLoopUtilization() };
    sampler = setInterval(() => {
      if (sampling) return;
      sampling = true;
      const at = performance.now();
      streamState(monitor)
        .then((st) => {
          const s = master.state();
          timeline.push({ at, head: st.lastSeq, folded: master.seq(), outbox: s.outbox.size, offers: s.offers.size, liveTasks: s.tasks.size, finished: finished.size });
        })
        .catch(() => undefined)
        .finally(() => {
          sampling = false;
        });
      if (finished.size !== lastProgress.finished) lastProgress = { at, finished: finished.size };
      else if (at - lastProgress.at > o.stallMs && finished.size < tasks) {
        stalled?.(new Error(`pipeline stalled: no task finished for ${o.stallMs} ms\n${snapshot()}`));
      }
    }, 100);

    const snapshot = (): string => {
      const s = master.state();
      const byState = new Map<string, number>();
      for (const t of s.tasks.values()) byState.set(t.state, (byState.get(t.state) ?? 0) + 1);
      const outboxTypes = new Map<string, number>();
      for (const d of s.outbox.values()) outboxTypes.set(d.type, (outboxTypes.get(d.type) ?? 0) + 1);
      const last = timeline.at(-1);
      return [
        `  master: leader=${master.isLeader()} folded seq ${master.seq()}, log head ${last?.head ?? '?'}, outbox ${JSON.stringify(Object.fromEntries(outboxTypes))}, ` +
          `offers outstanding ${s.offers.size}, live tasks ${JSON.stringify(Object.fromEntries(byState))}, counters ${JSON.stringify(s.counters)}`,
        `  framework: remaining ${remaining}, finished ${finished.size}/${tasks}, suppressed ${suppressed}, ${JSON.stringify(fw)}`,
        `  agents: ${agents.map((a) => JSON.stringify(a.stats)).join('; ')}`,
        `  master warnings: ${JSON.stringify(Object.fromEntries(masterLog.counts))}`,
      ].join('\n');
    };

    await Promise.race([done, stall, serverGone]);
    const endCpu = { self: selfCpuSeconds(), main: mainThreadCpuSeconds(), nats: processCpuSeconds(server.pid), at: performance.now(), elu: performance.eventLoopUtilization() };
    clearInterval(sampler);
    sampler = undefined;
    // The stream may still be on its way to the subscribers: the master's cost of serving them
    // includes writing it all, so its main-thread CPU is also taken once they stopped receiving
    // (no new record for 1 s; at most 60 s).
    let deliveredMain = endCpu.main;
    let deliveredAfterMs = 0;
    if (subscribers !== null) {
      const t = performance.now();
      let last = (await subscribers.counts()).wireBytes;
      let quietSince = performance.now();
      while (performance.now() - t < 60_000 && performance.now() - quietSince < 1_000) {
        await new Promise((r) => setTimeout(r, 200));
        const now = (await subscribers.counts()).wireBytes;
        if (now !== last) {
          last = now;
          quietSince = performance.now();
        }
      }
      deliveredMain = mainThreadCpuSeconds();
      deliveredAfterMs = quietSince - endCpu.at;
    }

    // --- settle: every ack and status in the log, and folded by the master
    await step('framework calls to be acknowledged', pending.settle());
    await step('agent statuses to be acknowledged', Promise.all(agents.map((a) => a.settle())));
    const head = await step('stream info', streamState(monitor));
    await step('the master to fold the whole log', waitFor('the master to fold the whole log', () => master.seq() >= head.lastSeq, 30_000)).catch(() => undefined);
    const after = await step('stream info', streamState(monitor));
    const masterMetrics = await step(
      'GET /metrics/snapshot',
      httpGet(`${master.url}/metrics/snapshot`, { ...(tls !== undefined ? { ca: readFileSync(tls.ca) } : {}), timeoutMs: 30_000 }).then((r) => JSON.parse(r.text) as Record<string, number>),
      30_000,
    );
    const state = master.state();

    // --- checks
    const problems: string[] = [];
    const finishedInMaster = state.counters.tasksReached.TASK_FINISHED ?? 0;
    if (finished.size !== tasks) problems.push(`framework saw ${finished.size} TASK_FINISHED, expected ${tasks}`);
    if (finishedInMaster !== tasks) problems.push(`master folded ${finishedInMaster} TASK_FINISHED, expected ${tasks}`);
    if (state.counters.invalidStatusUpdates !== 0) problems.push(`master counted ${state.counters.invalidStatusUpdates} invalid status updates`);
    if (state.counters.invalidAcknowledgements !== 0) problems.push(`master counted ${state.counters.invalidAcknowledgements} invalid acknowledgements`);
    const agentErrors = agents.reduce((n, a) => n + a.stats.appendErrors, 0);
    if (agentErrors > 0) problems.push(`agents: ${agentErrors} status appends failed (first: ${agents.find((a) => a.stats.firstError)?.stats.firstError})`);
    if (master.seq() < head.lastSeq) problems.push(`the master's fold stayed behind the log: ${master.seq()} < ${head.lastSeq}`);
    if (problems.length > 0) throw new SanityError(`pipeline run ${label}: ${problems.join('; ')}\n${snapshot()}`);

    // --- the numbers
    const windowMs = lastFinishedAt! - firstAcceptAt!;
    const h0 = await step('stream info', headAtFirstAccept ?? Promise.resolve(before.lastSeq));
    const h1 = await step('stream info', headAtLastFinished ?? Promise.resolve(after.lastSeq));
    const eventsInWindow = h1 - h0;
    const eventsPerTask = (after.messages - before.messages) / tasks;
    const wc = windowCpu ?? t0Cpu;
    const wallS = (endCpu.at - wc.at) / 1000;
    const elu = performance.eventLoopUtilization(endCpu.elu, wc.elu);
    const lagSamples = timeline.filter((s) => s.at >= (firstAcceptAt ?? 0)).map((s) => Math.max(0, s.head - s.folded));
    const windowSamples = timeline.filter((s) => s.at >= (firstAcceptAt ?? 0));
    const agentTotals = {
      commands: sum(agents.map((a) => a.stats.commands)),
      launches: sum(agents.map((a) => a.stats.launches)),
      duplicates: sum(agents.map((a) => a.stats.duplicates)),
      gaps: sum(agents.map((a) => a.stats.gaps)),
      statusesAppended: sum(agents.map((a) => a.stats.statusesAppended)),
      appendErrors: agentErrors,
      pings: sum(agents.map((a) => a.stats.pings)),
      tasksPerLaunch: sum(agents.map((a) => a.stats.tasks)) / Math.max(1, sum(agents.map((a) => a.stats.launches))),
    };

    const streamCounts = subscribers !== null ? await step('operator subscriber counts', subscribers.counts()) : undefined;

    // --- where the time went, from the log itself
    const breakdown = await step('read the log back', analyseLog(monitor, before.lastSeq + 1), 120_000);

    // --- stop the cluster, then the raw rate on the same server
    for (const c of cleanups.splice(0).reverse()) await step('stop a component', c());
    const raw = await step('raw publish rate', rawRate(server.url, o, tls?.ca, masterCreds.creds), 120_000);

    const tasksPerSec = tasks / (windowMs / 1000);
    const eventsPerSec = eventsInWindow / (windowMs / 1000);
    return {
      tasks,
      windowMs,
      tasksPerSec,
      eventsPerSec,
      eventsPerTask,
      eventsInWindow,
      rawPublishPerSec: raw,
      ratio: eventsPerSec / raw,
      framework: { ...fw, finished: finished.size, tasksPerAccept: (tasks + fw.refusedTasks) / Math.max(1, fw.accepts) },
      agents: agentTotals,
      master: pick(masterMetrics, [
        'allocator/mesos/allocation_runs',
        'allocator/mesos/allocation_run_ms/p50',
        'allocator/mesos/allocation_run_ms/p99',
        'allocator/mesos/allocation_run_ms/max',
        'master/valid_status_updates',
        'master/valid_status_update_acknowledgements',
        'master/messages_launch_tasks',
        'master/messages_decline_offers',
        'log/accepts_refused',
        'log/events_folded',
        'master/dropped_messages',
      ]),
      latencyMs: {
        'accept → LaunchTasks at agent': latencySummary(acceptToLaunch),
        'LaunchTasks at agent → FINISHED at framework': latencySummary(launchToFinished),
        'accept → FINISHED at framework': latencySummary(acceptToFinished),
        'between offers for one agent': latencySummary(offerGaps),
      },
      lag: { maxEvents: lagSamples.length ? Math.max(...lagSamples) : 0, meanEvents: lagSamples.length ? sum(lagSamples) / lagSamples.length : 0, samples: lagSamples.length },
      queues: {
        maxOutbox: windowSamples.length ? Math.max(...windowSamples.map((s) => s.outbox)) : 0,
        meanOutbox: windowSamples.length ? sum(windowSamples.map((s) => s.outbox)) / windowSamples.length : 0,
        maxOffers: windowSamples.length ? Math.max(...windowSamples.map((s) => s.offers)) : 0,
        maxLiveTasks: windowSamples.length ? Math.max(...windowSamples.map((s) => s.liveTasks)) : 0,
      },
      cpu: {
        benchProcessPct: (100 * (endCpu.self - wc.self)) / wallS,
        natsServerPct: (100 * (endCpu.nats - wc.nats)) / wallS,
        eventLoopUtilization: elu.utilization,
        cpuMsPerTask: ((endCpu.self - wc.self + (endCpu.nats - wc.nats)) * 1000) / tasks,
        mainThreadCpuMsPerTask: ((endCpu.main - wc.main) * 1000) / tasks,
        mainThreadCpuMsPerTaskDelivered: ((deliveredMain - wc.main) * 1000) / tasks,
        deliveredAfterMs,
      },
      masterWarnings: Object.fromEntries(masterLog.counts),
      breakdown,
      timeline,
      ...(streamCounts !== undefined ? { operatorStream: { ...streamCounts, connected: operatorSubscribers } } : {}),
    };
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    // After a failure: stop what was started, each bounded (a client of a dead server may never drain).
    for (const c of cleanups.reverse()) await within('stop a component', c(), serverAlive ? 15_000 : 2_000).catch(() => undefined);
    await bus.stop();
  }
}

/** The raw pipelined publish rate on a server (median of three), on the cluster stream. */
async function rawRate(url: string, o: PipelineOptions, tlsCa?: string, creds?: string): Promise<number> {
  // Secured: as the master (the raw subject lies under cl.>, which only masters may append on).
  const bus = await connectBus({ servers: url, name: 'bench-raw', log: silentLogger(), ...(tlsCa !== undefined ? { tlsCa } : {}), ...(creds !== undefined ? { creds } : {}) });
  try {
    const payload = statusPayload();
    await publishPipelined(bus.js, RAW_SUBJECT, payload, 5_000, o.window);
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      const ms = await publishPipelined(bus.js, RAW_SUBJECT, payload, o.rawMessages, o.window);
      rates.push(o.rawMessages / (ms / 1000));
    }
    return median(rates);
  } finally {
    await bus.close();
  }
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const pick = (m: Record<string, number>, keys: readonly string[]): Record<string, number> =>
  Object.fromEntries(keys.filter((k) => k in m).map((k) => [k, m[k]!]));

export async function runPipeline(o: PipelineOptions, ctx: BenchContext): Promise<BenchResult> {
  const wallStart = performance.now();
  if (o.warmupTasks > 0) {
    ctx.progress(`pipeline: warm-up run (${o.warmupTasks.toLocaleString('en-US')} tasks, discarded)`);
    const w = await pipelineRun(o, o.warmupTasks, ctx, 'warmup');
    ctx.progress(`pipeline: warm-up ${fmt(w.tasksPerSec)} tasks/s`);
  }
  const runs: PipelineRun[] = [];
  const withSubs: PipelineRun[] = [];
  const N = o.operatorSubscribers;
  // --tls both: each run also over TLS, right after the plain one.
  const ca = o.tls !== 'off' ? await makeLocalCa(await mkdtemp(join(tmpdir(), 'mesos-bench-tls-'))) : undefined;
  const tlsRuns: PipelineRun[] = [];
  // --auth both: each run also on an open bus, right after (or, every other run, before) the secured one.
  const openRuns: PipelineRun[] = [];
  const openRun = async (r: number): Promise<void> => {
    collectGarbage();
    const t = await pipelineRun({ ...o, auth: 'off' }, o.tasks, ctx, `run${r + 1}-open`, 0, o.tls === 'on' ? ca : undefined);
    openRuns.push(t);
    ctx.progress(`pipeline: run ${r + 1}/${o.runs} on an open bus: ${fmt(t.tasksPerSec)} tasks/s, raw ${fmt(t.rawPublishPerSec)} msgs/s`);
  };
  for (let r = 0; r < o.runs; r++) {
    if (o.auth === 'both' && r % 2 === 1) await openRun(r);
    // With subscribers, each run is a pair (0 and N subscribers), in alternating order.
    const order = N === 0 ? [0] : r % 2 === 0 ? [0, N] : [N, 0];
    for (const subs of order) {
      collectGarbage();
      const what = (subs === 0 ? '' : `, ${subs} operator stream subscribers${o.operatorSubscribersGzip ? ' (gzip)' : ''}`) + (o.tls === 'on' ? ', over TLS' : '') + (o.auth === 'off' ? ', open bus' : ', secured bus');
      ctx.progress(`pipeline: run ${r + 1}/${o.runs}: ${o.tasks.toLocaleString('en-US')} tasks, ${o.agents} emulated agents${what}`);
      const t0 = performance.now();
      const run = await pipelineRun(o, o.tasks, ctx, `run${r + 1}${subs === 0 ? '' : `-subs${subs}`}`, subs, o.tls === 'on' ? ca : undefined);
      (subs === 0 ? runs : withSubs).push(run);
      const st = run.operatorStream;
      ctx.progress(
        `pipeline: run ${r + 1}/${o.runs}${what}: ${fmt(run.tasksPerSec)} tasks/s, ${fmt(run.eventsPerSec)} log events/s, ${run.eventsPerTask.toFixed(2)} events/task, ` +
          `raw ${fmt(run.rawPublishPerSec)} msgs/s (ratio ${run.ratio.toFixed(3)}), window ${(run.windowMs / 1000).toFixed(1)} s, run ${((performance.now() - t0) / 1000).toFixed(1)} s` +
          `, main thread ${run.cpu.mainThreadCpuMsPerTask.toFixed(2)} CPU-ms/task` +
          (st !== undefined ? ` (${run.cpu.mainThreadCpuMsPerTaskDelivered.toFixed(2)} until the subscribers had it all, ${(run.cpu.deliveredAfterMs / 1000).toFixed(1)} s after)` : '') +
          (st !== undefined ? `; subscribers: ${fmt(st.records / st.counting)} records and ${fmt(st.bytes / st.counting / 1024)} KiB each (counted by ${st.counting}), ${fmt(st.wireBytes / st.connected / 1024)} KiB each off the wire, ${st.closedByServer} closed by the master` : ''),
      );
    }
    if (o.tls === 'both') {
      collectGarbage();
      const t = await pipelineRun(o, o.tasks, ctx, `run${r + 1}-tls`, 0, ca);
      tlsRuns.push(t);
      ctx.progress(`pipeline: run ${r + 1}/${o.runs} over TLS: ${fmt(t.tasksPerSec)} tasks/s, raw ${fmt(t.rawPublishPerSec)} msgs/s`);
    }
    if (o.auth === 'both' && r % 2 === 0) await openRun(r);
  }
  if (ca !== undefined) await rm(ca.dir, { recursive: true, force: true });
  // The same path unloaded: one agent, one task per accept, so nothing queues behind anything.
  ctx.progress('pipeline: unloaded probe (300 tasks, 1 agent, 1 task per accept)');
  const probe = await pipelineRun({ ...o, agents: 1, batch: 1, rawMessages: 5_000 }, 300, ctx, 'probe');
  const probeStage = (k: string): string => {
    const e = Object.entries(probe.breakdown.stages).find(([name]) => name.startsWith(k));
    return e === undefined ? '?' : `${e[1].p50.toFixed(0)} ms`;
  };

  // Notes describe the median run (by tasks/s).
  const mid = [...runs].sort((a, b) => a.tasksPerSec - b.tasksPerSec)[runs.length >> 1]!;
  const lat = (k: string): string => {
    const l = mid.latencyMs[k]!;
    return `${k}: p50 ${l.p50.toFixed(1)} ms, p90 ${l.p90.toFixed(1)}, p99 ${l.p99.toFixed(1)}, max ${l.max.toFixed(1)} (n=${l.count})`;
  };
  const statuses = o.withStarting ? 'TASK_STARTING, TASK_RUNNING, TASK_FINISHED' : 'TASK_RUNNING then TASK_FINISHED (TASK_STARTING skipped)';
  return {
    name: 'pipeline',
    params: {
      tasks: o.tasks,
      agents: o.agents,
      batch: o.batch,
      refuseSeconds: o.refuseSeconds,
      agentResources: o.agentResources,
      taskResources: 'cpus:0.01;mem:1',
      statuses,
      runs: o.runs,
      warmupTasks: o.warmupTasks,
      master: '{ allocationIntervalMs: 100, offerTimeoutMs: null }, in process',
      tls: o.tls,
      auth: o.auth,
      rawWindow: o.window,
      rawMessages: o.rawMessages,
      operatorSubscribers: N,
      operatorSubscribersGzip: o.operatorSubscribersGzip,
    },
    metrics: {
      'tasks/s (accept → last FINISHED)': metric('tasks/s', runs.map((r) => r.tasksPerSec)),
      'log events/s during the window': metric('events/s', runs.map((r) => r.eventsPerSec)),
      'log events per task': metric('events', runs.map((r) => r.eventsPerTask), { better: 'lower' }),
      [`raw pipelined publish, same server (w=${o.window})`]: metric('msgs/s', runs.map((r) => r.rawPublishPerSec)),
      'ratio: pipeline events/s ÷ raw msgs/s': metric('ratio', runs.map((r) => r.ratio)),
      ...(N > 0
        ? {
            [`tasks/s with ${N} operator stream subscribers`]: metric('tasks/s', withSubs.map((r) => r.tasksPerSec)),
            'main-thread CPU-ms per task, 0 subscribers (master, agents, framework)': metric('ms', runs.map((r) => r.cpu.mainThreadCpuMsPerTask), { better: 'lower' }),
            [`main-thread CPU-ms per task, ${N} subscribers (their clients are in a worker thread, not counted)`]: metric('ms', withSubs.map((r) => r.cpu.mainThreadCpuMsPerTask), { better: 'lower' }),
            [`ratio: ${N} ÷ 0 subscribers tasks/s, run by run`]: metric('ratio', withSubs.map((r, i) => r.tasksPerSec / runs[i]!.tasksPerSec)),
            [`ratio: ${N} ÷ 0 subscribers main-thread CPU-ms per task, run by run`]: metric('ratio', withSubs.map((r, i) => r.cpu.mainThreadCpuMsPerTask / runs[i]!.cpu.mainThreadCpuMsPerTask), { better: 'lower' }),
            [`main-thread CPU-ms per task until the ${N} subscribers received everything`]: metric('ms', withSubs.map((r) => r.cpu.mainThreadCpuMsPerTaskDelivered), { better: 'lower' }),
            [`ratio: ${N} (until delivered) ÷ 0 subscribers main-thread CPU-ms per task, run by run`]: metric('ratio', withSubs.map((r, i) => r.cpu.mainThreadCpuMsPerTaskDelivered / runs[i]!.cpu.mainThreadCpuMsPerTask), { better: 'lower' }),
            [`subscribers' last record after the last TASK_FINISHED (${N} subscribers)`]: metric('ms', withSubs.map((r) => r.cpu.deliveredAfterMs), { better: 'lower' }),
            [`records per subscriber (${N} subscribers)`]: metric('records', withSubs.map((r) => r.operatorStream!.records / r.operatorStream!.counting)),
            [`KiB read off the connection per subscriber (${N} subscribers)`]: metric('KiB', withSubs.map((r) => r.operatorStream!.wireBytes / N / 1024)),
            [`subscribers closed by the master (${N} subscribers)`]: metric('subscribers', withSubs.map((r) => r.operatorStream!.closedByServer), { better: 'lower' }),
          }
        : {}),
      ...(openRuns.length > 0
        ? {
            'tasks/s on an open bus (same runs, no credentials)': metric('tasks/s', openRuns.map((r) => r.tasksPerSec)),
            'ratio: secured ÷ open tasks/s, run by run': metric('ratio', openRuns.map((r, i) => runs[i]!.tasksPerSec / r.tasksPerSec)),
            [`raw pipelined publish on an open bus (w=${o.window})`]: metric('msgs/s', openRuns.map((r) => r.rawPublishPerSec)),
            'ratio: secured ÷ open raw publish, run by run': metric('ratio', openRuns.map((r, i) => runs[i]!.rawPublishPerSec / r.rawPublishPerSec)),
            // CPU per task (this process and nats-server) depends far less on other load than rates do.
            'CPU-ms per task, secured (this process + nats-server)': metric('ms', runs.slice(0, openRuns.length).map((r) => r.cpu.cpuMsPerTask), { better: 'lower' }),
            'CPU-ms per task, open bus (this process + nats-server)': metric('ms', openRuns.map((r) => r.cpu.cpuMsPerTask), { better: 'lower' }),
            'ratio: secured ÷ open CPU-ms per task, run by run': metric('ratio', openRuns.map((r, i) => runs[i]!.cpu.cpuMsPerTask / r.cpu.cpuMsPerTask), { better: 'lower' }),
          }
        : {}),
      ...(tlsRuns.length > 0
        ? {
            'tasks/s over TLS (same runs, TLS on every NATS connection)': metric('tasks/s', tlsRuns.map((r) => r.tasksPerSec)),
            [`raw pipelined publish over TLS (w=${o.window})`]: metric('msgs/s', tlsRuns.map((r) => r.rawPublishPerSec)),
            'ratio: TLS ÷ plain tasks/s, run by run': metric('ratio', tlsRuns.map((r, i) => r.tasksPerSec / runs[i]!.tasksPerSec)),
            'CPU-ms per task over TLS (this process + nats-server)': metric('ms', tlsRuns.map((r) => r.cpu.cpuMsPerTask), { better: 'lower' }),
            'ratio: TLS ÷ plain CPU-ms per task, run by run': metric('ratio', tlsRuns.map((r, i) => r.cpu.cpuMsPerTask / runs[i]!.cpu.cpuMsPerTask), { better: 'lower' }),
          }
        : {}),
    },
    notes: [
      `emulated agents send ${statuses}; the framework acknowledges every update; one process runs master, ${o.agents} agents and the framework (one event loop)`,
      `median run: ${mid.tasks.toLocaleString('en-US')} tasks in ${(mid.windowMs / 1000).toFixed(2)} s; ${mid.framework.accepts} accepts (${mid.framework.tasksPerAccept!.toFixed(1)} tasks each), ` +
        `${mid.framework.offers} offers, ${mid.framework.declines} declines, ${mid.framework.refusedTasks} refused tasks`,
      `median run, latency: ${lat('accept → LaunchTasks at agent')}`,
      `median run, latency: ${lat('LaunchTasks at agent → FINISHED at framework')}`,
      `median run, latency: ${lat('accept → FINISHED at framework')}`,
      `median run, latency: ${lat('between offers for one agent')}`,
      `median run, master fold behind the log head: mean ${mid.lag.meanEvents.toFixed(0)} events, max ${mid.lag.maxEvents} ` +
        `(sampled every 100 ms on the same event loop, so only between batches: it says the fold does not fall behind over time, not how long an event waits; see the stages from the log); ` +
        `outbox mean ${mid.queues.meanOutbox.toFixed(1)}, max ${mid.queues.maxOutbox}; outstanding offers max ${mid.queues.maxOffers}; live tasks max ${mid.queues.maxLiveTasks}`,
      `median run, CPU during the window: bench process ${mid.cpu.benchProcessPct.toFixed(0)}% (event loop utilisation ${(100 * mid.cpu.eventLoopUtilization).toFixed(0)}%), ` +
        `nats-server ${mid.cpu.natsServerPct.toFixed(0)}% (of one core; 200% = both); ${mid.cpu.cpuMsPerTask.toFixed(2)} CPU-ms per task`,
      ...Object.entries(mid.breakdown.stages).map(
        ([k, l]) => `median run, from the log: ${k}: p50 ${l.p50.toFixed(0)} ms, p90 ${l.p90.toFixed(0)}, p99 ${l.p99.toFixed(0)}, max ${l.max.toFixed(0)} (n=${l.count})`,
      ),
      `unloaded probe (1 agent, 1 task per accept, 300 tasks): ${fmt(probe.tasksPerSec)} tasks/s; accept → FINISHED at framework p50 ${probe.latencyMs['accept → FINISHED at framework']!.p50.toFixed(1)} ms; ` +
        `p50 from the log: master accept stored → LaunchTasks stamped ${probeStage('accept stored → LaunchTasks')}, agent ${probeStage('LaunchTasks stored → its last')}, ` +
        `framework ack ${probeStage('status stored → its ack')}, next offer ${probeStage('accept stored → next offer')}; CPU ${probe.cpu.cpuMsPerTask.toFixed(2)} CPU-ms per task`,
      `median run, master: ${JSON.stringify(mid.master)}`,
      `median run, agents: ${JSON.stringify(mid.agents)}; master warnings: ${JSON.stringify(mid.masterWarnings)}`,
    ],
    details: {
      runs: runs.map(({ timeline, ...rest }) => ({ ...rest, timeline: timeline.filter((_, i) => i % 5 === 0) })),
      ...(N > 0 ? { runsWithOperatorSubscribers: withSubs.map(({ timeline, ...rest }) => ({ ...rest, timeline: timeline.filter((_, i) => i % 5 === 0) })) } : {}),
      unloadedProbe: { ...probe, timeline: [] },
    },
    wallMs: performance.now() - wallStart,
  };
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
