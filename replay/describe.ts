/** One line, for a person, saying what an event is (timelines, diffs, CSV exports). */
import { type ClusterEvent, operationTasks } from '../events/index.js';
import * as R from '../kernel/core/resources.js';

const short = (id: string): string => (id.length > 13 && /^[0-9a-f-]{36}$/.test(id) ? `${id.slice(0, 8)}…` : id);
const list = (xs: readonly string[], max = 4): string => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`);
const amounts = (what: string, q: Readonly<Record<string, number>>): string => {
  const parts = Object.entries(q).map(([k, v]) => `${k}:${v}`);
  return parts.length === 0 ? '' : `${what}${what === '' ? '' : ' '}${parts.join(';')}`;
};
const machine = (m: { hostname?: string | undefined; ip?: string | undefined }): string => m.hostname ?? m.ip ?? '?';
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
      const ops = e.operations.filter((op) => op.type !== 'LAUNCH' && op.type !== 'LAUNCH_GROUP').map((op) => op.type);
      const tasks = e.operations.flatMap((op) => operationTasks(op).map((t) => `${t.taskId} (${R.format(t.resources)})`));
      return `${e.frameworkId} accepts ${list(e.offerIds)}${ops.length > 0 ? `, ${ops.join(', ')}` : ''}${tasks.length > 0 ? `, launching ${list(tasks)}` : ', launching nothing'}; ${secs(e.filters.refuseSeconds)}`;
    }
    case 'OffersDeclined':
      return `${e.frameworkId} declines ${list(e.offerIds)}; ${secs(e.filters.refuseSeconds)}`;
    case 'AcceptRefused':
      return e.operation === undefined
        ? `accept ${e.acceptId} of ${e.frameworkId} refused: ${e.code} (${e.message})`
        : `operation ${e.operation} of accept ${e.acceptId} of ${e.frameworkId} dropped${e.tasks.length > 0 ? ` (tasks ${list(e.tasks.map((t) => t.taskId))})` : ''}: ${e.code} (${e.message}); the rest went ahead`;
    case 'LaunchTasks':
      return `command #${e.agentSeq} to agent ${e.agentId}: launch ${list(e.tasks.map((t) => t.taskId))} of ${e.frameworkId}${e.executor ? ` under executor ${e.executor.executorId}` : ''}`;
    case 'FrameworkMessageSent':
      return `${e.frameworkId} sends a message to executor ${e.executorId} on ${e.agentId} (${Math.floor((e.data.length * 3) / 4)} bytes)`;
    case 'DeliverFrameworkMessage':
      return `command #${e.agentSeq} to agent ${e.agentId}: message for executor ${e.executorId} of ${e.frameworkId}`;
    case 'ExecutorMessageSent':
      return `executor ${e.executorId} of ${e.frameworkId} on ${e.agentId} sends its scheduler a message`;
    case 'ExecutorExited':
      return `executor ${e.executorId} of ${e.frameworkId} on ${e.agentId} exited: ${e.message}`;
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
      return `${e.frameworkId} revives offers${e.roles !== undefined ? ` for ${e.roles.join(', ')}` : ''}`;
    case 'OffersSuppressed':
      return `${e.frameworkId} suppresses offers${e.roles !== undefined ? ` for ${e.roles.join(', ')}` : ''}`;
    case 'WeightsUpdated':
      return `weights set (${e.source.toLowerCase()}): ${list(e.weights.map((w) => `${w.role}=${w.weight}`))}`;
    case 'QuotaUpdated':
      return `quota set${e.force ? ' (forced)' : ''}: ${list(e.configs.map((c) => `${c.role} ${amounts('guarantees', c.guarantees)} ${amounts('limits', c.limits)}`.trim()), 3)}`;
    case 'AllocatorConfigured':
      return `allocator configured by the leader: ${e.roleWhitelist === null ? 'any role' : `roles ${list(e.roleWhitelist)}`}, min allocatable ${e.minAllocatable.length === 0 ? 'Mesos\'s default' : e.minAllocatable.map((q) => amounts('', q).trim()).join(' | ')}${e.filterGpuResources ? ', GPU agents for GPU frameworks only' : ''}`;
    case 'ResourcesReserved':
      return `operator reserves ${R.format(e.resources)} on agent ${e.agentId}${e.principal !== undefined ? ` (principal ${e.principal})` : ''}`;
    case 'ResourcesUnreserved':
      return `operator unreserves ${R.format(e.resources)} on agent ${e.agentId}`;
    case 'VolumesCreated':
      return `operator creates volume(s) ${R.format(e.volumes)} on agent ${e.agentId}`;
    case 'VolumesDestroyed':
      return `operator destroys volume(s) ${R.format(e.volumes)} on agent ${e.agentId}`;
    case 'MaintenanceScheduleUpdated':
      return `maintenance schedule set: ${e.windows.length} window(s), ${e.windows.reduce((n, w) => n + w.machines.length, 0)} machine(s)`;
    case 'MaintenanceStarted':
      return `maintenance started (machines down): ${list(e.machines.map(machine))}`;
    case 'MaintenanceStopped':
      return `maintenance stopped (machines up): ${list(e.machines.map(machine))}`;
    case 'AgentDrainStarted':
      return `agent ${e.agentId} draining${e.maxGracePeriodMs !== undefined ? `, grace ${e.maxGracePeriodMs} ms` : ''}${e.markGone ? ', then gone' : ''}`;
    case 'AgentDeactivated':
      return `agent ${e.agentId} deactivated`;
    case 'AgentReactivated':
      return `agent ${e.agentId} reactivated`;
    case 'InverseOffersCreated':
      return `${e.inverseOffers.length} inverse offer(s) to ${e.frameworkId}: ${list(e.inverseOffers.map((o) => `${o.inverseOfferId} on ${o.agentId}`), 2)}`;
    case 'InverseOffersRescinded':
      return `inverse offer(s) ${list(e.inverseOfferIds)} of ${e.frameworkId} rescinded`;
    case 'InverseOffersAccepted':
      return `${e.frameworkId} accepts inverse offer(s) ${list(e.inverseOfferIds)}`;
    case 'InverseOffersDeclined':
      return `${e.frameworkId} declines inverse offer(s) ${list(e.inverseOfferIds)}; ${secs(e.filters.refuseSeconds)}`;
    case 'ResourcesRequested':
      return e.requests.length === 0
        ? `${e.frameworkId} withdraws its resource requests`
        : `${e.frameworkId} requests ${list(e.requests.map((r) => `${r.name !== undefined ? `${r.name} = ` : ''}${R.format(r.resources)}${r.role !== undefined ? ` (role ${r.role})` : ''}`), 3)}`;
    case 'DemandUnmet':
      return e.reasons.length === 0 ? `demand of ${e.frameworkId} met or withdrawn` : `demand of ${e.frameworkId} unmet: ${list(e.reasons.map((r) => r.code))}`;
    default: {
      const never: never = e;
      return (never as { type: string }).type;
    }
  }
}
