/**
 * The cluster state: what folding the log gives. Plain data only (maps, arrays, numbers), so it
 * can be cloned, serialised for a snapshot and compared for equality.
 *
 * Ownership: `evolve` takes the state it is given and returns its successor, updating collections
 * in place (a fold over millions of events cannot copy a map of a hundred thousand tasks per
 * event). Whoever needs an earlier state keeps a `cloneState` of it.
 */
import type {
  AgentId,
  Attribute,
  CheckInfo,
  CheckStatusInfo,
  CommandInfo,
  Draft,
  ExecutorId,
  FrameworkId,
  FrameworkInfo,
  HealthCheck,
  OfferId,
  Resources,
  StatusReason,
  StatusSource,
  TaskId,
  TaskKey,
  TaskStateName,
} from '../events/index.js';

export interface LeaderInfo {
  readonly masterId: string;
  readonly epoch: number;
  readonly hostname: string;
  readonly ip: string;
  readonly port: number;
  readonly electedAt: number;
}

export type AgentStatus = 'ACTIVE' | 'DISCONNECTED' | 'REMOVED';

export interface AgentState {
  readonly id: AgentId;
  hostname: string;
  port: number;
  /** The address of its HTTP endpoint, when it announced one. */
  ip?: string | undefined;
  version: string;
  isolation: string;
  resources: Resources;
  attributes: readonly Attribute[];
  /** Held by tasks that are not terminal. */
  used: Resources;
  /** Held by outstanding offers. */
  offered: Resources;
  status: AgentStatus;
  registeredAt: number;
  reregisteredAt: number | null;
  /** Sequence of the last command addressed to it (commands are numbered 1, 2, 3, …). */
  commandSeq: number;
  /** Last command sequence it reported having carried out. */
  lastCommandSeqSeen: number;
  readonly taskKeys: Set<TaskKey>;
  readonly offerIds: Set<OfferId>;
}

export type FrameworkStatus = 'ACTIVE' | 'INACTIVE' | 'REMOVED';

export interface RefuseFilter {
  /** The resources refused; offers that are not a subset of these are made anyway. */
  readonly resources: Resources;
  readonly until: number;
}

export interface FrameworkState {
  readonly id: FrameworkId;
  info: FrameworkInfo;
  status: FrameworkStatus;
  registeredAt: number;
  reregisteredAt: number | null;
  unregisteredAt: number | null;
  /** When its connection went (INACTIVE); its failover timeout counts from here. */
  disconnectedAt: number | null;
  suppressed: boolean;
  used: Resources;
  offered: Resources;
  readonly filters: Map<AgentId, RefuseFilter>;
  readonly taskKeys: Set<TaskKey>;
  readonly offerIds: Set<OfferId>;
  /** Terminal tasks whose terminal update has been acknowledged (or needed none), newest last. */
  readonly completedTasks: TaskState[];
}

export interface StatusRecord {
  readonly state: TaskStateName;
  readonly timestamp: number;
  readonly source: StatusSource;
  readonly reason?: StatusReason | undefined;
  readonly message?: string | undefined;
  readonly uuid?: string | undefined;
  readonly healthy?: boolean | undefined;
  readonly checkStatus?: CheckStatusInfo | undefined;
}

export interface TaskState {
  readonly key: TaskKey;
  readonly taskId: TaskId;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly name: string;
  readonly resources: Resources;
  readonly role: string;
  readonly command: CommandInfo;
  readonly killGracePeriodMs?: number | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly healthCheck?: HealthCheck | undefined;
  readonly check?: CheckInfo | undefined;
  /** The executor of its task group (absent for a plain command task). */
  readonly executorId?: ExecutorId | undefined;
  state: TaskStateName;
  /** Status history (the most recent ones are kept). */
  readonly statuses: StatusRecord[];
  /** The uuid of the latest update that awaits acknowledgement, if any. */
  unacknowledged: string | null;
  /** The agent command that launches it. */
  readonly launchSeq: number;
  /** Resources still counted as used (released when it reaches a terminal state). */
  holdsResources: boolean;
}

/** A task group's executor: its resources are held while any of its tasks is live. */
export interface ExecutorState {
  readonly key: string;
  readonly executorId: ExecutorId;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly resources: Resources;
  readonly taskKeys: Set<TaskKey>;
  holdsResources: boolean;
}

export const executorKey = (frameworkId: FrameworkId, executorId: ExecutorId): string => `${frameworkId}/${executorId}`;

export interface OfferState {
  readonly id: OfferId;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly hostname: string;
  readonly role: string;
  readonly resources: Resources;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly epoch: number;
}

/** Why an offer left the outstanding set; kept for a while to explain refusals precisely. */
export type RetiredOffer = 'USED' | 'DECLINED' | 'RESCINDED' | 'EXPIRED';

/** Counters for metrics. Deterministic: replaying the log reproduces them. */
export interface Counters {
  eventsFolded: number;
  staleDecisionsIgnored: number;
  slaveRegistrations: number;
  slaveReregistrations: number;
  slaveRemovals: number;
  frameworksSubscribed: number;
  frameworksRemoved: number;
  offersCreated: number;
  offersInvalid: number;
  offersAccepted: number;
  offersDeclined: number;
  offersRescinded: number;
  acceptsRefused: number;
  /** Calls, as Mesos's master/messages_* count them. */
  acceptCalls: number;
  declineCalls: number;
  validStatusUpdates: number;
  invalidStatusUpdates: number;
  validAcknowledgements: number;
  invalidAcknowledgements: number;
  /** Tasks that reached each terminal (or other) state, by state name. */
  readonly tasksReached: Record<string, number>;
}

export interface State {
  epoch: number;
  leader: LeaderInfo | null;
  /** Time of the last folded event (ms). */
  time: number;
  readonly agents: Map<AgentId, AgentState>;
  readonly frameworks: Map<FrameworkId, FrameworkState>;
  readonly completedFrameworks: FrameworkState[];
  readonly offers: Map<OfferId, OfferState>;
  readonly retiredOffers: Map<OfferId, RetiredOffer>;
  readonly tasks: Map<TaskKey, TaskState>;
  readonly executors: Map<string, ExecutorState>;
  /**
   * Events the leader owes: commands to agents and notices to frameworks that the fold decided
   * on. Keyed by the id the event will carry; the fold removes an entry when it sees that event.
   */
  readonly outbox: Map<string, Draft>;
  readonly counters: Counters;
}

export const LIMITS = {
  /** Mesos's --max_completed_tasks_per_framework. */
  completedTasksPerFramework: 1000,
  /** Mesos's --max_completed_frameworks. */
  completedFrameworks: 50,
  statusesPerTask: 10,
  retiredOffers: 10_000,
} as const;

export function initialState(): State {
  return {
    epoch: 0,
    leader: null,
    time: 0,
    agents: new Map(),
    frameworks: new Map(),
    completedFrameworks: [],
    offers: new Map(),
    retiredOffers: new Map(),
    tasks: new Map(),
    executors: new Map(),
    outbox: new Map(),
    counters: {
      eventsFolded: 0,
      staleDecisionsIgnored: 0,
      slaveRegistrations: 0,
      slaveReregistrations: 0,
      slaveRemovals: 0,
      frameworksSubscribed: 0,
      frameworksRemoved: 0,
      offersCreated: 0,
      offersInvalid: 0,
      offersAccepted: 0,
      offersDeclined: 0,
      offersRescinded: 0,
      acceptsRefused: 0,
      acceptCalls: 0,
      declineCalls: 0,
      validStatusUpdates: 0,
      invalidStatusUpdates: 0,
      validAcknowledgements: 0,
      invalidAcknowledgements: 0,
      tasksReached: {},
    },
  };
}

/** A deep copy (structuredClone keeps Maps and Sets). */
export const cloneState = (s: State): State => structuredClone(s);
