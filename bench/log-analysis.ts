/**
 * Where the time goes, read back from the log after a pipeline run. Every event carries `time`
 * (stamped by whoever appended it, just before publishing) and the stream records when it stored
 * it; both clocks are this machine's. Matching events by their ids splits a task's way through the
 * cluster into stages: framework, master, agents, and the publish queue of each.
 */
import type { ClusterEvent, EventOf } from '../events/index.js';
import { type Bus, readLog } from '../kernel/shell/bus.js';
import { type LatencySummary, latencySummary } from './stats.js';

export interface LogBreakdown {
  readonly events: number;
  readonly stages: Record<string, LatencySummary>;
}

interface Stored<E extends ClusterEvent = ClusterEvent> {
  readonly seq: number;
  readonly storedAt: number;
  readonly e: E;
}

export async function analyseLog(bus: Bus, fromSeq: number): Promise<LogBreakdown> {
  const offerStoredAt = new Map<string, number>();
  const accepts: Stored<EventOf<'OffersAccepted'>>[] = [];
  const launches = new Map<string, Stored<EventOf<'LaunchTasks'>>>();
  const finishedAt = new Map<string, number>();
  const statusStoredAt = new Map<string, number>();
  const ackGaps: number[] = [];
  /** Per agent, the store times of the offers made for it, in log order. */
  const offersByAgent = new Map<string, number[]>();
  let n = 0;
  for await (const entry of readLog(bus, { fromSeq, untilHead: true })) {
    if (!entry.decoded.ok) continue;
    n++;
    const e = entry.decoded.event;
    const at = entry.storedAt;
    switch (e.type) {
      case 'OffersCreated':
        for (const o of e.offers) {
          offerStoredAt.set(o.offerId, at);
          const list = offersByAgent.get(o.agentId) ?? [];
          list.push(at);
          offersByAgent.set(o.agentId, list);
        }
        break;
      case 'OffersAccepted':
        accepts.push({ seq: entry.seq, storedAt: at, e });
        break;
      case 'LaunchTasks':
        launches.set(e.id, { seq: entry.seq, storedAt: at, e });
        break;
      case 'TaskStatusUpdated':
        if (e.status.uuid !== undefined) statusStoredAt.set(e.status.uuid, at);
        if (e.status.state === 'TASK_FINISHED') finishedAt.set(`${e.status.frameworkId}/${e.status.taskId}`, at);
        break;
      case 'StatusAcknowledged': {
        const s = statusStoredAt.get(e.uuid);
        if (s !== undefined) ackGaps.push(at - s);
        break;
      }
      default:
        break;
    }
  }

  const offerToAccept: number[] = [];
  const acceptPublish: number[] = [];
  const masterReact: number[] = [];
  const launchPublish: number[] = [];
  const agentWork: number[] = [];
  const nextOffer: number[] = [];
  for (const a of accepts) {
    const offered = offerStoredAt.get(a.e.offerIds[0]!);
    if (offered !== undefined) offerToAccept.push(a.e.time - offered);
    acceptPublish.push(a.storedAt - a.e.time);
    const l = launches.get(`launch-${a.e.id}`);
    if (l === undefined) continue;
    masterReact.push(l.e.time - a.storedAt);
    launchPublish.push(l.storedAt - l.e.time);
    let last = -Infinity;
    for (const t of l.e.tasks) last = Math.max(last, finishedAt.get(`${l.e.frameworkId}/${t.taskId}`) ?? -Infinity);
    if (Number.isFinite(last)) agentWork.push(last - l.storedAt);
    const list = offersByAgent.get(l.e.agentId) ?? [];
    const next = list.find((t) => t >= a.storedAt);
    if (next !== undefined) nextOffer.push(next - a.storedAt);
  }
  return {
    events: n,
    stages: {
      'offer stored → accept stamped (framework reads offer, accepts)': latencySummary(offerToAccept),
      'accept stamped → stored (framework publish queue)': latencySummary(acceptPublish),
      'accept stored → LaunchTasks stamped (master reads, folds, sends outbox)': latencySummary(masterReact),
      'LaunchTasks stamped → stored (master publish queue)': latencySummary(launchPublish),
      'LaunchTasks stored → its last FINISHED stored (agent)': latencySummary(agentWork),
      'status stored → its ack stored (framework)': latencySummary(ackGaps),
      'accept stored → next offer for that agent stored (allocation)': latencySummary(nextOffer),
    },
  };
}
