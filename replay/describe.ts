/** One line, for a person, saying what an event is (timelines, diffs, CSV exports). */
import type { ClusterEvent } from '../events/index.js';
import * as R from '../kernel/resources.js';

const short = (id: string): string => (id.length > 13 && /^[0-9a-f-]{36}$/.test(id) ? `${id.slice(0, 8)}…` : id);
const list = (xs: readonly string[], max = 4): string => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`);
const secs = (s: number): string => (s === 0 ? 'no filter' : `filter ${s} s`);

export function describe(e: ClusterEvent): string {
  switch (e.type) {
    case 'LeaderElected':
      return `master ${short(e.masterId)} elected leader, epoch ${e.epoch} (${e.hostname}:${e.port})`;
    case 'AgentRegistered':
      return `agent ${e.agentId} registered on ${e.hostname} with ${R.format(e.resources)} (${e.isolation})`;
    case 'AgentReregistered':
      return `agent ${e.agentId} reregistered on ${e.hostname} with ${R.format(e.resources)}, running ${e.tasks.length} task(s), last command ${e.lastCommandSeq}`;
    case 'AgentDisconnected':
      return `agent ${e.agentId} disconnected`;
    case 'AgentRemoved':
      return `agent ${e.agentId} removed (${e.reason})`;
    case 'FrameworkSubscribed':
      return `framework ${e.frameworkId} "${e.info.name}" subscribed as ${e.info.user}, roles ${e.info.roles.join(',')}`;
    case 'FrameworkDisconnected':
      return `framework ${e.frameworkId} disconnected`;
    case 'FrameworkRemoved':
      return `framework ${e.frameworkId} removed (${e.reason})`;
    case 'OffersCreated':
      return `${e.offers.length} offer(s) to ${e.frameworkId}: ${list(e.offers.map((o) => `${o.offerId} on ${o.agentId} (${R.format(o.resources)}, role ${o.role})`), 2)}`;
    case 'OffersRescinded':
      return `offer(s) ${list(e.offerIds)} of ${e.frameworkId} rescinded (${e.reason})`;
    case 'OffersAccepted': {
      const tasks = e.operations.flatMap((op) => op.tasks.map((t) => `${t.taskId} (${R.format(t.resources)})`));
      return `${e.frameworkId} accepts ${list(e.offerIds)}${tasks.length > 0 ? `, launching ${list(tasks)}` : ', launching nothing'}; ${secs(e.filters.refuseSeconds)}`;
    }
    case 'OffersDeclined':
      return `${e.frameworkId} declines ${list(e.offerIds)}; ${secs(e.filters.refuseSeconds)}`;
    case 'AcceptRefused':
      return `accept ${e.acceptId} of ${e.frameworkId} refused: ${e.code} (${e.message})`;
    case 'LaunchTasks':
      return `command #${e.agentSeq} to agent ${e.agentId}: launch ${list(e.tasks.map((t) => t.taskId))} of ${e.frameworkId}${e.executor ? ` under executor ${e.executor.executorId}` : ''}`;
    case 'KillTask':
      return `command #${e.agentSeq} to agent ${e.agentId}: kill ${e.taskId} of ${e.frameworkId}${e.reason ? ` (${e.reason})` : ''}`;
    case 'TaskKillRequested':
      return `${e.frameworkId} asks to kill ${e.taskId}`;
    case 'TaskStatusUpdated': {
      const s = e.status;
      const why = [s.reason, s.message !== undefined ? `"${s.message}"` : undefined].filter((x) => x !== undefined).join(', ');
      return `${e.epoch === undefined ? '' : "leader's notice: "}task ${s.taskId} ${s.state} on ${s.agentId} (${s.source}${why ? `, ${why}` : ''})${s.uuid ? ` update ${short(s.uuid)}` : ''}`;
    }
    case 'StatusAcknowledged':
      return `${e.frameworkId} acknowledges update ${short(e.uuid)} of task ${e.taskId}`;
    case 'OffersRevived':
      return `${e.frameworkId} revives offers`;
    case 'OffersSuppressed':
      return `${e.frameworkId} suppresses offers`;
    default: {
      const never: never = e;
      return (never as { type: string }).type;
    }
  }
}
