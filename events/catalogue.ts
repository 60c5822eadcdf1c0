/**
 * The event catalogue: every fact and command that goes into the cluster log, declared once.
 *
 * Envelope (on every event): `type`, `schemaVersion`, `id` (unique; for commands the leader sends
 * from its outbox the id is derived from the causing event, so a re-send is recognisable), `time`
 * (milliseconds since the epoch, set by whoever appends it; the fold reads time only from here).
 * Decisions made by the leading master also carry `epoch`: the fold ignores a decision whose epoch
 * is not the current one (fencing). Calls made by agents and frameworks carry no epoch.
 *
 * Naming: facts are past tense (`AgentRegistered`, `OffersDeclined`); commands the leader sends to
 * an agent are imperative (`LaunchTasks`, `KillTask`).
 */
import { z } from 'zod';
import { CheckInfo, CheckStatusInfo, HealthCheck } from './checks.js';
import { AgentId, ExecutorId, FrameworkId, OfferId, TaskId } from './ids.js';
import { Filters } from './filters.js';
import { Attribute, Resources } from './resources.js';
import { StatusReason, StatusSource, TaskStateName } from './task-states.js';
import { RoleName } from './envelope.js';
import { OfferConstraints } from './offer-constraints.js';
import { AllocatorConfigured, QuotaUpdated, WeightsUpdated } from './roles.js';
import {
  CreateOperation,
  DestroyOperation,
  ReserveOperation,
  ResourcesReserved,
  ResourcesUnreserved,
  UnreserveOperation,
  VolumesCreated,
  VolumesDestroyed,
} from './reservations.js';
import {
  AgentDeactivated,
  AgentDrainStarted,
  AgentReactivated,
  InverseOffersAccepted,
  InverseOffersCreated,
  InverseOffersDeclined,
  InverseOffersRescinded,
  MaintenanceScheduleUpdated,
  MaintenanceStarted,
  MaintenanceStopped,
  UnavailabilitySchema,
} from './maintenance.js';
import { DemandUnmet, ResourcesRequested } from './demand.js';
import { SecretEnvironment } from './secrets.js';

import { decision, either, envelope, SCHEMA_VERSION } from './envelope.js';

export { SCHEMA_VERSION };

const Labels = z.record(z.string(), z.string());

/** Mesos's limit for a framework message's body (base64 of at most ~1 MiB). */
export const MAX_MESSAGE_BASE64 = 1_400_000;

// ---------------------------------------------------------------------------------------------
// Shared shapes

/** A file the agent fetches into the sandbox before the task starts (Mesos's CommandInfo.URI). */
export const CommandUri = z.object({
  /** An http(s) URL, a file:// URL or an absolute path on the agent. */
  value: z.string().min(1).max(4096),
  /** chmod 0755 the fetched file (then it is not extracted). */
  executable: z.boolean().default(false),
  /** Unpack .tar, .tar.gz/.tgz, .tar.bz2/.tbz2, .tar.xz/.txz and .zip archives into the sandbox (Mesos's default: true). */
  extract: z.boolean().default(true),
  /** The file's path in the sandbox, relative (default: the last path segment of the URI). */
  outputFile: z
    .string()
    .min(1)
    .max(1024)
    .refine((p) => !p.startsWith('/') && !p.includes('\0') && p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..'), {
      message: 'must be a relative path inside the sandbox (no empty, "." or ".." segments)',
    })
    .optional(),
});
export type CommandUri = z.infer<typeof CommandUri>;

export const CommandInfo = z.object({
  /**
   * The command line (shell) or the executable (not shell). Empty only for a task in an image with
   * shell false: the image's Entrypoint/Cmd run then (with `arguments`, as Mesos's docker/runtime).
   */
  value: z.string(),
  shell: z.boolean().default(true),
  arguments: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  user: z.string().min(1).optional(),
  uris: z.array(CommandUri).max(256).optional(),
  /**
   * Environment variables whose values are secrets (Mesos's `Environment.Variable` of type SECRET
   * with a `Secret` of type VALUE): set in the task's environment by the agent, masked wherever a
   * command is shown (events/secrets.ts). A name here wins over the same name in `environment`.
   */
  secrets: SecretEnvironment.optional(),
});
export type CommandInfo = z.infer<typeof CommandInfo>;

/** How a task is contained beyond its resources (Mesos's ContainerInfo, the parts this agent does). */
export const ContainerSettings = z.object({
  /** HOST (default): the agent's network; NONE: an empty network namespace (the agent's namespaces/network isolator). */
  network: z.enum(['HOST', 'NONE']).optional(),
  /** Stay in the agent's pid namespace although namespaces/pid is on (Mesos's LinuxInfo.share_pid_namespace). */
  sharePidNamespace: z.boolean().optional(),
  /**
   * Mesos's `mesos.image`: the task runs in this image's root filesystem (the agent's provisioner).
   * DOCKER: `name` is `repo[:tag]`; APPC: `name` is the ACI's name and `labels` (version, os, arch, …) pick it.
   */
  image: z
    .object({
      type: z.enum(['DOCKER', 'APPC']),
      name: z.string().min(1).max(1024),
      labels: z.record(z.string().min(1).max(128), z.string().max(1024)).optional(),
      /** Mesos's `Image.cached` (default true): false asks the registry again although the image is cached. */
      cached: z.boolean().optional(),
    })
    .optional(),
  /** Mesos's `volumes` (HOST_PATH and SANDBOX_PATH sources) of a task with an image: bind mounts, `RO` read-only. */
  volumes: z
    .array(
      z.object({
        /** Absolute: in the image's root; relative: in the sandbox. */
        containerPath: z.string().min(1).max(4096),
        mode: z.enum(['RW', 'RO']),
        source: z.object({ type: z.enum(['HOST_PATH', 'SANDBOX_PATH']), path: z.string().min(1).max(4096) }),
      }),
    )
    .max(64)
    .optional(),
});
export type ContainerSettings = z.infer<typeof ContainerSettings>;

/** Framework messages and TaskInfo.data travel base64-encoded (Mesos's JSON for `bytes`). */
export const Base64Data = z
  .string()
  .max(MAX_MESSAGE_BASE64)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64-encoded bytes');

/**
 * A custom executor (Mesos's ExecutorInfo of type CUSTOM): the program the agent starts when the
 * first task for it arrives, which then runs that task and every later one of its framework on
 * that agent with the same executor id, speaking the v1 executor HTTP API with the agent.
 */
export const ExecutorInfo = z.object({
  executorId: ExecutorId,
  /** When given, the framework's own id (Mesos checks it). */
  frameworkId: FrameworkId.optional(),
  name: z.string().max(1024).optional(),
  command: CommandInfo,
  /** Its own resources, held besides its tasks' while it runs. */
  resources: Resources,
  /** SHUTDOWN, then this long, then SIGKILL (Mesos's shutdown_grace_period; default the agent's 5 s). */
  shutdownGracePeriodMs: z.number().int().nonnegative().optional(),
});
export type ExecutorInfo = z.infer<typeof ExecutorInfo>;

export const TaskInfo = z.object({
  taskId: TaskId,
  name: z.string().max(1024),
  agentId: AgentId,
  resources: Resources,
  /** What a command task runs. A task run by a custom executor has none (one of the two, as Mesos). */
  command: CommandInfo.optional(),
  /** Present when the task is run by a custom executor instead of the command executor. */
  executor: ExecutorInfo.optional(),
  /** Opaque bytes for the executor (Mesos's TaskInfo.data), base64. */
  data: Base64Data.optional(),
  /** SIGTERM, then this long, then SIGKILL. Defaults to the agent's grace period. */
  killGracePeriodMs: z.number().int().nonnegative().optional(),
  labels: Labels.optional(),
  container: ContainerSettings.optional(),
  /** Run by the agent; a task that fails it `consecutiveFailures` times is killed. */
  healthCheck: HealthCheck.optional(),
  /** Run by the agent; its result is reported in `checkStatus`, nothing acts on it. */
  check: CheckInfo.optional(),
});
export type TaskInfo = z.infer<typeof TaskInfo>;

export const LaunchOperation = z.object({ type: z.literal('LAUNCH'), tasks: z.array(TaskInfo).min(1) });

/** The executor of a task group (Mesos's DEFAULT executor): its own resources, held while any of its tasks runs. */
export const GroupExecutor = z.object({ executorId: ExecutorId, resources: Resources });
export type GroupExecutor = z.infer<typeof GroupExecutor>;

/** Mesos's LAUNCH_GROUP: tasks launched together on one agent under one executor, all or none. */
export const LaunchGroupOperation = z.object({
  type: z.literal('LAUNCH_GROUP'),
  executor: GroupExecutor,
  /**
   * Present when the group's executor is a custom one (Mesos's ExecutorInfo of type CUSTOM, with
   * its command; its id and resources are `executor`'s): the group goes to it as one LAUNCH_GROUP.
   * Absent: Mesos's DEFAULT executor (the agent runs each task in a container of its own).
   */
  customExecutor: ExecutorInfo.optional(),
  tasks: z.array(TaskInfo).min(1),
});
export const Operation = z.discriminatedUnion('type', [
  LaunchOperation,
  LaunchGroupOperation,
  ReserveOperation,
  UnreserveOperation,
  CreateOperation,
  DestroyOperation,
]);
export type Operation = z.infer<typeof Operation>;

/** The tasks an operation launches (none for RESERVE, UNRESERVE, CREATE, DESTROY). */
export const operationTasks = (op: Operation): readonly TaskInfo[] => (op.type === 'LAUNCH' || op.type === 'LAUNCH_GROUP' ? op.tasks : []);

export const FRAMEWORK_CAPABILITIES = [
  'REVOCABLE_RESOURCES',
  'TASK_KILLING_STATE',
  'GPU_RESOURCES',
  'SHARED_RESOURCES',
  'PARTITION_AWARE',
  'MULTI_ROLE',
  'RESERVATION_REFINEMENT',
  'REGION_AWARE',
] as const;
export const FrameworkCapability = z.enum(FRAMEWORK_CAPABILITIES);
export type FrameworkCapability = z.infer<typeof FrameworkCapability>;

export const FrameworkInfo = z.object({
  name: z.string().min(1).max(1024),
  user: z.string().min(1).max(256),
  roles: z.array(z.string().min(1)).min(1).default(['*']),
  /** How long a disconnected framework keeps its tasks (Mesos's failover_timeout; default 0). */
  failoverTimeoutMs: z.number().int().nonnegative().default(0),
  checkpoint: z.boolean().default(false),
  capabilities: z.array(FrameworkCapability).default([]),
  hostname: z.string().optional(),
  principal: z.string().optional(),
  webuiUrl: z.string().optional(),
  labels: Labels.optional(),
  /** Which agents it may be offered, per role (Mesos's subscribe.offer_constraints). */
  offerConstraints: OfferConstraints.optional(),
});
export type FrameworkInfo = z.infer<typeof FrameworkInfo>;

export const TaskStatus = z.object({
  agentId: AgentId,
  frameworkId: FrameworkId,
  taskId: TaskId,
  executorId: ExecutorId.optional(),
  state: TaskStateName,
  source: StatusSource,
  reason: StatusReason.optional(),
  message: z.string().max(4096).optional(),
  /** Present on updates that must be acknowledged (agent-generated ones). */
  uuid: z.string().min(1).max(64).optional(),
  /** When the status happened (ms since the epoch). */
  timestamp: z.number().nonnegative(),
  /** Set on the updates of a health-checked task once it has been checked (and on its kill). */
  healthy: z.boolean().optional(),
  /** The last result of the task's general check (present on every update of a task that has one). */
  checkStatus: CheckStatusInfo.optional(),
  containerId: z.string().optional(),
});
export type TaskStatus = z.infer<typeof TaskStatus>;

/** Stable codes for an accept the fold refused; callers match on these, never on the message. */
export const ACCEPT_REFUSAL_CODES = [
  'FRAMEWORK_UNKNOWN',
  'FRAMEWORK_INACTIVE',
  'OFFER_UNKNOWN',
  'OFFER_RESCINDED',
  'OFFER_EXPIRED',
  'OFFER_NOT_YOURS',
  'OFFER_DUPLICATED',
  'OFFERS_ON_DIFFERENT_AGENTS',
  'AGENT_INACTIVE',
  'RESOURCES_EXCEEDED',
  'TASK_INVALID',
  'TASK_GROUP_INVALID',
  'TASK_ID_DUPLICATE',
  'OFFERS_ON_DIFFERENT_ROLES',
  'OPERATION_INVALID',
] as const;
export const AcceptRefusalCode = z.enum(ACCEPT_REFUSAL_CODES);
export type AcceptRefusalCode = z.infer<typeof AcceptRefusalCode>;

// ---------------------------------------------------------------------------------------------
// Agents report

export const AgentInfo = {
  agentId: AgentId,
  hostname: z.string().min(1),
  /** The agent's HTTP port (0 when it serves none). */
  port: z.number().int().min(0).max(65535),
  /** The address its HTTP endpoint is reached at (absent in logs from before agents served HTTP). */
  ip: z.string().min(1).max(64).optional(),
  resources: Resources,
  attributes: z.array(Attribute).default([]),
  version: z.string(),
  /** `cgroups-v1`, `cgroups-v2` or `posix`: what actually isolates its tasks. */
  isolation: z.string(),
  /** The isolators it runs (`cgroups/cpu`, `namespaces/pid`, `disk/du`, …), when it says. */
  isolators: z.array(z.string()).optional(),
  /** Why it runs posix isolation although cgroups were wanted (`--isolation auto` on a host without them). */
  isolationFallback: z.string().optional(),
};

export const AgentRegistered = z.object({ type: z.literal('AgentRegistered'), ...envelope, ...AgentInfo });

/** An agent that was known before (restart, or back after being unreachable) announces itself again. */
export const AgentReregistered = z.object({
  type: z.literal('AgentReregistered'),
  ...envelope,
  ...AgentInfo,
  /** The tasks it still runs, and the last command sequence it has carried out. */
  tasks: z.array(z.object({ frameworkId: FrameworkId, taskId: TaskId, state: TaskStateName })).default([]),
  lastCommandSeq: z.number().int().nonnegative().default(0),
});

/** The agent left gracefully (it may come back); it gets no offers meanwhile. */
export const AgentDisconnected = z.object({
  type: z.literal('AgentDisconnected'),
  ...envelope,
  agentId: AgentId,
});

/** A task's status, from an agent (with a uuid to acknowledge) or from the leader (epoch, no uuid). */
export const TaskStatusUpdated = z.object({ type: z.literal('TaskStatusUpdated'), ...either, status: TaskStatus });

// ---------------------------------------------------------------------------------------------
// Frameworks call

export const FrameworkSubscribed = z.object({
  type: z.literal('FrameworkSubscribed'),
  ...envelope,
  frameworkId: FrameworkId,
  info: FrameworkInfo,
  /** Roles it wants no offers for yet (Mesos's subscribe.suppressed_roles). */
  suppressedRoles: z.array(RoleName).optional(),
  /**
   * The HTTP principal the master authenticated for this SUBSCRIBE (HTTP Basic), when there was
   * one. The first one recorded for a framework is the only principal that may subscribe it again.
   */
  authenticatedPrincipal: z.string().min(1).optional(),
});

/**
 * Version 2: the filter is explicit (`filters`, resolved by the publisher with `refuseFilter`).
 * Version 1 had an optional `refuseSeconds` that the fold defaulted (see events/filters.ts).
 */
export const OffersAccepted = z.object({
  type: z.literal('OffersAccepted'),
  ...envelope,
  schemaVersion: z.literal(2),
  frameworkId: FrameworkId,
  offerIds: z.array(OfferId).min(1),
  operations: z.array(Operation),
  /** Filter for the unused part of the offers (Mesos's Filters). */
  filters: Filters,
});

/** Version 2: the filter is explicit, as in OffersAccepted. */
export const OffersDeclined = z.object({
  type: z.literal('OffersDeclined'),
  ...envelope,
  schemaVersion: z.literal(2),
  frameworkId: FrameworkId,
  offerIds: z.array(OfferId).min(1),
  filters: Filters,
});

export const TaskKillRequested = z.object({
  type: z.literal('TaskKillRequested'),
  ...envelope,
  frameworkId: FrameworkId,
  taskId: TaskId,
  agentId: AgentId.optional(),
  gracePeriodMs: z.number().int().nonnegative().optional(),
});

export const StatusAcknowledged = z.object({
  type: z.literal('StatusAcknowledged'),
  ...envelope,
  frameworkId: FrameworkId,
  agentId: AgentId,
  taskId: TaskId,
  uuid: z.string().min(1).max(64),
});

/** `roles`: the roles revived or suppressed; absent or empty means all the framework's roles (as in Mesos). */
export const OffersRevived = z.object({ type: z.literal('OffersRevived'), ...envelope, frameworkId: FrameworkId, roles: z.array(RoleName).optional() });
export const OffersSuppressed = z.object({ type: z.literal('OffersSuppressed'), ...envelope, frameworkId: FrameworkId, roles: z.array(RoleName).optional() });

/** A framework is gone: torn down by itself (no epoch) or removed by the leader (failover timeout). */
/**
 * The framework's connection is gone (its HTTP subscription closed): no offers meanwhile; it keeps
 * its tasks until its failover timeout, counted from this event, runs out.
 */
export const FrameworkDisconnected = z.object({
  type: z.literal('FrameworkDisconnected'),
  ...decision,
  frameworkId: FrameworkId,
});

export const FrameworkRemoved = z.object({
  type: z.literal('FrameworkRemoved'),
  ...either,
  frameworkId: FrameworkId,
  reason: z.enum(['TEARDOWN', 'FAILOVER_TIMEOUT', 'OPERATOR']),
});

// ---------------------------------------------------------------------------------------------
// The leader decides

export const LeaderElected = z.object({
  type: z.literal('LeaderElected'),
  ...decision,
  masterId: z.string().min(1),
  hostname: z.string(),
  /** The address the master's HTTP API listens on. */
  ip: z.string(),
  /** The master's HTTP port. */
  port: z.number().int().min(0).max(65535),
  /**
   * What the election does to the outstanding offers. `RESCINDED` (the default) or absent (older
   * builds): every outstanding offer is rescinded (LEADER_CHANGED) and the new leader offers afresh,
   * as after a Mesos failover. `KEPT` (`mesos master --keep-offers-on-election`): they stay, and
   * nothing is re-offered. Refuse filters are folded state and hold either way.
   */
  offers: z.enum(['KEPT', 'RESCINDED']).optional(),
});

export const OffersCreated = z.object({
  type: z.literal('OffersCreated'),
  ...decision,
  frameworkId: FrameworkId,
  offers: z
    .array(
      z.object({
        offerId: OfferId,
        agentId: AgentId,
        hostname: z.string(),
        role: z.string(),
        resources: Resources,
        /** When the leader will rescind it (absent: never). */
        expiresAt: z.number().int().nonnegative().optional(),
        /** The agent's machine is scheduled for maintenance from then (Mesos's Offer.unavailability). */
        unavailability: UnavailabilitySchema.optional(),
      }),
    )
    .min(1),
});

export const OffersRescinded = z.object({
  type: z.literal('OffersRescinded'),
  ...decision,
  frameworkId: FrameworkId,
  offerIds: z.array(OfferId).min(1),
  reason: z.enum(['EXPIRED', 'AGENT_GONE', 'LEADER_CHANGED', 'FRAMEWORK_GONE', 'AGENT_DEACTIVATED', 'ALLOCATION_CHANGED']),
});

export const AcceptRefused = z.object({
  type: z.literal('AcceptRefused'),
  ...decision,
  frameworkId: FrameworkId,
  /** The id of the OffersAccepted event that was refused. */
  acceptId: z.string(),
  /**
   * Present when only this operation of the accept was dropped (one task of a LAUNCH, a whole
   * LAUNCH_GROUP, a RESERVE/UNRESERVE/CREATE/DESTROY); the accept's other operations went ahead.
   * Absent: the whole accept was refused (invalid offers, framework or agent).
   */
  operation: z.number().int().nonnegative().optional(),
  code: AcceptRefusalCode,
  message: z.string(),
  offerIds: z.array(OfferId),
  /** The tasks of the refused accept, each with the agent it named. */
  tasks: z.array(z.object({ taskId: TaskId, agentId: AgentId })),
});

/** Launch command for one agent. `agentSeq` numbers the commands of an agent 1, 2, 3, … */
export const LaunchTasks = z.object({
  type: z.literal('LaunchTasks'),
  ...decision,
  agentId: AgentId,
  agentSeq: z.number().int().positive(),
  frameworkId: FrameworkId,
  framework: z.object({ name: z.string(), user: z.string(), checkpoint: z.boolean() }),
  /** The role its resources are allocated to (the offer's role; absent in older logs). */
  role: z.string().optional(),
  /** Present for a task group: its tasks run under this executor. */
  executor: GroupExecutor.optional(),
  /** Present when the tasks are run by this custom executor (started by the first of its tasks on the agent). */
  customExecutor: ExecutorInfo.optional(),
  /** With customExecutor: the tasks are one task group (the executor gets them in one LAUNCH_GROUP). */
  group: z.boolean().optional(),
  tasks: z.array(TaskInfo).min(1),
});

export const KillTask = z.object({
  type: z.literal('KillTask'),
  ...decision,
  agentId: AgentId,
  agentSeq: z.number().int().positive(),
  frameworkId: FrameworkId,
  taskId: TaskId,
  gracePeriodMs: z.number().int().nonnegative().optional(),
  /** Why the master kills it (e.g. REASON_AGENT_DRAINING): the agent reports its TASK_KILLED with it. */
  reason: StatusReason.optional(),
  /** The message for that TASK_KILLED (e.g. which drain killed it). */
  message: z.string().optional(),
});

/**
 * Mesos's framework message from a scheduler to one of its executors (scheduler call MESSAGE). The
 * fold passes it on to the executor's agent (DeliverFrameworkMessage) when that executor runs there.
 */
export const FrameworkMessageSent = z.object({
  type: z.literal('FrameworkMessageSent'),
  ...envelope,
  frameworkId: FrameworkId,
  agentId: AgentId,
  executorId: ExecutorId,
  data: Base64Data,
});

/** A scheduler's message for an executor on this agent: the agent hands it to the executor (MESSAGE event). */
export const DeliverFrameworkMessage = z.object({
  type: z.literal('DeliverFrameworkMessage'),
  ...decision,
  agentId: AgentId,
  agentSeq: z.number().int().positive(),
  frameworkId: FrameworkId,
  executorId: ExecutorId,
  data: Base64Data,
});

/** An executor's message for its scheduler (executor call MESSAGE), appended by its agent. */
export const ExecutorMessageSent = z.object({
  type: z.literal('ExecutorMessageSent'),
  ...envelope,
  agentId: AgentId,
  frameworkId: FrameworkId,
  executorId: ExecutorId,
  data: Base64Data,
});

/**
 * A custom executor's process ended (Mesos's ExitedExecutorMessage): the master lets go of its
 * resources; its tasks that had not ended were reported TASK_FAILED by the agent before this.
 */
export const ExecutorExited = z.object({
  type: z.literal('ExecutorExited'),
  ...envelope,
  agentId: AgentId,
  frameworkId: FrameworkId,
  executorId: ExecutorId,
  /** The wait status (exit code << 8, or the signal number), when known. */
  status: z.number().int().optional(),
  message: z.string().max(4096),
});

export const AgentRemoved = z.object({
  type: z.literal('AgentRemoved'),
  ...decision,
  agentId: AgentId,
  /** OPERATOR: marked gone (MARK_AGENT_GONE, or drained with mark_gone); MAINTENANCE: its machine went down. */
  reason: z.enum(['UNREACHABLE', 'OPERATOR', 'MAINTENANCE']),
});

// ---------------------------------------------------------------------------------------------

export const ClusterEvent = z.discriminatedUnion('type', [
  AgentRegistered,
  AgentReregistered,
  AgentDisconnected,
  TaskStatusUpdated,
  FrameworkSubscribed,
  FrameworkDisconnected,
  OffersAccepted,
  OffersDeclined,
  TaskKillRequested,
  StatusAcknowledged,
  OffersRevived,
  OffersSuppressed,
  FrameworkRemoved,
  LeaderElected,
  OffersCreated,
  OffersRescinded,
  AcceptRefused,
  LaunchTasks,
  KillTask,
  AgentRemoved,
  // custom executors
  FrameworkMessageSent,
  DeliverFrameworkMessage,
  ExecutorMessageSent,
  ExecutorExited,
  // allocation: roles, quota, reservations, maintenance, demand
  WeightsUpdated,
  QuotaUpdated,
  AllocatorConfigured,
  ResourcesReserved,
  ResourcesUnreserved,
  VolumesCreated,
  VolumesDestroyed,
  MaintenanceScheduleUpdated,
  MaintenanceStarted,
  MaintenanceStopped,
  AgentDrainStarted,
  AgentDeactivated,
  AgentReactivated,
  InverseOffersCreated,
  InverseOffersRescinded,
  InverseOffersAccepted,
  InverseOffersDeclined,
  ResourcesRequested,
  DemandUnmet,
]);
export type ClusterEvent = z.infer<typeof ClusterEvent>;
export type EventType = ClusterEvent['type'];
export type EventOf<T extends EventType> = Extract<ClusterEvent, { type: T }>;

export const EVENT_TYPES: readonly EventType[] = ClusterEvent.options.map((o) => o.shape.type.value);

/** The schema version of each event type that this build writes (and upcasts older ones to). */
export type VersionOf<T extends EventType> = EventOf<T>['schemaVersion'];
export const EVENT_VERSIONS = Object.fromEntries(ClusterEvent.options.map((o) => [o.shape.type.value, o.shape.schemaVersion.value])) as {
  readonly [T in EventType]: VersionOf<T>;
};

/** The input form of an event (defaults not yet applied), as a publisher writes it. */
export type ClusterEventInput = z.input<typeof ClusterEvent>;

/** An event without its envelope stamps, as kept in the leader's outbox until sent. */
export type Draft<E extends ClusterEvent = ClusterEvent> = E extends unknown
  ? Omit<E, 'schemaVersion' | 'time' | 'epoch'>
  : never;

export type AgentCommand = EventOf<'LaunchTasks'> | EventOf<'KillTask'> | EventOf<'DeliverFrameworkMessage'>;

/** The event types that are commands to an agent (numbered by agentSeq). */
export const AGENT_COMMAND_TYPES: ReadonlySet<string> = new Set(['LaunchTasks', 'KillTask', 'DeliverFrameworkMessage']);

/** The leader epoch an event carries, if it is a decision. */
export const epochOf = (e: ClusterEvent): number | undefined => ('epoch' in e ? e.epoch : undefined);
