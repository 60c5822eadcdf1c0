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
  ExecutorInfo,
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
} from '../../events/index.js';
import { type Quantities, zeroQ } from './quantities.js';

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
  /** What the agent itself announced (static reservations included, dynamic ones not). */
  announced: Resources;
  /** Dynamically reserved resources (and the volumes on them), kept across re-registrations. */
  dynamic: Resources;
  /** Deactivated by the operator (DEACTIVATE_AGENT) or by draining: no offers. */
  deactivated: boolean;
  /** Set by DRAIN_AGENT, until REACTIVATE_AGENT. */
  drain: DrainState | null;
  /** Marked gone by the operator: it stays removed, even if it comes back. */
  gone: boolean;
  registeredAt: number;
  reregisteredAt: number | null;
  /** Sequence of the last command addressed to it (commands are numbered 1, 2, 3, …). */
  commandSeq: number;
  /** Last command sequence it reported having carried out. */
  lastCommandSeqSeen: number;
  readonly taskKeys: Set<TaskKey>;
  readonly offerIds: Set<OfferId>;
}

export interface DrainState {
  state: 'DRAINING' | 'DRAINED';
  /** Tasks are killed with at most this grace period (absent: each task's own). */
  readonly maxGracePeriodMs: number | null;
  /** Once drained, the agent is marked gone. */
  readonly markGone: boolean;
  readonly startedAt: number;
}

export type FrameworkStatus = 'ACTIVE' | 'INACTIVE' | 'REMOVED';

export interface RefuseFilter {
  /** The resources refused; offers that are not a subset of these are made anyway. */
  readonly resources: Resources;
  readonly until: number;
}

/** Refuse filters are per agent and role (a MULTI_ROLE framework declines for one role at a time). */
export const filterKey = (agentId: AgentId, role: string): string => `${agentId} ${role}`;

/** One resource request of a framework (Mesos's REQUEST call): what it still wants. */
export interface DemandEntry {
  /** A name the framework gave it (a task name, say), to find it again. */
  readonly name?: string | undefined;
  readonly role?: string | undefined;
  readonly agentId?: AgentId | undefined;
  readonly resources: Resources;
  readonly since: number;
}

/** The reasons the allocator last recorded for a framework's unmet demand (DemandUnmet). */
export interface PendingRecord {
  readonly reasons: readonly PendingReason[];
  readonly since: number;
  /** The time of the DemandUnmet event. */
  readonly recordedAt: number;
}

export interface PendingReason {
  readonly code: string;
  readonly message: string;
  readonly role?: string | undefined;
  readonly demand?: string | undefined;
  readonly agents?: number | undefined;
  readonly resource?: string | undefined;
}

export interface FrameworkState {
  readonly id: FrameworkId;
  info: FrameworkInfo;
  /** The HTTP principal authenticated when it registered, if any: only it may subscribe it again. */
  authenticatedPrincipal?: string | undefined;
  status: FrameworkStatus;
  registeredAt: number;
  reregisteredAt: number | null;
  unregisteredAt: number | null;
  /** When its connection went (INACTIVE); its failover timeout counts from here. */
  disconnectedAt: number | null;
  /** Every role of the framework is suppressed (see suppressedRoles). */
  suppressed: boolean;
  /** Roles for which it wants no offers (SUPPRESS, or subscribed with suppressed_roles). */
  readonly suppressedRoles: Set<string>;
  used: Resources;
  offered: Resources;
  /** Scalar quantities of used + offered, per role (thousandths): the framework sorter's input. */
  readonly allocation: Map<string, Quantities>;
  /** Offers made to it so far, per role (DRF's tie-break). */
  readonly offerCounts: Map<string, number>;
  /** Keyed by filterKey(agentId, role). */
  readonly filters: Map<string, RefuseFilter>;
  /** Expired filters are swept when the map reaches this size (amortised, see addFilter). */
  filterSweepAt: number;
  /** What it asked for with REQUEST and has not been offered yet. */
  demand: DemandEntry[];
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
  /** As the update carried them, so that a re-delivered update is the same as the first. */
  readonly executorId?: ExecutorId | undefined;
  readonly containerId?: string | undefined;
}

export interface TaskState {
  readonly key: TaskKey;
  readonly taskId: TaskId;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly name: string;
  readonly resources: Resources;
  readonly role: string;
  /** Absent for a task run by a custom executor. */
  readonly command?: CommandInfo | undefined;
  readonly killGracePeriodMs?: number | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly healthCheck?: HealthCheck | undefined;
  readonly check?: CheckInfo | undefined;
  /** The executor of its task group or its custom executor (absent for a plain command task). */
  readonly executorId?: ExecutorId | undefined;
  state: TaskStateName;
  /** Status history (the most recent ones are kept). */
  readonly statuses: StatusRecord[];
  /**
   * The uuids of its updates that await acknowledgement, oldest first. Each update is delivered to
   * the framework until it is acknowledged (the leader re-delivers them; see master/redelivery.ts);
   * a terminal task is completed once none is left. Updates whose record fell out of `statuses`
   * (more than LIMITS.statusesPerTask) can no longer be delivered and are dropped from here too.
   */
  readonly unacknowledged: string[];
  /** The agent command that launches it. */
  readonly launchSeq: number;
  /** Resources still counted as used (released when it reaches a terminal state). */
  holdsResources: boolean;
}

/**
 * An executor: a task group's (DEFAULT; its resources are held while any of its tasks is live) or
 * a custom one (CUSTOM; its resources are held from its first task until its agent reports it
 * exited, as Mesos's master accounts them).
 */
export interface ExecutorState {
  /** DEFAULT when absent (older snapshots). */
  readonly kind?: 'DEFAULT' | 'CUSTOM' | undefined;
  /** A custom executor's ExecutorInfo, as its first task gave it. */
  readonly info?: ExecutorInfo | undefined;
  readonly key: string;
  readonly executorId: ExecutorId;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly resources: Resources;
  readonly taskKeys: Set<TaskKey>;
  holdsResources: boolean;
  /** The role its resources are allocated to (that of its group's offer). */
  readonly role?: string | undefined;
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
  /** Framework messages, as Mesos's master/{valid,invalid}_framework_to_executor_messages (absent in older snapshots). */
  validFrameworkToExecutorMessages?: number;
  invalidFrameworkToExecutorMessages?: number;
  validExecutorToFrameworkMessages?: number;
  /** Tasks that reached each terminal (or other) state, by state name. */
  readonly tasksReached: Record<string, number>;
}

/** What the fold keeps per role for the allocator and the role endpoints (thousandths). */
export interface RoleAccount {
  /** used + offered by this role's frameworks (not its descendants'). */
  readonly allocated: Quantities;
  /** The part of `allocated` that is reserved resources. */
  readonly allocatedReserved: Quantities;
  /** The part of `allocated` that is offered (not used), and of that what is reserved. */
  readonly offered: Quantities;
  readonly offeredReserved: Quantities;
  /** Reserved for exactly this role on agents that are not removed. */
  readonly reserved: Quantities;
  /** Frameworks subscribed with this role (not removed). */
  readonly frameworks: Set<FrameworkId>;
  /** Offers made to this role so far: DRF breaks ties of equal shares by it (fewer first), as Mesos's sorter. */
  offers: number;
}

export const newRoleAccount = (): RoleAccount => ({
  allocated: zeroQ(),
  allocatedReserved: zeroQ(),
  offered: zeroQ(),
  offeredReserved: zeroQ(),
  reserved: zeroQ(),
  frameworks: new Set(),
  offers: 0,
});

/** Quota of a role, in natural units (Mesos's QuotaConfig): guarantees and limits per resource. */
export interface QuotaConfig {
  readonly guarantees: Readonly<Record<string, number>>;
  readonly limits: Readonly<Record<string, number>>;
}

/** Allocator settings the leader records in the log (AllocatorConfigured), so replay decides alike. */
export interface AllocatorSettings {
  /** Mesos's --min_allocatable_resources: an offer must hold at least one of these (natural units). */
  minAllocatable: readonly Readonly<Record<string, number>>[];
  filterGpuResources: boolean;
  /** Mesos's --roles: the roles frameworks may use (null: any). */
  roleWhitelist: readonly string[] | null;
}

export const defaultAllocatorSettings = (): AllocatorSettings => ({
  minAllocatable: [{ cpus: 0.01 }, { mem: 32 }],
  filterGpuResources: true,
  roleWhitelist: null,
});

/**
 * What changed for the allocator, so that a cycle does work only for what changed. The fold
 * appends an agent's id whenever its free resources, status or reservations change, and bumps
 * `global` on changes that concern every agent (a framework that may now want offers, weights,
 * quota, maintenance, settings). `base` counts entries dropped from the front (the list is trimmed
 * as it grows); an allocator whose position fell off the front starts over.
 */
export interface AllocatorJournal {
  global: number;
  base: number;
  readonly agents: AgentId[];
}

/** A machine in maintenance (Mesos's MachineID: hostname and/or ip). */
export interface MachineId {
  readonly hostname?: string | undefined;
  readonly ip?: string | undefined;
}

export interface Unavailability {
  readonly start: number;
  /** Absent: until further notice. */
  readonly durationMs?: number | undefined;
}

export interface MaintenanceWindow {
  readonly machines: readonly MachineId[];
  readonly unavailability: Unavailability;
}

export type MachineMode = 'DRAINING' | 'DOWN';

export interface MachineState {
  readonly id: MachineId;
  mode: MachineMode;
  unavailability: Unavailability;
}

export interface InverseOfferState {
  readonly id: string;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly unavailability: Unavailability;
  readonly createdAt: number;
  /** The framework's answer, if any (advisory only, as in Mesos). */
  status: 'UNKNOWN' | 'ACCEPTED' | 'DECLINED';
  answeredAt: number | null;
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
  // --- allocation (roles, weights, quota, reservations, maintenance) --------------------------
  /** Roles that have frameworks, reservations, allocations, weights or quota. */
  readonly roles: Map<string, RoleAccount>;
  /** Weights set by the operator (or --weights); roles not listed weigh 1. */
  readonly weights: Map<string, number>;
  /** Weights were ever set (the --weights flag is then ignored, as Mesos ignores it once the registry holds weights). */
  weightsSet: boolean;
  readonly quotas: Map<string, QuotaConfig>;
  allocator: AllocatorSettings;
  /** Scalar totals of the agents that are not removed (thousandths): the denominators of DRF shares. */
  readonly totals: Quantities;
  readonly journal: AllocatorJournal;
  readonly maintenance: { windows: MaintenanceWindow[]; readonly machines: Map<string, MachineState> };
  readonly inverseOffers: Map<string, InverseOfferState>;
  /** Operator calls the fold refused (event id → why), so the API can answer; the newest are kept. */
  readonly operatorRefusals: Map<string, string>;
  /** The last recorded reasons for frameworks' unmet demand. */
  readonly pending: Map<FrameworkId, PendingRecord>;
}

export const LIMITS = {
  /** Mesos's --max_completed_tasks_per_framework. */
  completedTasksPerFramework: 1000,
  /** Mesos's --max_completed_frameworks. */
  completedFrameworks: 50,
  statusesPerTask: 10,
  /** Retired offers remembered (between this many and twice as many: trimmed in halves). */
  retiredOffers: 10_000,
  operatorRefusals: 1000,
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
    roles: new Map(),
    weights: new Map(),
    weightsSet: false,
    quotas: new Map(),
    allocator: defaultAllocatorSettings(),
    totals: zeroQ(),
    journal: { global: 0, base: 0, agents: [] },
    maintenance: { windows: [], machines: new Map() },
    inverseOffers: new Map(),
    operatorRefusals: new Map(),
    pending: new Map(),
  };
}

/** The key of a machine in maintenance: its hostname, else its ip. */
export const machineKey = (m: MachineId): string => (m.hostname !== undefined && m.hostname !== '' ? `host:${m.hostname.toLowerCase()}` : `ip:${m.ip ?? ''}`);

/** A deep copy (structuredClone keeps Maps and Sets). */
export const cloneState = (s: State): State => structuredClone(s);
