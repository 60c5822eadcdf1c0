/**
 * Every subject string of the system is built here and nowhere else.
 *
 * The cluster log is one stream over `cl.>`; the second token says who speaks:
 *   cl.agent.<agentId>.<fact>            an agent reports (registered, reregistered, disconnected)
 *   cl.agent.<agentId>.status.<fwId>     an agent reports a task status (its framework listens)
 *   cl.agent.<agentId>.message.<fwId>    an executor's message for its framework (via its agent)
 *   cl.agent.<agentId>.exited.<fwId>     a custom executor of the framework ended
 *   cl.fw.<fwId>.<call>                  a framework calls (subscribed, accepted, declined, kill, ack, …)
 *   cl.cmd.<agentId>.<command>           the leader commands an agent (launch, kill): its launch stream
 *   cl.tell.<fwId>.<event>               the leader tells a framework (offers, rescind, refused, update)
 *   cl.sys.<event>                       the leader's own facts (leader elected, agent removed), the
 *                                        operator's calls (weights, quota, reservation, volumes,
 *                                        maintenance, agent-admin) and the allocator's settings
 * Liveness traffic (pings) is plain request/reply outside the stream: `live.agent.<agentId>`,
 * `live.fw.<frameworkId>`, `live.master.<masterId>`; so are re-deliveries of unacknowledged updates,
 * `live.fw.<frameworkId>.update`. Queries answered from the leader's projection are request/reply
 * too: `q.fw.<frameworkId>.reconcile`.
 */
import type { AgentId, FrameworkId } from './ids.js';
import type { ClusterEvent } from './catalogue.js';

export const LOG_PREFIX = 'cl';

export const subjects = {
  /** What the cluster stream stores. */
  all: `${LOG_PREFIX}.>`,
  agentFact: (agentId: AgentId, fact: 'registered' | 'reregistered' | 'disconnected') =>
    `${LOG_PREFIX}.agent.${agentId}.${fact}`,
  agentStatus: (agentId: AgentId, frameworkId: FrameworkId) => `${LOG_PREFIX}.agent.${agentId}.status.${frameworkId}`,
  /** An agent reports about one of a framework's executors: its messages, its exit. */
  agentExecutor: (agentId: AgentId, frameworkId: FrameworkId, what: 'message' | 'exited') => `${LOG_PREFIX}.agent.${agentId}.${what}.${frameworkId}`,
  /** Every executor message for a framework, from any agent. */
  executorMessagesOf: (frameworkId: FrameworkId) => `${LOG_PREFIX}.agent.*.message.${frameworkId}`,
  /** Everything an agent reports: its facts and its tasks' statuses. */
  reportsOf: (agentId: AgentId) => `${LOG_PREFIX}.agent.${agentId}.>`,
  /** Every call a framework makes. */
  callsOf: (frameworkId: FrameworkId) => `${LOG_PREFIX}.fw.${frameworkId}.>`,
  /** Every command to any agent. */
  allCommands: `${LOG_PREFIX}.cmd.*.>`,
  /** Every status update an agent reported, for any framework. */
  statusesFrom: (agentId: AgentId) => `${LOG_PREFIX}.agent.${agentId}.status.*`,
  /** Every status update about a framework's tasks, from any agent. */
  statusesOf: (frameworkId: FrameworkId) => `${LOG_PREFIX}.agent.*.status.${frameworkId}`,
  /** Every framework's acknowledgements (an agent passes those of its executors' updates on to them). */
  acknowledgementsOfAny: `${LOG_PREFIX}.fw.*.acknowledged`,
  frameworkCall: (frameworkId: FrameworkId, call: string) => `${LOG_PREFIX}.fw.${frameworkId}.${call}`,
  agentCommand: (agentId: AgentId, command: 'launch' | 'kill' | 'message') => `${LOG_PREFIX}.cmd.${agentId}.${command}`,
  /** An agent's launch stream: every command for it. */
  commandsOf: (agentId: AgentId) => `${LOG_PREFIX}.cmd.${agentId}.>`,
  tell: (
    frameworkId: FrameworkId,
    what: 'offers' | 'rescind' | 'refused' | 'update' | 'removed' | 'disconnected' | 'inverse-offers' | 'inverse-rescind' | 'pending',
  ) =>
    `${LOG_PREFIX}.tell.${frameworkId}.${what}`,
  /** Everything the leader tells a framework. */
  toldTo: (frameworkId: FrameworkId) => `${LOG_PREFIX}.tell.${frameworkId}.>`,
  sys: (what: 'leader' | 'agent-removed') => `${LOG_PREFIX}.sys.${what}`,
  /** Operator calls and the allocator's settings (weights, quota, reservations, maintenance, agent administration). */
  operator: (what: 'weights' | 'quota' | 'allocator' | 'reservation' | 'volumes' | 'maintenance' | 'agent-admin') => `${LOG_PREFIX}.sys.${what}`,
  /** Liveness: the leader pings each agent here (core NATS request/reply, not stored). */
  agentPing: (agentId: AgentId) => `live.agent.${agentId}`,
  /** Presence of the lease holder: it answers here while its process lives (standbys probe it). */
  leaderPresence: (masterId: string) => `live.master.${masterId}`,
  /** Every master answers here with its address and how far it has folded (request/many replies, not stored). */
  mastersRollCall: 'live.masters.rollcall',
  /** Queries answered by the leader from its projection (request/reply, not stored). */
  reconcileQuery: (frameworkId: FrameworkId) => `q.fw.${frameworkId}.reconcile`,
  /** What the leader listens on for every framework's reconciliation queries. */
  reconcileQueries: 'q.fw.*.reconcile',
  /** Liveness: the leader pings each connected native framework here (not stored). */
  frameworkPing: (frameworkId: FrameworkId) => `live.fw.${frameworkId}`,
  /** The leader delivers unacknowledged status updates again here (not stored: not new facts). */
  redeliveredUpdates: (frameworkId: FrameworkId) => `live.fw.${frameworkId}.update`,
} as const;

/** The one subject an event is appended on. */
export function subjectFor(e: ClusterEvent): string {
  switch (e.type) {
    case 'AgentRegistered':
      return subjects.agentFact(e.agentId, 'registered');
    case 'AgentReregistered':
      return subjects.agentFact(e.agentId, 'reregistered');
    case 'AgentDisconnected':
      return subjects.agentFact(e.agentId, 'disconnected');
    case 'TaskStatusUpdated':
      return e.epoch === undefined
        ? subjects.agentStatus(e.status.agentId, e.status.frameworkId)
        : subjects.tell(e.status.frameworkId, 'update');
    case 'FrameworkSubscribed':
      return subjects.frameworkCall(e.frameworkId, 'subscribed');
    case 'OffersAccepted':
      return subjects.frameworkCall(e.frameworkId, 'accepted');
    case 'OffersDeclined':
      return subjects.frameworkCall(e.frameworkId, 'declined');
    case 'TaskKillRequested':
      return subjects.frameworkCall(e.frameworkId, 'kill');
    case 'StatusAcknowledged':
      return subjects.frameworkCall(e.frameworkId, 'acknowledged');
    case 'OffersRevived':
      return subjects.frameworkCall(e.frameworkId, 'revived');
    case 'OffersSuppressed':
      return subjects.frameworkCall(e.frameworkId, 'suppressed');
    case 'FrameworkDisconnected':
      return subjects.tell(e.frameworkId, 'disconnected');
    case 'FrameworkRemoved':
      return e.epoch === undefined ? subjects.frameworkCall(e.frameworkId, 'teardown') : subjects.tell(e.frameworkId, 'removed');
    case 'LeaderElected':
      return subjects.sys('leader');
    case 'OffersCreated':
      return subjects.tell(e.frameworkId, 'offers');
    case 'OffersRescinded':
      return subjects.tell(e.frameworkId, 'rescind');
    case 'AcceptRefused':
      return subjects.tell(e.frameworkId, 'refused');
    case 'LaunchTasks':
      return subjects.agentCommand(e.agentId, 'launch');
    case 'KillTask':
      return subjects.agentCommand(e.agentId, 'kill');
    case 'AgentRemoved':
      return subjects.sys('agent-removed');
    case 'FrameworkMessageSent':
      return subjects.frameworkCall(e.frameworkId, 'message');
    case 'DeliverFrameworkMessage':
      return subjects.agentCommand(e.agentId, 'message');
    case 'ExecutorMessageSent':
      return subjects.agentExecutor(e.agentId, e.frameworkId, 'message');
    case 'ExecutorExited':
      return subjects.agentExecutor(e.agentId, e.frameworkId, 'exited');
    case 'WeightsUpdated':
      return subjects.operator('weights');
    case 'QuotaUpdated':
      return subjects.operator('quota');
    case 'AllocatorConfigured':
      return subjects.operator('allocator');
    case 'ResourcesReserved':
    case 'ResourcesUnreserved':
      return subjects.operator('reservation');
    case 'VolumesCreated':
    case 'VolumesDestroyed':
      return subjects.operator('volumes');
    case 'MaintenanceScheduleUpdated':
    case 'MaintenanceStarted':
    case 'MaintenanceStopped':
      return subjects.operator('maintenance');
    case 'AgentDrainStarted':
    case 'AgentDeactivated':
    case 'AgentReactivated':
      return subjects.operator('agent-admin');
    case 'InverseOffersCreated':
      return subjects.tell(e.frameworkId, 'inverse-offers');
    case 'InverseOffersRescinded':
      return subjects.tell(e.frameworkId, 'inverse-rescind');
    case 'InverseOffersAccepted':
      return subjects.frameworkCall(e.frameworkId, 'inverse-accepted');
    case 'InverseOffersDeclined':
      return subjects.frameworkCall(e.frameworkId, 'inverse-declined');
    case 'ResourcesRequested':
      return subjects.frameworkCall(e.frameworkId, 'request');
    case 'DemandUnmet':
      return subjects.tell(e.frameworkId, 'pending');
    default: {
      const never: never = e;
      throw new Error(`no subject for ${(never as { type: string }).type}`);
    }
  }
}
