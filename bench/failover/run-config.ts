/**
 * One configuration of the failover benchmark: build the history or cluster, start real masters,
 * kill -9 the leader repeatedly and measure each takeover, then the cold start of a replacement.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningNatsServer } from '../../cli/nats/index.js';
import { type BenchBus, startBenchNats } from '../bus.js';
import { type LocalCa, makeLocalCa } from '../../security/tls/index.js';
import { type ClusterEvent, type FrameworkId, STREAM_NAME, asFrameworkId } from '../../events/index.js';
import { type Bus, connectBus, ensureStream } from '../../kernel/shell/bus.js';
import { evolve, initialState } from '../../kernel/core/fold/index.js';
import { type State } from '../../kernel/core/state.js';
import { type AgentPongs, startAgentPongs } from '../agent-pongs.js';
import { clusterEventCount, clusterEvents } from '../cluster-state.js';
import { type Decliner, startDecliner } from '../decliner.js';
import { collectGarbage } from '../gc.js';
import { silentLogger } from '../log.js';
import { type LogWatch, startLogWatch } from '../log-watch.js';
import { type MasterProcess, getJson, healthy, spawnMasterProcess } from '../master-process.js';
import { type PrefillResult, prefillLog } from '../prefill.js';
import { machineCpuSeconds, processCpuSeconds, selfCpuSeconds } from '../proc.js';
import { Prng } from '../prng.js';
import { generateLog } from '../synthetic-log.js';
import { type ProbeResult, probeTakeover } from '../takeover-probe.js';
import { type BenchContext } from '../types.js';
import { Config, FailoverOptions, HOLD_EVERY, declineSecondsFor, decliningFrameworksFor, gapStats, labelOf, liveFrameworksFor, ttlMs } from './options.js';

interface Takeover {
  readonly kill: number;
  readonly killedPort: number;
  readonly oldEpoch: number;
  readonly newEpoch: number;
  readonly newLeaderPort: number;
  readonly killAt: number;
  readonly leaseAt: number | null;
  /** The dead leader's last renewal of the lease before the kill. */
  readonly lastRenewalAt: number | null;
  /** Lease taken − last renewal: the lease's effective life (TTL + expiry delay + the standby's poll). */
  readonly leaseAgeMs: number | null;
  readonly electedStoredAt: number;
  /** The new leader's own log line "elected leader" (after folding its LeaderElected). */
  readonly leadingAt: number | null;
  readonly firstOffersStoredAt: number;
  readonly totalMs: number;
  readonly leaseMs: number | null;
  readonly electionMs: number | null;
  readonly firstAllocationMs: number;
  readonly electionFoldMs: number | null;
  readonly firstOffers: number;
  readonly firstOffersBytes: number;
  readonly newLeaderAllocation: Record<string, number>;
}

interface ColdStart {
  readonly label: string;
  readonly listenMs: number;
  readonly healthMs: number;
  readonly snapshotLoadedSeq: number;
  readonly headAtSpawn: number;
  /** From its log: the snapshot load itself. */
  readonly snapshotLoadMs: number | null;
  readonly foldedAfterSnapshot: number | null;
  readonly rssMb: number;
}

export interface ConfigResult {
  readonly label: string;
  readonly config: Config;
  readonly frameworks: number;
  /** Of which declining (the others subscribed suppressed). */
  readonly declining: number;
  readonly refuseSeconds: number;
  readonly budgetStop?: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly prefill?: PrefillResult & { readonly generateMs?: number };
  readonly probe?: ProbeResult;
  readonly initialStarts: ColdStart[];
  readonly coldStarts: ColdStart[];
  readonly takeovers: Takeover[];
  readonly stream?: { messages: number; bytes: number };
  readonly decliners?: Record<string, number>;
  /** Elections in the log during the run, kills, and samples discarded because the leader changed before the kill. */
  readonly elections?: {
    total: number;
    kills: number;
    unforced: number;
    discarded: number;
    lostLeaseWarnings: number;
    /** From the first election to the end of the run (s). */
    spanS: number;
    /** Lease renewal gaps of the holders (ms), over the whole run. */
    renewalGaps: { count: number; p50: number; p99: number; max: number; overTtl: number };
  };
  readonly pongs?: { pings: number; agents: number; malformed: number };
  readonly masterWarnings: Record<string, number>;
  readonly firstWarnings: string[];
  readonly peakRssMb: { masters: number; natsServer: number; bench: number };
  readonly cpu?: { machineBusyPct: number; natsPct: number; benchPct: number; mastersPct: number; wallS: number };
  readonly steadyAllocation?: Record<string, number>;
  readonly wallMs: number;
}

const FIRST_SNAPSHOT_WAIT_MS = 180_000;
/** After the first master is elected, and alone, how long to watch whether it keeps its lease. */
const STABILITY_WINDOW_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function within<T>(what: string, p: Promise<T>, ms: number, also: Promise<never>[] = []): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`failover: ${what}: not done within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout, ...also]).finally(() => clearTimeout(timer));
}

function rssMbOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function headSeqOf(bus: Bus): Promise<{ lastSeq: number; messages: number; bytes: number }> {
  const s = (await bus.jsm.streams.info(STREAM_NAME)).state;
  return { lastSeq: s.last_seq, messages: s.messages, bytes: s.bytes };
}

const ALLOC_KEYS = [
  'allocator/mesos/allocation_runs',
  'allocator/mesos/allocation_run_ms/count',
  'allocator/mesos/allocation_run_ms',
  'allocator/mesos/allocation_run_ms/min',
  'allocator/mesos/allocation_run_ms/p50',
  'allocator/mesos/allocation_run_ms/p99',
  'allocator/mesos/allocation_run_ms/max',
  'allocator/last_cycle_candidates',
  'allocator/last_cycle_full',
  'allocator/standby_warm_runs',
  'master/outstanding_offers',
  'master/slaves_active',
  'master/tasks_running',
  'master/frameworks_active',
  'log/seq',
  'log/offers_invalid',
  'log/outbox_pending',
  'master/dropped_messages',
];
const pick = (m: Record<string, number> | null, keys: readonly string[]): Record<string, number> =>
  m === null ? {} : Object.fromEntries(keys.filter((k) => k in m).map((k) => [k, m[k]!]));

/** One configuration, on a fresh server. */
export async function runConfig(o: FailoverOptions, c: Config, ctx: BenchContext, rng: Prng): Promise<ConfigResult> {
  const wall0 = performance.now();
  const label = labelOf(c);
  const K = liveFrameworksFor(o, c);
  const declining = decliningFrameworksFor(o, c);
  const refuseSeconds = declineSecondsFor(o, c);
  const say = (msg: string): void => ctx.progress(`failover [${label}]: ${msg}`);
  const masters: MasterProcess[] = [];
  const allMasters: MasterProcess[] = [];
  const initialStarts: ColdStart[] = [];
  const coldStarts: ColdStart[] = [];
  const takeovers: Takeover[] = [];
  const decliners: Decliner[] = [];
  let pongs: AgentPongs | undefined;
  let watch: LogWatch | undefined;
  let monitor: Bus | undefined;
  let server: RunningNatsServer | undefined;
  let nb: BenchBus | undefined;
  let tlsCa: LocalCa | undefined;
  let prefill: (PrefillResult & { generateMs?: number }) | undefined;
  let probe: ProbeResult | undefined;
  let stream: { messages: number; bytes: number } | undefined;
  let cpu: ConfigResult['cpu'];
  let steadyAllocation: Record<string, number> | undefined;
  const peak = { masters: 0, natsServer: 0, bench: 0 };
  let error: string | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let killsDone = 0;
  let budgetStop: string | undefined;
  let discardedSamples = 0;

  const masterArgs = [
    '--leader-lease',
    o.leaderLease,
    '--allocation-interval',
    o.allocationInterval,
    '--agent-ping-timeout',
    o.agentPingTimeout,
    '--max-agent-ping-timeouts',
    String(o.maxAgentPingTimeouts),
    '--snapshot-every',
    String(o.snapshotEvery),
  ];

  const samplePeaks = (): void => {
    const mastersRss = masters.filter((m) => m.alive()).map((m) => m.rssBytes() / 2 ** 20);
    for (const r of mastersRss) if (r > peak.masters) peak.masters = r;
    if (server !== undefined) peak.natsServer = Math.max(peak.natsServer, rssMbOf(server.pid) || 0);
    peak.bench = Math.max(peak.bench, process.memoryUsage().rss / 2 ** 20);
  };

  try {
    // Secured (default): the synthetic history is written by the bench's history writer, the pings
    // of every emulated agent answered by its pong responder (bench/bus.ts); each master and each
    // framework connects with credentials of its own.
    tlsCa = o.tls ? await makeLocalCa(await mkdtemp(join(tmpdir(), 'mesos-bench-tls-'))) : undefined;
    nb = await startBenchNats({ auth: o.auth !== 'off', ...(tlsCa !== undefined ? { tls: tlsCa } : {}) });
    server = nb.server;
    const srv = server;
    const bus = nb;
    const serverGone = srv.exited.then((code) => {
      throw new Error(`nats-server (pid ${srv.pid}) exited during the run (code ${code}); its last output:\n${srv.logTail()}`);
    });
    serverGone.catch(() => undefined);
    const step = <T>(what: string, p: Promise<T>, ms: number): Promise<T> => within(what, p, ms, [serverGone]);

    monitor = await step('connect', connectBus({ servers: server.url, name: 'bench-failover-monitor', log: silentLogger(), ...bus.historyWriter() }), 15_000);
    await step('create the stream', ensureStream(monitor.jsm), 15_000);

    // --- the history
    let liveIds: FrameworkId[] = [];
    if (c.kind === 'history') {
      say(`generating a synthetic history of ${c.events.toLocaleString('en-US')} events (${o.historyAgents} agents, ${o.historyFrameworks} frameworks)`);
      const g0 = performance.now();
      let log: ReturnType<typeof generateLog> | undefined = generateLog({ events: c.events, agents: o.historyAgents, frameworks: o.historyFrameworks, seed: o.seed });
      const generateMs = performance.now() - g0;
      say(`appending it (pipelined, window ${o.window})`);
      const r = await step('pre-fill', prefillLog(monitor.js, log.events, { window: o.window, progress: (n) => say(`  ${n.toLocaleString('en-US')} appended`), progressEvery: 250_000 }), 30 * 60_000);
      prefill = { ...r, generateMs };
      log = undefined;
    } else {
      liveIds = Array.from({ length: K }, () => asFrameworkId(randomUUID()));
      const shape = { agents: c.agents, tasks: c.tasks, frameworkIds: liveIds, frameworkName: (j: number) => `bench-failover-${j}`, seed: o.seed };
      const total = clusterEventCount(shape);
      say(`appending the log of ${c.agents.toLocaleString('en-US')} agents running ${c.tasks.toLocaleString('en-US')} tasks (${total.toLocaleString('en-US')} events)${o.probe ? ', folding it here too' : ''}`);
      let state: State | undefined = o.probe ? initialState() : undefined;
      const onEvent = state === undefined ? undefined : (e: ClusterEvent) => void evolve(state!, e);
      const r = await step(
        'pre-fill',
        prefillLog(monitor.js, clusterEvents(shape), { window: o.window, ...(onEvent ? { onEvent } : {}), progress: (n) => say(`  ${n.toLocaleString('en-US')}/${total.toLocaleString('en-US')} appended`), progressEvery: 200_000 }),
        30 * 60_000,
      );
      prefill = r;
      if (r.events !== total) throw new Error(`pre-fill appended ${r.events} events, expected ${total}`);
      if (state !== undefined) {
        const running = [...state.tasks.values()].filter((t) => t.state === 'TASK_RUNNING').length;
        if (state.agents.size !== c.agents || running !== c.tasks || state.outbox.size !== 0 || state.counters.acceptsRefused !== 0) {
          throw new Error(`the pre-filled state is not as built: ${state.agents.size} agents, ${running} running tasks, outbox ${state.outbox.size}, ${state.counters.acceptsRefused} accepts refused`);
        }
        say('timing the takeover work in this process on the same state (allocator, offer events, folds, snapshot)');
        probe = probeTakeover(state, { declineChunk: o.declineChunk, refuseSeconds, offerTimeoutMs: 30_000 });
        say(
          `  allocate ${probe.allocateMs.toFixed(0)} ms (${probe.proposals} offers), offerEvents ${probe.offerEventsMs.toFixed(0)} ms, encode ${probe.encodeOffersMs.toFixed(0)} ms, ` +
            `largest OffersCreated ${(probe.largestOffersEventBytes / 2 ** 20).toFixed(2)} MiB (${probe.offersEventsOverMaxPayload} over 1 MiB), decode ${probe.decodeOffersMs.toFixed(0)} ms, ` +
            `fold offers ${probe.foldOffersMs.toFixed(0)} ms, fold election ${probe.foldElectionMs.toFixed(0)} ms, fold declines ${probe.foldDeclinesMs.toFixed(0)} / ${probe.foldDeclinesSecondRoundMs.toFixed(0)} ms, ` +
            `snapshot ${(probe.snapshotBytes / 2 ** 20).toFixed(0)} MiB in ${probe.snapshotEncodeMs.toFixed(0)} ms, read ${probe.snapshotDecodeMs.toFixed(0)} ms`,
        );
      }
      state = undefined;
      collectGarbage();
    }
    const afterPrefill = await headSeqOf(monitor);
    say(`log: ${afterPrefill.messages.toLocaleString('en-US')} events, ${(afterPrefill.bytes / 2 ** 20).toFixed(0)} MiB; pre-fill ${((prefill?.ms ?? 0) / 1000).toFixed(1)} s`);

    watch = await step('watch the log', startLogWatch(monitor, afterPrefill.lastSeq + 1), 15_000);
    const w = watch;
    pongs = await step('agent pongs', startAgentPongs(server.url, bus.pongResponder()), 15_000);

    // --- the frameworks that decline, subscribed before any master runs (so that the first leader
    // offers to them at once rather than after the synthetic frameworks' offers time out)
    for (let j = 0; j < K; j++) {
      decliners.push(
        await step(
          'subscribe a framework',
          startDecliner({
            url: srv.url,
            ...bus.as('framework', liveIds[j] ?? randomUUID()),
            name: `bench-failover-${j}`,
            ...(liveIds[j] !== undefined ? { frameworkId: liveIds[j] } : {}),
            refuseSeconds,
            chunk: o.declineChunk,
            holdEvery: HOLD_EVERY,
            suppressed: j >= declining,
          }),
          30_000,
        ),
      );
    }

    // --- masters, one after another
    const startOne = async (name: string, list: ColdStart[]): Promise<MasterProcess> => {
      const head = (await headSeqOf(monitor!)).lastSeq;
      const m = await step(`start ${name}`, spawnMasterProcess(srv.url, [...masterArgs, ...bus.cliArgs('master', name)], { label: name, heapMb: o.heapMb, listenTimeoutMs: o.startTimeoutMs }), o.startTimeoutMs + 5_000);
      masters.push(m);
      allMasters.push(m);
      const listenMs = Date.now() - m.spawnedAt;
      const until = m.spawnedAt + o.startTimeoutMs;
      for (;;) {
        if (await healthy(m)) break;
        if (!m.alive()) throw new Error(`master ${name} exited while starting; its last output:\n${m.tail()}`);
        if (Date.now() > until) throw new Error(`master ${name} was not caught up (/health 200) within ${o.startTimeoutMs} ms; its last output:\n${m.tail()}`);
        await sleep(25);
      }
      const healthMs = Date.now() - m.spawnedAt;
      const met = await getJson<Record<string, number>>(m, '/metrics/snapshot', 30_000);
      const loaded = m.lines.find((l) => l.msg === 'loaded a snapshot');
      const caught = m.lines.find((l) => l.msg === 'caught up with the log');
      const snapSeq = met?.['log/snapshot_loaded_seq'] ?? Number.NaN;
      const cs: ColdStart = {
        label: name,
        listenMs,
        healthMs,
        snapshotLoadedSeq: snapSeq,
        headAtSpawn: head,
        snapshotLoadMs: loaded === undefined ? null : Number(loaded.fields.ms),
        foldedAfterSnapshot: caught === undefined ? null : Number(caught.fields.seq) - (snapSeq || 0),
        rssMb: m.rssBytes() / 2 ** 20,
      };
      list.push(cs);
      say(
        `${name} caught up in ${(healthMs / 1000).toFixed(2)} s (listening after ${(listenMs / 1000).toFixed(2)} s; ` +
          `${snapSeq > 0 ? `snapshot of seq ${snapSeq} loaded in ${cs.snapshotLoadMs} ms, then ${cs.foldedAfterSnapshot} events folded` : 'no snapshot: folded the whole log'}; head was ${head}; RSS ${cs.rssMb.toFixed(0)} MiB)`,
      );
      return m;
    };

    const first = await startOne('master-1', initialStarts);
    await step('the first election', (async () => {
      while (w.latestElection()?.port !== first.port) await sleep(20);
    })(), 60_000);
    say(`master-1 leads (epoch ${w.latestElection()!.epoch})`);
    {
      // Can one master keep the lease at this size? (Nothing else competes for it yet.)
      const e0 = w.elections.length;
      const t0 = Date.now();
      await sleep(STABILITY_WINDOW_MS);
      const self = w.elections.length - e0;
      const g = gapStats(w.renewalGaps(t0), ttlMs(o.leaderLease));
      say(`stability: ${self} re-election(s) of the only master in ${STABILITY_WINDOW_MS / 1000} s; lease renewal gaps p50 ${g.p50.toFixed(0)}, max ${g.max.toFixed(0)} ms (${g.overTtl} of ${g.count} over the TTL)`);
      // Unstable: it lost the lease twice, or lost it and never renewed it again in the window.
      if (self >= 2 || (self >= 1 && g.count === 0)) {
        throw new Error(
          `leadership is not stable: the only master lost its ${o.leaderLease} lease and re-elected itself ${self} times in ${STABILITY_WINDOW_MS / 1000} s ` +
            `(lease renewals, due every third of the TTL, came p50 ${g.p50.toFixed(0)} ms, p99 ${g.p99.toFixed(0)} ms, max ${g.max.toFixed(0)} ms apart; ${g.overTtl} of ${g.count} gaps over the TTL); ` +
            `its warnings: ${JSON.stringify(Object.fromEntries(first.warnings))}`,
        );
      }
    }
    if (afterPrefill.lastSeq >= o.snapshotEvery && o.snapshotEvery > 0) {
      // The others start from the snapshot the leader writes once it has folded snapshotEvery
      // events; waited for a while only (on a busy leader writing it took minutes: see the notes).
      // A snapshot near the head (the writer catching up writes only now and then on its way).
      const nearHead = (l: { msg: string; fields: Record<string, unknown> }): boolean => l.msg === 'wrote a snapshot' && Number(l.fields.seq) >= afterPrefill.lastSeq - o.snapshotEvery;
      const until = Date.now() + FIRST_SNAPSHOT_WAIT_MS;
      while (!first.lines.some(nearHead) && Date.now() < until) {
        if (!first.alive()) throw new Error(`master-1 exited; its last output:\n${first.tail()}`);
        await sleep(50);
      }
      const wrote = first.lines.findLast(nearHead) ?? first.lines.findLast((l) => l.msg === 'wrote a snapshot');
      if (wrote !== undefined) say(`master-1 wrote a snapshot of seq ${String(wrote.fields.seq)}: ${(Number(wrote.fields.bytes) / 2 ** 20).toFixed(1)} MiB in ${String(wrote.fields.ms)} ms`);
      else say(`master-1 has not finished writing its first snapshot after ${FIRST_SNAPSHOT_WAIT_MS / 1000} s; starting the others anyway`);
    }
    for (let i = 2; i <= o.masters; i++) await startOne(`master-${i}`, initialStarts);

    await step('offers to the frameworks', (async () => {
      while (decliners.slice(0, declining).some((d) => d.stats.offers === 0)) await sleep(20);
    })(), o.takeoverTimeoutMs).catch((err: unknown) => {
      const leader = masters.find((m) => m.port === w.latestElection()?.port);
      throw new Error(
        `${(err as Error).message}: the frameworks got no offers (offers per framework: ${decliners.map((d) => d.stats.offers).join(', ')}; ` +
          `OffersCreated in epoch ${w.latestElection()?.epoch}: ${JSON.stringify(w.offersByEpoch.get(w.latestElection()?.epoch ?? -1) ?? null)}); ` +
          `the leader's warnings: ${JSON.stringify(Object.fromEntries(leader?.warnings ?? []))}; first: ${leader?.firstWarnings.slice(0, 2).join(' | ') ?? ''}`,
      );
    });
    await step('offers in the current epoch', w.offersInCurrentEpoch(o.takeoverTimeoutMs), o.takeoverTimeoutMs + 1000);
    say(`steady: ${o.masters} masters, ${decliners.length} framework(s), ${declining} declining; warming up 3 s`);
    await sleep(3000);
    {
      const leader = masters.find((m) => m.port === w.latestElection()?.port);
      if (leader !== undefined) steadyAllocation = pick(await getJson<Record<string, number>>(leader, '/metrics/snapshot', 30_000), ALLOC_KEYS);
    }

    // --- CPU over the kill phase
    const cpu0 = { at: performance.now(), machine: machineCpuSeconds(), self: selfCpuSeconds(), nats: processCpuSeconds(srv.pid) };
    const masterCpu = new Map<number, { first: number; last: number }>();
    const sampleCpu = (): void => {
      for (const m of masters) {
        if (!m.alive()) continue;
        const s = processCpuSeconds(m.pid);
        if (!Number.isFinite(s)) continue;
        const e = masterCpu.get(m.pid);
        if (e === undefined) masterCpu.set(m.pid, { first: s, last: s });
        else e.last = s;
      }
      samplePeaks();
    };
    sampleCpu();
    sampler = setInterval(sampleCpu, 250);
    sampler.unref();

    /** The leader: the last elected in the log, one of ours, alive, saying so itself, and offering. */
    const stableLeader = async (): Promise<{ el: NonNullable<ReturnType<LogWatch['latestElection']>>; leader: MasterProcess }> => {
      const until = Date.now() + o.takeoverTimeoutMs;
      let why = '';
      for (;;) {
        const el = w.latestElection();
        const leader = el === undefined ? undefined : masters.find((m) => m.port === el.port && m.alive());
        if (el === undefined) why = 'no election in the log';
        else if (leader === undefined) why = `the leader of epoch ${el.epoch} (port ${el.port}) is not one of the running masters`;
        else if (!w.offersByEpoch.has(el.epoch)) why = `the leader of epoch ${el.epoch} has not offered yet`;
        else {
          const met = await getJson<Record<string, number>>(leader, '/metrics/snapshot', 30_000);
          if (met?.['master/elected'] === 1 && w.latestElection() === el) return { el, leader };
          why = `the master on port ${el.port} is the last elected in the log (epoch ${el.epoch}) but does not say it is elected`;
        }
        if (Date.now() > until) throw new Error(`no stable leader within ${o.takeoverTimeoutMs} ms: ${why}`);
        await sleep(100);
      }
    };

    // --- the kills
    let discarded = 0;
    for (let k = 1; k <= o.kills; k++) {
      if (performance.now() - wall0 > o.budgetMs) {
        budgetStop = `stopped after ${takeovers.length} of ${o.kills} kills: the configuration's time budget of ${(o.budgetMs / 60_000).toFixed(0)} min was used up`;
        say(budgetStop);
        break;
      }
      await sleep(o.settleMs + rng.next() * o.settleMs);
      const { el, leader } = await stableLeader();
      sampleCpu();
      const killAt = Date.now();
      leader.proc.kill('SIGKILL');
      await step('the killed master to exit', leader.exited, 10_000);
      masters.splice(masters.indexOf(leader), 1);
      const { election, offers } = await step('the next leader to offer', w.nextEpochOffers(el.epoch, o.takeoverTimeoutMs), o.takeoverTimeoutMs + 2_000).catch((err: unknown) => {
        const diag = masters.map((m) => `${m.label} (port ${m.port}, alive ${m.alive()}): warnings ${JSON.stringify(Object.fromEntries(m.warnings))}; ${m.firstWarnings.slice(0, 2).join(' | ')}`);
        throw new Error(`takeover ${k}: ${(err as Error).message}\n${diag.join('\n')}`);
      });
      if (election.storedAt < killAt || w.elections.some((e) => e.epoch > el.epoch && e.storedAt < killAt)) {
        // The leader had already lost the lease (an unforced change) when it was killed: not a failover sample.
        discarded++;
        say(`kill ${k}: the leader changed before the kill (epoch ${election.epoch} stored ${(killAt - election.storedAt).toFixed(0)} ms before it); sample discarded`);
        await startOne(`master-${allMasters.length + 1}`, coldStarts);
        if (discarded > o.kills) throw new Error(`${discarded} kills found the leader already replaced: leadership is not stable`);
        k--;
        continue;
      }
      const newLeader = masters.find((m) => m.port === election.port);
      const leadingLine = newLeader?.lines.find((l) => l.msg === 'elected leader' && Number(l.fields.epoch) === election.epoch);
      const lease = w.leaseTakenAfter(killAt, el.masterId);
      const renewal = w.lastLeaseWriteBy(el.masterId, killAt + 1);
      const newAlloc = newLeader === undefined ? {} : pick(await getJson<Record<string, number>>(newLeader, '/metrics/snapshot', 30_000), ALLOC_KEYS);
      const t: Takeover = {
        kill: k,
        killedPort: el.port,
        oldEpoch: el.epoch,
        newEpoch: election.epoch,
        newLeaderPort: election.port,
        killAt,
        leaseAt: lease?.at ?? null,
        lastRenewalAt: renewal?.at ?? null,
        leaseAgeMs: lease === undefined || renewal === undefined ? null : lease.at - renewal.at,
        electedStoredAt: election.storedAt,
        leadingAt: leadingLine?.time ?? null,
        firstOffersStoredAt: offers.firstStoredAt,
        totalMs: offers.firstStoredAt - killAt,
        leaseMs: lease === undefined ? null : lease.at - killAt,
        electionMs: lease === undefined ? null : election.storedAt - lease.at,
        firstAllocationMs: offers.firstStoredAt - election.storedAt,
        electionFoldMs: leadingLine === undefined ? null : leadingLine.time - election.storedAt,
        firstOffers: offers.firstOffers,
        firstOffersBytes: offers.firstBytes,
        newLeaderAllocation: newAlloc,
      };
      takeovers.push(t);
      const f = (x: number | null): string => (x === null ? '?' : x.toFixed(0));
      say(
        `kill ${k}/${o.kills}: ${t.totalMs.toFixed(0)} ms to the first offer of epoch ${t.newEpoch} (lease ${f(t.leaseMs)} [${f(t.leaseAgeMs)} after its last renewal], election ${f(t.electionMs)}, first allocation ${f(t.firstAllocationMs)} ` +
          `[election fold ${f(t.electionFoldMs)}]; ${t.firstOffers} offers, ${(t.firstOffersBytes / 1024).toFixed(0)} KiB)`,
      );
      await startOne(`master-${allMasters.length + 1}`, coldStarts);
      for (const m of masters) if (!m.alive()) throw new Error(`${m.label} died; its last output:\n${m.tail()}`);
    }
    clearInterval(sampler);
    sampler = undefined;
    sampleCpu();
    const wallS = (performance.now() - cpu0.at) / 1000;
    const machine1 = machineCpuSeconds();
    cpu = {
      wallS,
      machineBusyPct: (100 * (machine1.busy - cpu0.machine.busy)) / wallS,
      natsPct: (100 * (processCpuSeconds(srv.pid) - cpu0.nats)) / wallS,
      benchPct: (100 * (selfCpuSeconds() - cpu0.self)) / wallS,
      mastersPct: (100 * [...masterCpu.values()].reduce((a, e) => a + (e.last - e.first), 0)) / wallS,
    };
    const end = await headSeqOf(monitor);
    stream = { messages: end.messages, bytes: end.bytes };
    killsDone = takeovers.length + discarded;
    discardedSamples = discarded;
  } catch (err) {
    error = (err as Error).message;
    say(`FAILED: ${error.split('\n')[0]}`);
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    samplePeaks();
    for (const d of decliners) await within('stop a framework', d.stop(), 10_000).catch(() => undefined);
    await Promise.all(allMasters.map((m) => within('kill a master', m.kill(), 10_000).catch(() => undefined)));
    if (pongs !== undefined) await within('stop the pongs', pongs.stop(), 10_000).catch(() => undefined);
    if (watch !== undefined) await within('stop the watch', watch.stop(), 10_000).catch(() => undefined);
    if (monitor !== undefined) await within('close the monitor', monitor.close(), 10_000).catch(() => undefined);
    if (nb !== undefined) await nb.stop();
    if (tlsCa !== undefined) await rm(tlsCa.dir, { recursive: true, force: true });
  }

  const warnings = new Map<string, number>();
  const firstWarnings: string[] = [];
  for (const m of allMasters) {
    for (const [k, v] of m.warnings) warnings.set(k, (warnings.get(k) ?? 0) + v);
    for (const l of m.firstWarnings) if (firstWarnings.length < 6) firstWarnings.push(`${m.label}: ${l}`);
  }
  return {
    label,
    config: c,
    frameworks: K,
    declining,
    refuseSeconds,
    ...(budgetStop !== undefined ? { budgetStop } : {}),
    ok: error === undefined,
    ...(error !== undefined ? { error } : {}),
    ...(prefill !== undefined ? { prefill } : {}),
    ...(probe !== undefined ? { probe } : {}),
    initialStarts,
    coldStarts,
    takeovers,
    ...(stream !== undefined ? { stream } : {}),
    decliners: {
      frameworks: decliners.length,
      offers: decliners.reduce((a, d) => a + d.stats.offers, 0),
      declineCalls: decliners.reduce((a, d) => a + d.stats.declineCalls, 0),
      declineErrors: decliners.reduce((a, d) => a + d.stats.declineErrors, 0),
    },
    ...(pongs !== undefined ? { pongs: { pings: pongs.stats.pings, agents: pongs.stats.agents.size, malformed: pongs.stats.malformed } } : {}),
    ...(watch !== undefined
      ? {
          elections: {
            total: watch.elections.length,
            kills: killsDone || takeovers.length,
            // The first election is master-1's; every other one not caused by a kill is a leader losing its lease.
            unforced: Math.max(0, watch.elections.length - 1 - (killsDone || takeovers.length)),
            discarded: discardedSamples,
            lostLeaseWarnings: warnings.get('lost the leader lease') ?? 0,
            spanS: watch.elections.length > 0 ? (Date.now() - watch.elections[0]!.storedAt) / 1000 : 0,
            renewalGaps: gapStats(watch.renewalGaps(0), ttlMs(o.leaderLease)),
          },
        }
      : {}),
    masterWarnings: Object.fromEntries(warnings),
    firstWarnings,
    peakRssMb: peak,
    ...(cpu !== undefined ? { cpu } : {}),
    ...(steadyAllocation !== undefined ? { steadyAllocation } : {}),
    wallMs: performance.now() - wall0,
  };
}

/** '500ms', '2s' → ms (the forms the master's duration flags take here). */
