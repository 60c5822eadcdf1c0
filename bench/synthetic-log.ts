/**
 * A deterministic, realistic cluster log for the fold benchmark: one leader, `agents` agents and
 * `frameworks` frameworks, then what a busy cluster writes: offers (the current epoch), accepts
 * launching 1–8 tasks, the leader's LaunchTasks (id `launch-<acceptId>`, the agent's next
 * agentSeq), TASK_STARTING / TASK_RUNNING / TASK_FINISHED from the executor (with uuids, no
 * epoch), each acknowledged by the framework, and some declines. Work of many tasks interleaves;
 * about a quarter of the tasks run for a long stretch of the log before finishing, so the live
 * task set and the resources in use stay realistic.
 *
 * The generator keeps its own books (integers: milli-cpus and MB), independent of the fold, and
 * returns what the fold must end with, so that the benchmark can check the fold did real work.
 * Every event is validated once here (codec `validate`); nothing here is timed.
 */
import {
  type ClusterEvent,
  type ClusterEventInput,
  type EventOf,
  SCHEMA_VERSION,
  EVENT_VERSIONS,
  refuseFilter,
  subjectFor,
  validate,
} from '../events/index.js';
import { Prng } from './prng.js';

export interface SynthOptions {
  readonly events: number;
  readonly agents: number;
  readonly frameworks: number;
  readonly seed: number;
}

/** What folding the whole log must give (counts are over the events actually generated). */
export interface Expected {
  readonly events: number;
  readonly agents: number;
  readonly frameworks: number;
  offerEvents: number;
  offersCreated: number;
  offersAccepted: number;
  offersDeclined: number;
  acceptEvents: number;
  declineEvents: number;
  launchEvents: number;
  tasksLaunched: number;
  statusUpdates: number;
  acknowledgements: number;
  /** Tasks that reached each state (as the fold counts them). */
  readonly reached: Record<'TASK_STAGING' | 'TASK_STARTING' | 'TASK_RUNNING' | 'TASK_FINISHED', number>;
  /** Tasks whose TASK_FINISHED was acknowledged: they have left the live set. */
  completedTasks: number;
  readonly completedByFramework: number[];
  liveTasks: number;
  outstandingOffers: number;
  /** Accepts whose LaunchTasks is not in the log yet: what the outbox must still hold. */
  pendingLaunches: number;
  readonly agentCommandSeq: number[];
  readonly agentUsedCpuMilli: number[];
  readonly agentUsedMemMb: number[];
  /** Largest number of live tasks at any point. */
  peakLiveTasks: number;
}

export interface SynthLog {
  readonly events: ClusterEvent[];
  readonly subjects: string[];
  readonly expected: Expected;
  /** Events per type. */
  readonly mix: Record<string, number>;
  readonly agentIds: readonly string[];
  readonly frameworkIds: readonly string[];
}

const T0 = 1_700_000_000_000;
const EPOCH = 1;
const AGENT_CPUS_MILLI = 64_000;
const AGENT_MEM_MB = 262_144;
const AGENT_DISK_MB = 1_000_000;
const PORTS: [number, number] = [31000, 32000];
const TASK_CPUS_MILLI = [100, 250, 500, 1000, 2000] as const;
const TASK_MEM_MB = [64, 128, 256, 512, 1024, 2048, 4096] as const;
/** An agent is offered only when this much is free. */
const MIN_OFFER_CPUS_MILLI = 500;
const MIN_OFFER_MEM_MB = 512;
/** Steps of task work kept in flight, so statuses of many tasks interleave. */
const TARGET_WORK = 96;
const LONG_RUNNING_SHARE = 0.25;
const LONG_RUNNING_EVENTS: [number, number] = [2_000, 100_000];
const WAKE_BUCKET = 1024;

interface AgentRec {
  readonly idx: number;
  readonly id: string;
  readonly hostname: string;
  usedCpu: number;
  usedMem: number;
  offered: boolean;
  seq: number;
}

interface TaskRec {
  readonly id: string;
  readonly fw: number;
  readonly agent: AgentRec;
  readonly cpu: number;
  readonly mem: number;
  readonly containerId: string;
}

interface OfferRec {
  readonly id: string;
  readonly fw: number;
  readonly agent: AgentRec;
  readonly cpu: number;
  readonly mem: number;
}

type Step =
  | { readonly kind: 'launch'; readonly accept: EventOf<'OffersAccepted'>; readonly agent: AgentRec; readonly seq: number; readonly tasks: TaskRec[] }
  | { readonly kind: 'status'; readonly task: TaskRec; readonly state: 'TASK_STARTING' | 'TASK_RUNNING' | 'TASK_FINISHED' }
  | { readonly kind: 'ack'; readonly task: TaskRec; readonly uuid: string; readonly state: 'TASK_STARTING' | 'TASK_RUNNING' | 'TASK_FINISHED' };

const scalar = (name: string, value: number) => ({ name, type: 'SCALAR' as const, scalar: value });

export function generateLog(o: SynthOptions): SynthLog {
  const setupEvents = 1 + o.agents + o.frameworks;
  if (o.events < setupEvents + 100) throw new Error(`--events must be at least ${setupEvents + 100} for ${o.agents} agents and ${o.frameworks} frameworks`);
  const rng = new Prng(o.seed);
  const events: ClusterEvent[] = [];
  const subjects: string[] = [];
  const mix: Record<string, number> = {};
  let time = T0;
  let offerCounter = 0;
  let taskCounter = 0;
  const masterId = rng.uuid();

  const exp: Expected = {
    events: o.events,
    agents: o.agents,
    frameworks: o.frameworks,
    offerEvents: 0,
    offersCreated: 0,
    offersAccepted: 0,
    offersDeclined: 0,
    acceptEvents: 0,
    declineEvents: 0,
    launchEvents: 0,
    tasksLaunched: 0,
    statusUpdates: 0,
    acknowledgements: 0,
    reached: { TASK_STAGING: 0, TASK_STARTING: 0, TASK_RUNNING: 0, TASK_FINISHED: 0 },
    completedTasks: 0,
    completedByFramework: new Array<number>(o.frameworks).fill(0),
    liveTasks: 0,
    outstandingOffers: 0,
    pendingLaunches: 0,
    agentCommandSeq: new Array<number>(o.agents).fill(0),
    agentUsedCpuMilli: new Array<number>(o.agents).fill(0),
    agentUsedMemMb: new Array<number>(o.agents).fill(0),
    peakLiveTasks: 0,
  };

  /** Advance the clock; every event gets its own, strictly later time. */
  const tick = (): number => (time += 1 + rng.int(0, 1));
  const emit = <E extends ClusterEvent>(input: ClusterEventInput): E => {
    const e = validate(input) as E;
    events.push(e);
    subjects.push(subjectFor(e));
    mix[e.type] = (mix[e.type] ?? 0) + 1;
    return e;
  };
  const env = () => ({ schemaVersion: SCHEMA_VERSION, id: rng.uuid(), time: tick() });

  // --- set-up: a leader, the agents, the frameworks
  emit({ type: 'LeaderElected', ...env(), epoch: EPOCH, masterId, hostname: 'master-1.bench.local', ip: '10.0.0.1', port: 5050 });
  const agents: AgentRec[] = [];
  for (let i = 0; i < o.agents; i++) {
    const a: AgentRec = { idx: i, id: rng.uuid(), hostname: `node-${i}.bench.local`, usedCpu: 0, usedMem: 0, offered: false, seq: 0 };
    agents.push(a);
    emit({
      type: 'AgentRegistered',
      ...env(),
      agentId: a.id,
      hostname: a.hostname,
      port: 5051,
      resources: [
        scalar('cpus', AGENT_CPUS_MILLI / 1000),
        scalar('mem', AGENT_MEM_MB),
        scalar('disk', AGENT_DISK_MB),
        { name: 'ports', type: 'RANGES', ranges: [PORTS] },
      ],
      attributes: [
        { name: 'rack', type: 'TEXT', text: `rack-${i % 10}` },
        { name: 'zone', type: 'TEXT', text: `zone-${i % 3}` },
      ],
      version: '1.12.0',
      isolation: 'cgroups-v2',
    });
  }
  const frameworkIds: string[] = [];
  for (let j = 0; j < o.frameworks; j++) {
    const id = rng.uuid();
    frameworkIds.push(id);
    emit({
      type: 'FrameworkSubscribed',
      ...env(),
      frameworkId: id,
      info: { name: `bench-framework-${j}`, user: 'bench', roles: ['*'], failoverTimeoutMs: 0, checkpoint: j % 2 === 0, capabilities: ['PARTITION_AWARE'] },
    });
  }

  // --- the busy part
  const work: Step[] = [];
  const pendingOffers: OfferRec[] = [];
  const parked = new Map<number, TaskRec[]>();
  let nextWakeBucket = 0;
  let nextFramework = 0;

  const takeRandom = <T>(xs: T[]): T => {
    const i = rng.int(0, xs.length - 1);
    const x = xs[i]!;
    xs[i] = xs[xs.length - 1]!;
    xs.pop();
    return x;
  };

  function allocate(): boolean {
    const free = agents.filter(
      (a) => !a.offered && AGENT_CPUS_MILLI - a.usedCpu >= MIN_OFFER_CPUS_MILLI && AGENT_MEM_MB - a.usedMem >= MIN_OFFER_MEM_MB,
    );
    if (free.length === 0) return false;
    const fw = nextFramework;
    nextFramework = (nextFramework + 1) % o.frameworks;
    const n = Math.min(free.length, rng.int(1, 4));
    const chosen: AgentRec[] = [];
    for (let i = 0; i < n; i++) chosen.push(takeRandom(free));
    const t = tick();
    const offers = chosen.map((a) => {
      const rec: OfferRec = { id: `${masterId}-O${++offerCounter}`, fw, agent: a, cpu: AGENT_CPUS_MILLI - a.usedCpu, mem: AGENT_MEM_MB - a.usedMem };
      a.offered = true;
      pendingOffers.push(rec);
      return {
        offerId: rec.id,
        agentId: a.id,
        hostname: a.hostname,
        role: '*',
        resources: [scalar('cpus', rec.cpu / 1000), scalar('mem', rec.mem), scalar('disk', AGENT_DISK_MB), { name: 'ports', type: 'RANGES' as const, ranges: [PORTS] }],
        expiresAt: t + 30_000,
      };
    });
    emit({ type: 'OffersCreated', schemaVersion: SCHEMA_VERSION, id: rng.uuid(), time: t, epoch: EPOCH, frameworkId: frameworkIds[fw]!, offers });
    exp.offerEvents++;
    exp.offersCreated += offers.length;
    exp.outstandingOffers += offers.length;
    return true;
  }

  function decline(offer: OfferRec): void {
    const refuse = rng.pick([undefined, 0, 5, 30] as const);
    emit({
      type: 'OffersDeclined',
      ...env(),
      schemaVersion: EVENT_VERSIONS.OffersDeclined,
      frameworkId: frameworkIds[offer.fw]!,
      offerIds: [offer.id],
      filters: refuseFilter(refuse),
    });
    offer.agent.offered = false;
    exp.declineEvents++;
    exp.offersDeclined++;
    exp.outstandingOffers--;
  }

  function answerOffer(): void {
    const offer = takeRandom(pendingOffers);
    if (rng.chance(0.1)) return decline(offer);
    const want = rng.int(1, 8);
    let cpuLeft = offer.cpu;
    let memLeft = offer.mem;
    const tasks: TaskRec[] = [];
    for (let i = 0; i < want; i++) {
      const cpu = rng.pick(TASK_CPUS_MILLI);
      const mem = rng.pick(TASK_MEM_MB);
      if (cpu > cpuLeft || mem > memLeft) continue;
      cpuLeft -= cpu;
      memLeft -= mem;
      const n = ++taskCounter;
      tasks.push({ id: `job-${offer.fw}-task-${n}`, fw: offer.fw, agent: offer.agent, cpu, mem, containerId: rng.uuid() });
    }
    if (tasks.length === 0) return decline(offer);
    const refuse = rng.pick([undefined, undefined, 0, 1] as const);
    const accept = emit<EventOf<'OffersAccepted'>>({
      type: 'OffersAccepted',
      ...env(),
      schemaVersion: EVENT_VERSIONS.OffersAccepted,
      frameworkId: frameworkIds[offer.fw]!,
      offerIds: [offer.id],
      operations: [
        {
          type: 'LAUNCH',
          tasks: tasks.map((t) => ({
            taskId: t.id,
            name: `task ${t.id}`,
            agentId: t.agent.id,
            resources: [scalar('cpus', t.cpu / 1000), scalar('mem', t.mem)],
            command: { value: `/usr/bin/env bench-workload --task ${t.id} --duration 30`, shell: true, environment: { JOB: `job-${t.fw}` } },
            labels: { team: `team-${t.fw % 4}` },
          })),
        },
      ],
      filters: refuseFilter(refuse),
    });
    const a = offer.agent;
    a.offered = false;
    for (const t of tasks) {
      a.usedCpu += t.cpu;
      a.usedMem += t.mem;
    }
    a.seq++;
    exp.acceptEvents++;
    exp.offersAccepted++;
    exp.outstandingOffers--;
    exp.tasksLaunched += tasks.length;
    exp.reached.TASK_STAGING += tasks.length;
    exp.liveTasks += tasks.length;
    exp.peakLiveTasks = Math.max(exp.peakLiveTasks, exp.liveTasks);
    exp.pendingLaunches++;
    work.push({ kind: 'launch', accept, agent: a, seq: a.seq, tasks });
  }

  function doWork(): void {
    const step = takeRandom(work);
    switch (step.kind) {
      case 'launch': {
        const acc = step.accept;
        const fw = acc.frameworkId;
        const j = frameworkIds.indexOf(fw);
        emit({
          type: 'LaunchTasks',
          ...env(),
          id: `launch-${acc.id}`,
          epoch: EPOCH,
          agentId: step.agent.id,
          agentSeq: step.seq,
          frameworkId: fw,
          framework: { name: `bench-framework-${j}`, user: 'bench', checkpoint: j % 2 === 0 },
          tasks: acc.operations.flatMap((op) => ('tasks' in op ? op.tasks : [])),
        });
        exp.launchEvents++;
        exp.pendingLaunches--;
        for (const t of step.tasks) work.push({ kind: 'status', task: t, state: 'TASK_STARTING' });
        return;
      }
      case 'status': {
        const t = step.task;
        const uuid = rng.uuid();
        const at = tick();
        emit({
          type: 'TaskStatusUpdated',
          schemaVersion: SCHEMA_VERSION,
          id: rng.uuid(),
          time: at,
          status: {
            agentId: t.agent.id,
            frameworkId: frameworkIds[t.fw]!,
            taskId: t.id,
            executorId: t.id,
            state: step.state,
            source: 'SOURCE_EXECUTOR',
            uuid,
            timestamp: at,
            containerId: t.containerId,
            ...(step.state === 'TASK_FINISHED' ? { message: 'Command exited with status 0' } : {}),
          },
        });
        exp.statusUpdates++;
        exp.reached[step.state]++;
        if (step.state === 'TASK_FINISHED') {
          t.agent.usedCpu -= t.cpu;
          t.agent.usedMem -= t.mem;
        }
        work.push({ kind: 'ack', task: t, uuid, state: step.state });
        return;
      }
      case 'ack': {
        const t = step.task;
        emit({ type: 'StatusAcknowledged', ...env(), frameworkId: frameworkIds[t.fw]!, agentId: t.agent.id, taskId: t.id, uuid: step.uuid });
        exp.acknowledgements++;
        if (step.state === 'TASK_STARTING') work.push({ kind: 'status', task: t, state: 'TASK_RUNNING' });
        else if (step.state === 'TASK_RUNNING') {
          if (rng.chance(LONG_RUNNING_SHARE)) {
            // Never into a bucket already passed (a forced wake may have run ahead of the log).
            const wake = Math.max(nextWakeBucket, Math.floor((events.length + rng.int(...LONG_RUNNING_EVENTS)) / WAKE_BUCKET));
            const b = parked.get(wake);
            if (b === undefined) parked.set(wake, [t]);
            else b.push(t);
          } else work.push({ kind: 'status', task: t, state: 'TASK_FINISHED' });
        } else {
          exp.completedTasks++;
          exp.completedByFramework[t.fw]!++;
          exp.liveTasks--;
        }
        return;
      }
    }
  }

  /** Move the long-running tasks whose time has come (or, when nothing else can happen, the next ones). */
  function wake(force: boolean): boolean {
    const now = Math.floor(events.length / WAKE_BUCKET);
    let woke = false;
    while (nextWakeBucket <= now || (force && !woke && parked.size > 0)) {
      const b = parked.get(nextWakeBucket);
      if (b !== undefined) {
        parked.delete(nextWakeBucket);
        for (const t of b) work.push({ kind: 'status', task: t, state: 'TASK_FINISHED' });
        woke = true;
      }
      nextWakeBucket++;
    }
    return woke;
  }

  while (events.length < o.events) {
    wake(false);
    if (work.length >= TARGET_WORK || (work.length > 0 && rng.chance(0.8))) {
      doWork();
      continue;
    }
    if (pendingOffers.length > 0) {
      answerOffer();
      continue;
    }
    if (allocate()) continue;
    if (work.length > 0) {
      doWork();
      continue;
    }
    if (!wake(true)) throw new Error('synthetic log generator is stuck: no offers, no work, nothing parked');
  }

  for (const a of agents) {
    exp.agentCommandSeq[a.idx] = a.seq;
    exp.agentUsedCpuMilli[a.idx] = a.usedCpu;
    exp.agentUsedMemMb[a.idx] = a.usedMem;
  }
  return { events, subjects, expected: exp, mix, agentIds: agents.map((a) => a.id), frameworkIds };
}
