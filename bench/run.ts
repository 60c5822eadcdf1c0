/**
 * The benchmark runner: `npm run bench -- [fold] [pipeline] [publish] [options]`.
 * Prints a table on stdout (progress goes to stderr) and, with --json FILE, writes the results.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AGENTS_PER_FRAMEWORK, DECLINE_CHURN_PER_SECOND, defaultFailoverOptions, parseClusterSize, runFailover, ttlMs } from './failover/index.js';
import { defaultAgentBenchOptions, runAgentBench } from './agent-endpoint.js';
import { type ChaosFailoverOptions, defaultChaosFailoverOptions, runChaosFailover } from './chaos-failover.js';
import { defaultRecoveryBenchOptions, runRecoveryBench } from './agent-recovery.js';
import { type DeclinesBenchOptions, defaultDeclinesBenchOptions, runDeclinesBench } from './declines.js';
import { defaultFoldOptions, runFold } from './fold-rate.js';
import { defaultCodecOptions, runProtobufCodec } from './protobuf-codec.js';
import { type MasterStateBenchOptions, defaultMasterStateOptions, runMasterStateBench } from './master-state.js';
import { describeMachine, machineInfo } from './machine.js';
import { defaultPipelineOptions, runPipeline } from './pipeline.js';
import { defaultPublishOptions, runPublish } from './raw-publish.js';
import { defaultReplayOptions, runReplay } from './replay-rate.js';
import { startBackgroundMeter } from './proc.js';
import { formatDuration, renderNotes, renderTable } from './table.js';
import { type AllocatorBenchOptions, type AllocatorBenchResult, defaultAllocatorBenchOptions, renderAllocatorTable, runAllocatorBench } from './allocator.js';
import type { BenchContext, BenchResult } from './types.js';
import { defaultHttpAuthBenchOptions, runHttpAuthBench } from './http-auth.js';
import { parseAuthMode } from './bus.js';
import { ratiosOf } from './ratios.js';
import { defaultImagesBenchOptions, type ImagesBenchOptions, runImagesBench } from './images.js';
import { defaultWebUiBenchOptions, runWebUiBench } from './webui.js';
import { defaultServicesBenchOptions, runServicesBench, type ServicesBenchOptions } from './services.js';

const NAMES = ['fold', 'publish', 'pipeline', 'failover', 'chaos-failover', 'agent', 'recovery', 'images', 'replay', 'allocator', 'declines', 'httpauth', 'protobuf', 'state', 'services', 'webui'] as const;
type Name = (typeof NAMES)[number];
/** What runs when no benchmark is named (failover and replay take long: only when named). */
const DEFAULT_NAMES: readonly Name[] = ['fold', 'publish', 'pipeline'];

const fo = defaultFoldOptions();
const po = defaultPublishOptions();
const pl = defaultPipelineOptions();
const fa = defaultFailoverOptions();
const ag = defaultAgentBenchOptions();
const rp = defaultReplayOptions();
const rc = defaultRecoveryBenchOptions();
const im = defaultImagesBenchOptions();
const ms = defaultMasterStateOptions();

const al = defaultAllocatorBenchOptions();
const cf = defaultChaosFailoverOptions();

const dc = defaultDeclinesBenchOptions();

const USAGE = `Usage: npm run bench -- [fold] [publish] [pipeline] [failover] [chaos-failover] [agent] [recovery] [images] [replay] [allocator] [declines] [httpauth] [protobuf] [state] [services] [webui] [options]
       node dist/bench/run.js [fold] [publish] [pipeline] [failover] [chaos-failover] [agent] [recovery] [images] [replay] [allocator] [declines] [httpauth] [protobuf] [state] [services] [webui] [options]

Benchmarks (fold, publish and pipeline when none is named; they run in this order):
  fold       evolve() over a synthetic log in memory (events/s), and decode+fold from bytes
  publish    raw JetStream acknowledged publishes: one at a time, and pipelined
  pipeline   tasks/s from accept to TASK_FINISHED through a real master, emulated agents
             and an SDK framework; with the raw publish rate of the same server beside it
  failover   kill -9 the leading master (real processes) N times: time until the new leader's
             first offer is in the log, over long histories and large clusters; cold start of a
             replacement master (from a snapshot)
  chaos-failover (only when named) \`mesos dev\` (3 masters, 3 NATS nodes, 3 agents) as a real
             process, N SIGKILLs of the leading master under the \`mesos chaos\` workload: leader
             loss → new leader and → first offer (p50/p99/max), tasks lost and duplicated, verify
  agent      (only when named) one health check round (command in a container, HTTP, TCP), and
             the agent's /state and /monitor/statistics with many running containers
  recovery   (only when named) the agent's durable status queue (updates/s, fsync'ed), the launch
             of N tasks, and kill -9 + restart of a real agent with N tasks running: time until
             all are re-attached
  images     (only when named) container images on one agent: accept → TASK_RUNNING of an image
             task with a cold and a warm rootfs cache (and without an image), and a burst of N tasks
             of the same image (warm, and cold: one shared unpack), and a cold pull from a registry
  replay     cold replay of a long log from JetStream (events/s) beside the raw read rate of the
             same consumer, and the time to the state at random points from the nearest snapshot
  httpauth   (only when named) what HTTP authentication and the ACLs cost: requests/s of the HTTP
             shell without and with Basic required (and with a view-filtered state), Basic checks/s,
             ACL decisions/s, the view filter over a large projection
  protobuf   (only when named) the scheduler API's messages in JSON and in protobuf: OFFERS written
             and read, ACCEPT and ACKNOWLEDGE read as the gateway reads them (msg/s, bytes)
  services   (only when named) the services framework: deploy an app of N instances on emulated
             agents, then roll it (new cmd: all replaced and healthy); the pipeline's raw tasks/s
             for as many tasks beside it
  allocator  allocation cycles in memory (no NATS): the allocator alone and the whole cycle as the
             leader runs it (allocate + events + encoding), cycle_ms p50/p99
  webui      (only when named) the dashboard in headless Chromium against a master whose log
             holds --agents agents (default 10000) running --tasks tasks (default 100000): first
             render of the tasks table, a status change until visible, a slider move (--runs each)
  declines   (only when named) the log's growth while one framework declines every offer with
             refuse_seconds 0: events/s, offers/s, offers per agent per allocation interval
  state      (only when named) /master/state of a large cluster through the master's HTTP shell:
             time to the last byte and the longest the event loop was held, kept pieces vs the
             whole object tree stringified, with tasks changing between requests

Options:
  --auth on|off|both   on (default): every nats-server a benchmark starts runs in operator mode
                       (security/nats) and each party connects with credentials of its own; off: an
                       open bus (said in the results); both: pipeline and failover also run each
                       measurement on an open bus beside the secured one (the others: as on)
  --json FILE          also write the results (with machine info) as JSON to FILE; for allocator,
                       --json with no FILE prints one JSON object (per run) on stdout instead of the table
  --runs N             timed runs of every benchmark (default: fold ${fo.runs} (+${fo.decodeRuns} decode), publish ${po.runs}, pipeline ${pl.runs})
  fold:
  --events N           events in the synthetic log (default ${fo.events.toLocaleString('en-US')})
  --seed N             seed of the synthetic log (default ${fo.seed})
  publish:
  --messages N         messages per pipelined run (default ${po.messages.toLocaleString('en-US')}; one-at-a-time runs use N/10)
  --window N           publishes outstanding when pipelined (default ${po.window}; also pipeline's raw rate)
  pipeline:
  --tasks N            tasks per run (default ${pl.tasks.toLocaleString('en-US')})
  --agents K           emulated agents (default ${pl.agents})
  --batch N            most tasks per accept (default ${pl.batch})
  --refuse-seconds S   filter on the unused part of an accepted offer (default ${pl.refuseSeconds})
  --with-starting      emulated agents also send TASK_STARTING (default: RUNNING, FINISHED only)
  --tls off|on|both    TLS on every NATS connection (a local CA); both: each run plain, then over TLS (default off)
  --warmup-tasks N     tasks in the discarded warm-up run (default ${pl.warmupTasks}; 0 for none)
  --stall-seconds S    fail a run when no task finished for S seconds (default ${pl.stallMs / 1000})
  --operator-subscribers N  beside each run, one with N operator event stream subscribers (SUBSCRIBE on
                       /api/v1, read in a worker thread): tasks/s with and without them (default 0: none)
  --operator-subscribers-gzip  they ask for the stream gzip-compressed (Accept-Encoding: gzip) and inflate it
  replay:
  --events N           events in the log (default ${rp.events.toLocaleString('en-US')}; also fold's)
  --snapshot-every N   a snapshot every N events (default ${rp.snapshotEvery.toLocaleString('en-US')})
  --points N           random points of history timed (default ${rp.points})
  failover:
  --tls off|on         every NATS connection over TLS (a local CA) (default off)
  --history LIST       history lengths (events) of a ${fa.historyAgents}-agent cluster, or none (default ${fa.history.join(',')})
  --clusters LIST      large clusters AGENTSxTASKS, or none (default ${fa.clusters.map((c) => `${c.agents}x${c.tasks}`).join(',')})
  --kills N            kills per configuration (default ${fa.kills})
  --masters N          master processes (default ${fa.masters})
  --frameworks K|auto  frameworks declining every offer (they own a large cluster's tasks) (default auto:
                       1 with a history, one per ${AGENTS_PER_FRAMEWORK} agents in a large cluster)
  --decline-seconds S  their refuse filter, or auto (default auto: 1 with a history; agents / ${DECLINE_CHURN_PER_SECOND} in
                       a large cluster, where only the first framework declines and the others are
                       suppressed, i.e. ~${DECLINE_CHURN_PER_SECOND} offers/s)
  --leader-lease D     the masters' --leader-lease, e.g. 500ms, 2s (default ${fa.leaderLease})
  --settle-ms MS       steady time before each kill, plus up to as much at random (default ${fa.settleMs})
  --takeover-timeout S give up on a takeover after S seconds (default ${fa.takeoverTimeoutMs / 1000})
  --master-heap-mb MB  node --max-old-space-size of the masters (default: node's)
  --budget-min M       stop killing in a configuration after M minutes (default ${fa.budgetMs / 60_000}); the kills done are reported
  --no-probe           skip timing the takeover's work in this process at the large sizes
  chaos-failover:
  --kills N            leader kills (default ${cf.kills})
  --masters N          masters (default ${cf.masters})
  --chaos-every S      seconds between kills, after the cluster has recovered (default ${cf.everyMs / 1000})
  agent:
  --rounds N           check rounds of each kind per run (default ${ag.rounds})
  --containers N       sleeping containers behind the endpoint (default ${ag.containers})
  --requests N         requests of each endpoint per run (default ${ag.requests})
  recovery:
  --agent-tasks N      tasks running when the agent is killed (default ${rc.tasks}); --runs: kill/restart cycles (default ${rc.runs})
  --isolation LIST     the agent's --isolation (default ${rc.isolation})
  images:
  --burst N            tasks of the same image in one accept (default ${im.burst}); --runs: cold/warm rounds (default ${im.runs})
  --image-mb N         size of the image's filler layer (default ${im.imageMb}); --isolation as for recovery (default ${im.isolation})
  allocator:
  --scenario S         full (default), decline, quota, multi, multi-suppress, or grid (every figure of the
                       closing table)
  --agents A           agents (default ${al.agents})
  --frameworks F       frameworks (default ${al.frameworks})
  --roles R            roles the frameworks are spread over (default ${al.roles}: all in '*')
  --cycles N           timed cycles (default by size: 200 at 500 agents, 20 from 5,000)
  --rounds N           decline: rounds of declining everything (default ${al.rounds})
  declines:
  --agents K           emulated agents (default ${dc.agents}); --runs N (default ${dc.runs})
  --seconds S          measured seconds per run (default ${dc.seconds})
  --interval-ms MS     the master's allocation interval (default ${dc.allocationIntervalMs})
  --refuse-seconds S   the decliner's filter (default ${dc.refuseSeconds})
  state:
  --cluster AxT        agents x tasks (default ${ms.agents}x${ms.tasks}); --requests N (default ${ms.requests})
  --changes N          tasks with a status update between two requests (default ${ms.changes})
  services:
  --instances N        instances of the app (default 1000); --agents K emulated agents (default 10);
                       --runs N (default 1); --no-pipeline: leave the pipeline beside it out
  -h, --help           this text

Examples:
  npm run bench
  npm run bench -- fold --events 2000000 --json bench/results/fold.json
  npm run bench -- pipeline --tasks 50000 --agents 20
  npm run bench -- failover --history 10000 --clusters none --kills 5
  npm run bench -- chaos-failover --kills 20
  npm run bench -- replay --events 1000000 --json bench/results/replay.json
`;

function count(name: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
  return n;
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  // `--json` with no file (last, or followed by another flag): print JSON on stdout.
  argv = argv.map((a, i) => (a === '--json' && (i === argv.length - 1 || argv[i + 1]!.startsWith('--')) ? '--json=-' : a));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'string' },
        runs: { type: 'string' },
        events: { type: 'string' },
        seed: { type: 'string' },
        messages: { type: 'string' },
        window: { type: 'string' },
        tasks: { type: 'string' },
        agents: { type: 'string' },
        batch: { type: 'string' },
        'refuse-seconds': { type: 'string' },
        'with-starting': { type: 'boolean' },
        tls: { type: 'string' },
        auth: { type: 'string' },
        'warmup-tasks': { type: 'string' },
        'stall-seconds': { type: 'string' },
        'operator-subscribers': { type: 'string' },
        'operator-subscribers-gzip': { type: 'boolean' },
        history: { type: 'string' },
        clusters: { type: 'string' },
        kills: { type: 'string' },
        masters: { type: 'string' },
        frameworks: { type: 'string' },
        'decline-seconds': { type: 'string' },
        'settle-ms': { type: 'string' },
        'leader-lease': { type: 'string' },
        'takeover-timeout': { type: 'string' },
        'master-heap-mb': { type: 'string' },
        'no-probe': { type: 'boolean' },
        'snapshot-every': { type: 'string' },
        points: { type: 'string' },
        'budget-min': { type: 'string' },
        scenario: { type: 'string' },
        roles: { type: 'string' },
        cycles: { type: 'string' },
        rounds: { type: 'string' },
        containers: { type: 'string' },
        requests: { type: 'string' },
        cluster: { type: 'string' },
        changes: { type: 'string' },
        'agent-tasks': { type: 'string' },
        burst: { type: 'string' },
        'image-mb': { type: 'string' },
        isolation: { type: 'string' },
        'chaos-every': { type: 'string' },
        seconds: { type: 'string' },
        'interval-ms': { type: 'string' },
        instances: { type: 'string' },
        'no-pipeline': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let names: Name[];
  let foldOpts = fo;
  let publishOpts = po;
  let pipelineOpts = pl;
  let failoverOpts = fa;
  let agentOpts = ag;
  let replayOpts = rp;
  let recoveryOpts = rc;
  let imagesOpts: ImagesBenchOptions = im;
  let chaosOpts: ChaosFailoverOptions = cf;
  let declinesOpts: DeclinesBenchOptions = dc;
  let httpAuthOpts = defaultHttpAuthBenchOptions();
  let webUiOpts = defaultWebUiBenchOptions();
  let codecOpts = defaultCodecOptions();
  let stateOpts: MasterStateBenchOptions = ms;
  let servicesOpts: ServicesBenchOptions = defaultServicesBenchOptions();
  try {
    for (const p of positionals) if (!(NAMES as readonly string[]).includes(p)) throw new UsageError(`unknown benchmark ${JSON.stringify(p)}; choose from ${NAMES.join(', ')}`);
    names = positionals.length === 0 ? [...DEFAULT_NAMES] : NAMES.filter((n) => positionals.includes(n));
    const runs = count('runs', v.runs);
    const auth = parseAuthMode(v.auth, (m) => new UsageError(m));
    const secured = auth !== 'off';
    const messages = count('messages', v.messages, 10);
    const refuse = v['refuse-seconds'] === undefined ? undefined : Number(v['refuse-seconds']);
    if (refuse !== undefined && !(Number.isFinite(refuse) && refuse >= 0)) throw new UsageError('--refuse-seconds must be a number >= 0');
    const stall = count('stall-seconds', v['stall-seconds']);
    foldOpts = {
      ...fo,
      events: count('events', v.events) ?? fo.events,
      seed: count('seed', v.seed, 0) ?? fo.seed,
      runs: runs ?? fo.runs,
      decodeRuns: runs ?? fo.decodeRuns,
    };
    publishOpts = {
      ...po,
      messages: messages ?? po.messages,
      serialMessages: messages !== undefined ? Math.max(1, Math.floor(messages / 10)) : po.serialMessages,
      window: count('window', v.window) ?? po.window,
      runs: runs ?? po.runs,
      secure: secured,
    };
    pipelineOpts = {
      ...pl,
      tasks: count('tasks', v.tasks) ?? pl.tasks,
      agents: count('agents', v.agents) ?? pl.agents,
      batch: count('batch', v.batch) ?? pl.batch,
      refuseSeconds: refuse ?? pl.refuseSeconds,
      withStarting: v['with-starting'] ?? false,
      tls: tlsMode(v.tls),
      auth,
      warmupTasks: count('warmup-tasks', v['warmup-tasks'], 0) ?? pl.warmupTasks,
      window: count('window', v.window) ?? pl.window,
      stallMs: stall !== undefined ? stall * 1000 : pl.stallMs,
      runs: runs ?? pl.runs,
      operatorSubscribers: count('operator-subscribers', v['operator-subscribers'], 0) ?? pl.operatorSubscribers,
      operatorSubscribersGzip: v['operator-subscribers-gzip'] ?? false,
    };
    replayOpts = {
      ...rp,
      events: count('events', v.events) ?? rp.events,
      seed: count('seed', v.seed, 0) ?? rp.seed,
      runs: runs ?? rp.runs,
      window: count('window', v.window) ?? rp.window,
      snapshotEvery: count('snapshot-every', v['snapshot-every'], 100) ?? rp.snapshotEvery,
      points: count('points', v.points) ?? rp.points,
      secure: secured,
    };
    const list = (v: string | undefined): string[] | undefined =>
      v === undefined ? undefined : v.trim() === 'none' ? [] : v.split(',').map((x) => x.trim()).filter((x) => x !== '');
    const declineSeconds = v['decline-seconds'] === undefined || v['decline-seconds'] === 'auto' ? v['decline-seconds'] : Number(v['decline-seconds']);
    if (typeof declineSeconds === 'number' && !(Number.isFinite(declineSeconds) && declineSeconds >= 0)) throw new UsageError('--decline-seconds must be a number >= 0 or auto');
    let clusters = fa.clusters;
    try {
      clusters = list(v.clusters)?.map(parseClusterSize) ?? fa.clusters;
    } catch (err) {
      throw new UsageError(`--clusters: ${(err as Error).message}`);
    }
    if (v['leader-lease'] !== undefined && !Number.isFinite(ttlMs(v['leader-lease']))) throw new UsageError('--leader-lease must be a duration such as 500ms or 2s');
    failoverOpts = {
      ...fa,
      history: list(v.history)?.map((x) => count('history', x, 200)!) ?? fa.history,
      clusters,
      kills: count('kills', v.kills) ?? fa.kills,
      masters: count('masters', v.masters, 2) ?? fa.masters,
      liveFrameworks: v.frameworks === 'auto' ? 'auto' : (count('frameworks', v.frameworks) ?? fa.liveFrameworks),
      declineSeconds: (declineSeconds as number | 'auto' | undefined) ?? fa.declineSeconds,
      settleMs: count('settle-ms', v['settle-ms'], 0) ?? fa.settleMs,
      leaderLease: v['leader-lease'] ?? fa.leaderLease,
      takeoverTimeoutMs: (count('takeover-timeout', v['takeover-timeout']) ?? fa.takeoverTimeoutMs / 1000) * 1000,
      heapMb: count('master-heap-mb', v['master-heap-mb'], 256) ?? fa.heapMb,
      seed: count('seed', v.seed, 0) ?? fa.seed,
      probe: !(v['no-probe'] ?? false),
      budgetMs: (count('budget-min', v['budget-min']) ?? fa.budgetMs / 60_000) * 60_000,
      auth,
      tls: names.includes('failover') ? failoverTls(v.tls) : false,
    };
    agentOpts = {
      rounds: count('rounds', v.rounds) ?? ag.rounds,
      containers: count('containers', v.containers) ?? ag.containers,
      requests: count('requests', v.requests) ?? ag.requests,
      runs: runs ?? ag.runs,
    };
    const chaosEvery = v['chaos-every'] === undefined ? undefined : Number(v['chaos-every']);
    if (chaosEvery !== undefined && !(Number.isFinite(chaosEvery) && chaosEvery >= 0)) throw new UsageError('--chaos-every must be a number of seconds >= 0');
    chaosOpts = {
      ...cf,
      kills: count('kills', v.kills) ?? cf.kills,
      masters: count('masters', v.masters, 2) ?? cf.masters,
      everyMs: chaosEvery !== undefined ? chaosEvery * 1000 : cf.everyMs,
      seed: count('seed', v.seed, 0) ?? cf.seed,
    };
    codecOpts = { ...codecOpts, runs: runs ?? codecOpts.runs };
    imagesOpts = { ...im, burst: count('burst', v.burst) ?? im.burst, imageMb: count('image-mb', v['image-mb']) ?? im.imageMb, runs: runs ?? im.runs, isolation: v.isolation ?? im.isolation, secure: secured };
    recoveryOpts = { ...rc, tasks: count('agent-tasks', v['agent-tasks']) ?? rc.tasks, runs: runs ?? rc.runs, isolation: v.isolation ?? rc.isolation, secure: secured };
    declinesOpts = {
      agents: count('agents', v.agents) ?? dc.agents,
      seconds: count('seconds', v.seconds) ?? dc.seconds,
      runs: runs ?? dc.runs,
      allocationIntervalMs: count('interval-ms', v['interval-ms'], 10) ?? dc.allocationIntervalMs,
      secure: secured,
      refuseSeconds: refuse ?? dc.refuseSeconds,
    };
    servicesOpts = {
      ...servicesOpts,
      instances: count('instances', v.instances) ?? servicesOpts.instances,
      agents: count('agents', v.agents) ?? servicesOpts.agents,
      runs: runs ?? servicesOpts.runs,
      pipeline: !(v['no-pipeline'] ?? false),
      secure: secured,
    };
    httpAuthOpts = { ...httpAuthOpts, runs: runs ?? httpAuthOpts.runs, requests: count('requests', v.requests) ?? httpAuthOpts.requests };
    let stateCluster: { agents: number; tasks: number } = ms;
    try {
      if (v.cluster !== undefined) stateCluster = parseClusterSize(v.cluster);
    } catch (err) {
      throw new UsageError(`--cluster: ${(err as Error).message}`);
    }
    stateOpts = { ...ms, agents: stateCluster.agents, tasks: stateCluster.tasks, requests: count('requests', v.requests) ?? ms.requests, changes: count('changes', v.changes, 0) ?? ms.changes };
    if (names.includes('webui')) webUiOpts = { ...webUiOpts, runs: runs ?? webUiOpts.runs, agents: count('agents', v.agents) ?? webUiOpts.agents, tasks: count('tasks', v.tasks) ?? webUiOpts.tasks };
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }

  if (names.includes('allocator')) {
    const scenario = v.scenario ?? 'full';
    if (!['full', 'decline', 'quota', 'multi', 'multi-suppress', 'grid'].includes(scenario)) {
      process.stderr.write(`bench: --scenario must be full, decline, quota, multi, multi-suppress or grid (got ${JSON.stringify(scenario)})\n`);
      return 2;
    }
    let ao: AllocatorBenchOptions;
    try {
      ao = {
        ...al,
        scenario: scenario === 'grid' ? 'full' : (scenario as AllocatorBenchOptions['scenario']),
        agents: count('agents', v.agents) ?? al.agents,
        frameworks: count('frameworks', v.frameworks) ?? al.frameworks,
        roles: count('roles', v.roles) ?? al.roles,
        cycles: count('cycles', v.cycles) ?? al.cycles,
        rounds: count('rounds', v.rounds) ?? al.rounds,
      };
    } catch (err) {
      process.stderr.write(`bench: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    return runAllocatorCli(ao, scenario === 'grid', v.json);
  }

  const machine = machineInfo();
  const started = performance.now();
  const ctx: BenchContext = {
    progress: (msg) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`),
  };
  ctx.progress(`machine: ${describeMachine(machine)}`);
  ctx.progress(`running: ${names.join(', ')}`);

  const results: BenchResult[] = [];
  const failures: { name: string; error: Error }[] = [];
  for (const name of names) {
    const meter = startBackgroundMeter();
    try {
      const r0 =
        name === 'fold'
          ? await runFold(foldOpts, ctx)
          : name === 'publish'
            ? await runPublish(publishOpts, ctx)
            : name === 'failover'
              ? await runFailover(failoverOpts, ctx)
              : name === 'chaos-failover'
                ? await runChaosFailover(chaosOpts, ctx)
              : name === 'agent'
                ? await runAgentBench(agentOpts, ctx)
                : name === 'recovery'
                  ? await runRecoveryBench(recoveryOpts, ctx)
                  : name === 'images'
                    ? await runImagesBench(imagesOpts, ctx)
                  : name === 'replay'
                    ? await runReplay(replayOpts, ctx)
                    : name === 'declines'
                      ? await runDeclinesBench(declinesOpts, ctx)
                      : name === 'httpauth'
                        ? await runHttpAuthBench(httpAuthOpts, ctx)
                    : name === 'protobuf'
                      ? await runProtobufCodec(codecOpts, ctx)
                    : name === 'state'
                      ? await runMasterStateBench(stateOpts, ctx)
                    : name === 'services'
                      ? await runServicesBench(servicesOpts, ctx)
                    : name === 'webui'
                      ? await runWebUiBench(webUiOpts, ctx)
                      : await runPipeline(pipelineOpts, ctx);
      const bg = meter();
      // Children still running (a nats-server not yet reaped) would count as "other": all are stopped by now.
      const r: BenchResult = {
        ...r0,
        notes: [
          ...r0.notes,
          `other processes on this machine used ${bg.otherCpuPct.toFixed(0)}% of a core on average while it ran (steal ${bg.stealPct.toFixed(0)}%); 2 cores = 200%`,
        ],
        details: { ...r0.details, background: bg },
      };
      results.push(r);
      ctx.progress(`${name}: done in ${formatDuration(r.wallMs)}`);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      failures.push({ name, error: e });
      process.stderr.write(`\nbench: ${name} FAILED: ${e.stack ?? e.message}\n\n`);
    }
  }

  process.stdout.write(`\nMachine: ${describeMachine(machine)}\n\n`);
  if (results.length > 0) {
    process.stdout.write(`${renderTable(results)}\n\n`);
    process.stdout.write(`${renderNotes(results)}\n`);
  }
  for (const f of failures) process.stdout.write(`\n${f.name}: FAILED: ${f.error.message.split('\n')[0]}\n`);
  process.stdout.write(`\nTotal ${formatDuration(performance.now() - started)}\n`);

  if (v.json !== undefined) {
    const file = resolve(v.json);
    const out = [
      ...results.map((r) => ({ name: r.name, params: r.params, metrics: r.metrics, notes: r.notes, wallMs: r.wallMs, details: r.details ?? {}, machine, date: machine.date })),
      ...failures.map((f) => ({ name: f.name, params: {}, metrics: {}, error: f.error.message, machine, date: machine.date })),
    ];
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify({ ratios: ratiosOf(results), results: out }, null, 2)}\n`);
    ctx.progress(`wrote ${file}`);
  }
  return failures.length > 0 ? 1 : 0;
}

/** The allocator benchmark prints its own table (or JSON), with the machine and its load. */
async function runAllocatorCli(o: AllocatorBenchOptions, grid: boolean, json: string | undefined): Promise<number> {
  const machine = machineInfo();
  const started = performance.now();
  const ctx: BenchContext = { progress: (msg) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`) };
  ctx.progress(`machine: ${describeMachine(machine)}`);
  const runs: AllocatorBenchOptions[] = grid
    ? [
        ...[1000, 10_000, 50_000].flatMap((agents) => [10, 100, 1000].map((frameworks) => ({ ...o, scenario: 'full' as const, agents, frameworks }))),
        { ...o, scenario: 'full' as const, agents: 5000, frameworks: 500 },
        { ...o, scenario: 'full' as const, agents: 20_000, frameworks: 2000 },
        { ...o, scenario: 'full' as const, agents: 10_000, frameworks: 1000, roles: 100 },
        { ...o, scenario: 'decline' as const, agents: 10_000, frameworks: 1000 },
        { ...o, scenario: 'decline' as const, agents: 50_000, frameworks: 1000 },
        { ...o, scenario: 'quota' as const, quotaRoles: [25, 5] as const },
        { ...o, scenario: 'quota' as const, quotaRoles: [250, 50] as const },
        { ...o, scenario: 'quota' as const, quotaRoles: [2500, 500] as const },
        { ...o, scenario: 'multi' as const },
        { ...o, scenario: 'multi-suppress' as const },
      ]
    : [o];
  const results: AllocatorBenchResult[] = [];
  for (const r of runs) {
    const load = (await import('node:os')).loadavg()[0]!;
    // What other processes used meanwhile: on a shared machine, the figures are only as quiet as this.
    const meter = startBackgroundMeter();
    const res = runAllocatorBench(r, ctx);
    const bg = meter();
    results.push({ ...res, extra: { ...res.extra, load_1m: Number(load.toFixed(2)), other_cpu_pct: Math.round(bg.otherCpuPct) } });
    ctx.progress(
      `${r.scenario} ${res.agents}/${res.frameworks}: cycle p50 ${res.cycle_ms.p50.toFixed(1)} ms, allocate p50 ${res.allocate_ms.p50.toFixed(1)} ms (load ${load.toFixed(2)}; other processes ${bg.otherCpuPct.toFixed(0)}% of a core)`,
    );
  }
  const doc = (r: AllocatorBenchResult) => ({ ...r, machine: { cpu: machine.cpuModel, cores: machine.cores, node: machine.nodeVersion, commit: machine.source.commit }, date: machine.date });
  if (json === '-') {
    for (const r of results) process.stdout.write(`${JSON.stringify(doc(r))}\n`);
    return 0;
  }
  process.stdout.write(`\nMachine: ${describeMachine(machine)}\n\n${renderAllocatorTable(results)}\n\nTotal ${formatDuration(performance.now() - started)}\n`);
  if (json !== undefined) {
    const file = resolve(json);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(results.map(doc), null, 2)}\n`);
    ctx.progress(`wrote ${file}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    // Everything a benchmark started must have been stopped; say so if something is still open.
    const left = process.getActiveResourcesInfo().filter((r) => !['TTYWrap', 'PipeWrap', 'FSReqCallback', 'FSReqPromise', 'CloseReq', 'Timeout', 'Immediate'].includes(r));
    if (left.length > 0) process.stderr.write(`bench: resources still open at exit: ${left.join(', ')}\n`);
    process.exitCode = code;
    // Do not wait on anything a library left behind; nats-server children are killed on exit.
    setTimeout(() => process.exit(code), 100).unref();
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);

/** failover's `--tls`: off (default) or on (both is pipeline's only). */
function failoverTls(v: string | undefined): boolean {
  const m = tlsMode(v);
  if (m === 'both') throw new UsageError('failover takes --tls off or on (both: pipeline only; run failover once with each)');
  return m === 'on';
}

/** `--tls`: off (default), on, or both. */
function tlsMode(v: string | undefined): 'off' | 'on' | 'both' {
  if (v === undefined) return 'off';
  if (v === 'off' || v === 'on' || v === 'both') return v;
  throw new UsageError(`--tls must be off, on or both (got ${JSON.stringify(v)})`);
}
