/**
 * The log of a large cluster in a given state: `agents` agents (cpus:32;mem:131072;disk:1000000;
 * ports:[31000-32000], rack and zone attributes) running `tasks` tasks (cpus:0.5;mem:1024, spread
 * evenly, round-robin over the given frameworks), written as a cluster writes it: an election
 * (epoch 1, a "prefill" master that never runs), the frameworks' subscriptions, the agents'
 * registrations, then per group of agents the leader's OffersCreated, each framework's
 * OffersAccepted launching the agent's tasks (refuse_seconds 0: no filter left behind), the
 * leader's LaunchTasks, each task's TASK_RUNNING from its executor and the framework's
 * acknowledgement. Nothing is owed at the end (the outbox is empty) and every task is RUNNING.
 *
 * Events are built in their validated form (defaults applied), and a sample is run through the
 * codec's `validate` to prove it; deterministic for a seed except for the times (wall clock, so
 * that offer and filter times are of today).
 */
import {
  type AgentId,
  type ClusterEvent,
  type EventOf,
  type FrameworkId,
  type OfferId,
  SCHEMA_VERSION,
  EVENT_VERSIONS,
  type TaskId,
  type TaskInfo,
  validate,
} from '../events/index.js';
import { Prng } from './prng.js';

export interface ClusterShape {
  readonly agents: number;
  readonly tasks: number;
  /** The frameworks that own the tasks (they are subscribed here). */
  readonly frameworkIds: readonly FrameworkId[];
  readonly frameworkName: (j: number) => string;
  readonly seed: number;
  /** Agents per OffersCreated of the pre-fill (keeps each event far under 1 MB). */
  readonly agentsPerOfferEvent?: number;
}

export const AGENT_RESOURCES_TEXT = 'cpus:32;mem:131072;disk:1000000;ports:[31000-32000]';
export const TASK_RESOURCES_TEXT = 'cpus:0.5;mem:1024';

const scalar = (name: string, value: number) => ({ name, type: 'SCALAR' as const, scalar: value });
// Shared by every event (nothing changes an event's resources in place).
const AGENT_RESOURCES: TaskInfo['resources'] = [scalar('cpus', 32), scalar('mem', 131072), scalar('disk', 1_000_000), { name: 'ports', type: 'RANGES' as const, ranges: [[31000, 32000]] }];
const TASK_RESOURCES: TaskInfo['resources'] = [scalar('cpus', 0.5), scalar('mem', 1024)];

/** How many events `clusterEvents` yields for a shape. */
export function clusterEventCount(s: ClusterShape): number {
  const per = s.agentsPerOfferEvent ?? 1000;
  const F = s.frameworkIds.length;
  let offerEvents = 0;
  for (let b = 0; b < s.agents; b += per) offerEvents += Math.min(F, Math.min(per, s.agents - b));
  const agentsWithTasks = Math.min(s.agents, s.tasks);
  return 1 + F + s.agents + offerEvents + 2 * agentsWithTasks + 2 * s.tasks;
}

export function* clusterEvents(s: ClusterShape): Generator<ClusterEvent> {
  const rng = new Prng(s.seed);
  let time = Date.now();
  const env = () => ({ schemaVersion: SCHEMA_VERSION, id: rng.uuid(), time: ++time });
  const EPOCH = 1;
  const checked = new Set<string>();
  let n = 0;
  /** Validate the first event of each type and every 997th: the hand-built form must be the codec's. */
  const out = <E extends ClusterEvent>(e: E): E => {
    if (!checked.has(e.type) || n % 997 === 0) {
      checked.add(e.type);
      const v = validate(e);
      const a = JSON.stringify(v);
      const b = JSON.stringify(e);
      if (a !== b) throw new Error(`cluster-state: a ${e.type} is not in its validated form:\n${b.slice(0, 600)}\nvs\n${a.slice(0, 600)}`);
    }
    n++;
    return e;
  };

  yield out<EventOf<'LeaderElected'>>({ type: 'LeaderElected', ...env(), epoch: EPOCH, masterId: 'prefill', hostname: 'prefill.bench.local', ip: '10.0.0.1', port: 5050 });
  for (let j = 0; j < s.frameworkIds.length; j++) {
    yield out<EventOf<'FrameworkSubscribed'>>({
      type: 'FrameworkSubscribed',
      ...env(),
      frameworkId: s.frameworkIds[j]!,
      info: { name: s.frameworkName(j), user: 'bench', roles: ['*'], failoverTimeoutMs: 0, checkpoint: true, capabilities: ['PARTITION_AWARE'] },
    });
  }
  const agentIds: AgentId[] = [];
  for (let i = 0; i < s.agents; i++) {
    const id = `agent-${i}-${rng.uuid().slice(0, 8)}` as AgentId;
    agentIds.push(id);
    yield out<EventOf<'AgentRegistered'>>({
      type: 'AgentRegistered',
      ...env(),
      agentId: id,
      hostname: `node-${i}.bench.local`,
      port: 5051,
      resources: AGENT_RESOURCES,
      attributes: [
        { name: 'rack', type: 'TEXT', text: `rack-${i % 40}` },
        { name: 'zone', type: 'TEXT', text: `zone-${i % 3}` },
      ],
      version: '1.12.0',
      isolation: 'cgroups-v2',
    });
  }

  const per = s.agentsPerOfferEvent ?? 1000;
  const F = s.frameworkIds.length;
  const base = Math.floor(s.tasks / s.agents);
  const extra = s.tasks % s.agents;
  let offerNo = 0;
  for (let b = 0; b < s.agents; b += per) {
    const group = agentIds.slice(b, Math.min(s.agents, b + per));
    // The offers of the group, one event per framework (agent i goes to framework i mod F).
    const offerOf = new Map<AgentId, OfferId>();
    for (let j = 0; j < F; j++) {
      const mine: number[] = [];
      for (let i = b; i < b + group.length; i++) if (i % F === j) mine.push(i);
      if (mine.length === 0) continue;
      const e = env();
      yield out<EventOf<'OffersCreated'>>({
        type: 'OffersCreated',
        ...e,
        epoch: EPOCH,
        frameworkId: s.frameworkIds[j]!,
        offers: mine.map((i) => {
          const agentId = agentIds[i]!;
          const offerId = `prefill-O${++offerNo}` as OfferId;
          offerOf.set(agentId, offerId);
          return { offerId, agentId, hostname: `node-${i}.bench.local`, role: '*', resources: AGENT_RESOURCES };
        }),
      });
    }
    // Accept, launch, RUNNING, acknowledge: agent by agent.
    for (let k = 0; k < group.length; k++) {
      const i = b + k;
      const agentId = group[k]!;
      const count = base + (i < extra ? 1 : 0);
      if (count === 0) continue;
      const j = i % F;
      const frameworkId = s.frameworkIds[j]!;
      const tasks: TaskInfo[] = [];
      for (let t = 0; t < count; t++) {
        const taskId = `svc-${j}-a${i}-t${t}` as TaskId;
        tasks.push({
          taskId,
          name: `service ${j} instance ${i}.${t}`,
          agentId,
          resources: TASK_RESOURCES,
          command: { value: `/usr/bin/env bench-service --instance ${i}.${t}`, shell: true },
          labels: { team: `team-${j % 4}` },
        });
      }
      const accept = out<EventOf<'OffersAccepted'>>({
        type: 'OffersAccepted',
        ...env(),
        schemaVersion: EVENT_VERSIONS.OffersAccepted,
        frameworkId,
        offerIds: [offerOf.get(agentId)!],
        operations: [{ type: 'LAUNCH', tasks }],
        filters: { refuseSeconds: 0 },
      });
      yield accept;
      yield out<EventOf<'LaunchTasks'>>({
        type: 'LaunchTasks',
        schemaVersion: SCHEMA_VERSION,
        id: `launch-${accept.id}`,
        time: ++time,
        epoch: EPOCH,
        agentId,
        agentSeq: 1,
        frameworkId,
        framework: { name: s.frameworkName(j), user: 'bench', checkpoint: true },
        tasks,
      });
      const uuids: string[] = [];
      for (const t of tasks) {
        const uuid = rng.uuid();
        uuids.push(uuid);
        const at = ++time;
        yield out<EventOf<'TaskStatusUpdated'>>({
          type: 'TaskStatusUpdated',
          schemaVersion: SCHEMA_VERSION,
          id: rng.uuid(),
          time: at,
          status: {
            agentId,
            frameworkId,
            taskId: t.taskId,
            executorId: t.taskId as string as never,
            state: 'TASK_RUNNING',
            source: 'SOURCE_EXECUTOR',
            uuid,
            timestamp: at,
            containerId: rng.uuid(),
          },
        });
      }
      for (let t = 0; t < tasks.length; t++) {
        yield out<EventOf<'StatusAcknowledged'>>({ type: 'StatusAcknowledged', ...env(), frameworkId, agentId, taskId: tasks[t]!.taskId, uuid: uuids[t]! });
      }
    }
  }
}
