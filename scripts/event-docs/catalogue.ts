/**
 * docs/events.md, part 2: the hand-written text per event (who appends it, what folding it does),
 * notes on fields and shapes, the order of refusal codes. Keep it in step with the code.
 */
import { AcceptRefusalCode, CommandInfo, type EventType, FrameworkInfo, TaskInfo, TaskStatus } from '../../events/catalogue.js';
import { Filters } from '../../events/filters.js';
import { code } from './schema.js';

interface EventDoc {
  /** Who appends it, and when (the code that does). */
  readonly by: string;
  /** What it means and what folding it does (kernel/core/fold/). */
  readonly meaning: string;
}

export const EVENTS: Readonly<Record<EventType, EventDoc>> = {
  FrameworkMessageSent: {
    by: 'A framework: the v1 scheduler API\'s MESSAGE call (`kernel/shell/scheduler-api/gateway.ts`) or the SDK\'s `message()` (frameworks/sdk/scheduler.ts).',
    meaning:
      "A scheduler sends opaque bytes (`data`, base64) to one of its custom executors on an agent (Mesos's framework message). Folding it: when the framework is known and not removed, the executor is a custom executor of that framework running on that agent (in the master's books, i.e. launched and not reported exited) and the agent is not removed, the agent's command sequence moves on and a DeliverFrameworkMessage is owed to the agent (counted as `master/valid_framework_to_executor_messages`); otherwise it is dropped, as Mesos drops it, and counted as `master/invalid_framework_to_executor_messages`.",
  },
  DeliverFrameworkMessage: {
    by: 'The leader, from its outbox (id `message-<id of the FrameworkMessageSent>`), on the agent\'s command subject.',
    meaning:
      "A command to the agent: hand this framework message to the named executor (as the executor API's MESSAGE event). The agent carries it out in `agentSeq` order with its other commands; an executor that is not subscribed (any more) does not get it (Mesos drops such messages too). Folding it only clears the outbox entry and moves the agent's command numbering, as for LaunchTasks and KillTask.",
  },
  ExecutorMessageSent: {
    by: "The agent an executor runs on (`agent/executor/`), for the executor's MESSAGE call of the v1 executor API.",
    meaning:
      'A custom executor sends opaque bytes (`data`, base64) to its scheduler. The scheduler reads it from the log: the SDK\'s `messages$`, the v1 scheduler API\'s MESSAGE event. Folding it counts it (`master/valid_executor_to_framework_messages`) when the framework is known; nothing else changes.',
  },
  ExecutorExited: {
    by: "The agent a custom executor ran on (`agent/executor/`), once the executor's process has ended (after its tasks that had not ended were reported TASK_FAILED, REASON_EXECUTOR_TERMINATED).",
    meaning:
      "A custom executor's process ended (Mesos's ExitedExecutorMessage); `status` is its wait status when known. Folding it, for a custom executor of that framework in the master's books on that agent: its own resources are released and it leaves the books (and `/master/state`); a later task with the same executor id starts a new executor. Anything else (unknown executor, another agent, a task group's executor): no effect. The v1 scheduler API tells the framework as a FAILURE event.",
  },
  AgentRegistered: {
    by: "An agent (`agent/index.ts`), when it starts with a work dir that holds no checkpoint (`meta/agent.json`): a new agent with a new id.",
    meaning:
      "An agent announces itself: resources (given with `--resources`, static reservations such as `cpus(role):2` included, the rest detected), attributes, version, the isolation that actually contains its tasks, and the port and address of its HTTP endpoint (`port`, `ip`; shown as `slave(1)@ip:port`). Folding it adds the agent as ACTIVE with nothing used or offered and a command sequence of 0, adds its resources to the cluster totals and its static reservations to their roles' accounts, and counts a registration (`master/slave_registrations`). If the id is already known, the agent is updated in place (host, port, ip, version, isolation, attributes) and its resources become what it announced with its dynamic reservations and volumes applied again (those that no longer fit are dropped), made ACTIVE again, and a reregistration is counted instead. An agent marked gone (MARK_AGENT_GONE, or drained with mark_gone), or on a machine that is DOWN for maintenance, is ignored: it stays removed. The allocator journal names the agent, so the next allocation cycle looks at it.",
  },

  AgentReregistered: {
    by: "An agent that restarts on a work dir with a checkpoint (same agent id, same resources), and an agent that has not been pinged by any master for `--master-ping-timeout` (75 s by default: it was declared unreachable, or no master is up).",
    meaning:
      "An agent that was known before announces itself again, with the tasks it still runs and the last command sequence (`agentSeq`) it has carried out. Folding it does what AgentRegistered does (dynamic reservations and volumes applied again; ignored for an agent marked gone or on a machine down for maintenance; otherwise ACTIVE, counted as a reregistration) and then reconciles: tasks the master had written off as TASK_UNREACHABLE that the agent reports as running come back to the reported state (reason REASON_AGENT_REREGISTERED), and tasks the master believes live on this agent that the agent does not report become TASK_LOST (REASON_AGENT_RESTARTED) — but only if their launch command is at or below the reported `lastCommandSeq` (a launch still on its way is left alone). Each such change is owed to the framework as a TaskStatusUpdated notice. Tasks the agent reports as live that the master does not know (their framework was removed, or they ended, while the agent was away) are owed a KillTask (reason REASON_TASK_UNKNOWN). A restarted agent re-attaches to its running tasks and reports them, with the tasks whose last update is still in its durable queue (possibly terminal): so its tasks are not lost by a restart.",
  },

  AgentDisconnected: {
    by: 'An agent that stops gracefully (SIGTERM/SIGINT), after it has killed its tasks and their terminal updates are in the log.',
    meaning:
      'The agent left and may come back. Folding it marks the agent DISCONNECTED (the allocator offers only ACTIVE agents) and retires its outstanding offers; every ACTIVE framework that held one is owed an OffersRescinded (`AGENT_GONE`). Its tasks are not touched. Unknown or removed agents: no effect. The leader keeps pinging a disconnected agent; if it does not come back within the missed-ping limit, it is removed (AgentRemoved).',
  },
  TaskStatusUpdated: {
    by: 'The agent that runs the task (`agent/status-sender.ts`; no epoch, with a `uuid`), from its durable queue, retried with backoff until JetStream acknowledges it (the same event id each time, and again after an agent restart). Not appended again for a re-delivery: the leader re-delivers unacknowledged updates outside the log. Also the leader, from its outbox (with its epoch, no `uuid`), to tell a framework of a status the fold itself decided (agent removed or restarted, kill of an unknown task).',
    meaning:
      "A task's status changed. Folding an agent's update: an update for a task the master does not know, or from another agent than the task's, is counted as invalid (`master/invalid_status_updates`); a re-send whose `uuid` is already in the task's history is ignored; a transition the task state machine forbids is counted as invalid (nothing leaves a terminal state except TASK_UNREACHABLE and TASK_LOST, nothing goes back to TASK_STAGING, TASK_RUNNING does not go back to TASK_STARTING, TASK_KILLING goes back to STARTING/RUNNING only with REASON_RECONCILIATION). A valid update is appended to the task's status history (the last 10 are kept), changes its state, and releases the task's resources when it leaves the states that hold them (terminal states and TASK_UNREACHABLE hold none). An update with a `uuid` becomes the one awaiting acknowledgement; a terminal update without one completes the task at once (it moves to its framework's completed tasks). The leader's copy (with an epoch) changes nothing: it is the notice of a change the fold already made, and folding it only clears the outbox entry.",
  },
  FrameworkSubscribed: {
    by: "A framework, through the SDK (`subscribe()` in frameworks/sdk/scheduler.ts; `suppressedRoles` from its option) or the Mesos v1 scheduler API (SUBSCRIBE, with `suppressed_roles`); `mesos execute` and the demo use the SDK.",
    meaning:
      "A framework subscribes with its FrameworkInfo (one or more roles; several need MULTI_ROLE) and the roles it wants no offers for yet. Folding it adds the framework as ACTIVE, records it in each of its roles' accounts, and sets its suppressed roles (`suppressed` is true when every role is). A known id re-subscribing (scheduler failover) gets its outstanding offers retired (without a rescind notice), its info replaced except `user` and `checkpoint`, which keep their first values, its roles and suppressed roles updated, and is ACTIVE again. An id found among the completed (removed) frameworks is ignored: a removed framework stays removed. Either way the allocator looks at every idle agent again (journal `global`).",
  },

  OffersAccepted: {
    by: "A framework (`accept()` in the SDK, with `operations` for RESERVE/UNRESERVE/CREATE/DESTROY; the v1 scheduler API's ACCEPT).",
    meaning:
      "A framework accepts one or more offers, all from one agent and allocated to one role, with operations applied in order to what the offers hold: RESERVE (resources reserved DYNAMICally for the offer's role, or a refinement of an ancestor's reservation with RESERVATION_REFINEMENT), UNRESERVE (a reservation of the offer's role, not a volume), CREATE (a persistent volume of reserved disk, id unique per role on the agent, container path relative), DESTROY (a volume back to reserved disk), LAUNCH and LAUNCH_GROUP (tasks using what the offers hold at that point — a task may use what an earlier RESERVE or CREATE made). The fold validates it against the state at this point of the log, so log order decides every race (an accept that names an offer rescinded earlier in the log is refused by every replica alike). Refused (codes in AcceptRefusalCode, checked in that order; OPERATION_INVALID with the operation's index and reason): counted (`log/accepts_refused`), the named offers of this framework are retired so their resources return to the pool, and an AcceptRefused is owed — nothing of it takes effect. Valid: the offers are retired as used; reservations and volumes change the agent's total resources (and its dynamic resources, kept across re-registrations, and the roles' reserved accounts); if there are tasks, the agent's command sequence is increased once per launch, each task is created in TASK_STAGING holding its resources (on the agent, the framework and its role), requests of the framework's demand that the launched resources meet are removed, and a LaunchTasks command is owed to the agent (id `launch-<accept id>`). What the offers hold after the operations and is not used is filtered for (agent, role) for `filters.refuseSeconds` — an accept with no operations is a decline.",
  },

  OffersDeclined: {
    by: "A framework (`decline()` in the SDK; DECLINE in the v1 scheduler API).",
    meaning:
      "A framework declines offers. Folding it retires the named offers of this framework (offers that are unknown or another framework's are ignored) and adds, per agent and role, a refuse filter over the declined resources for `filters.refuseSeconds` (Mesos's Filters.refuse_seconds, resolved by the framework's side: see Filters; 0 means no filter). Until the filter expires (measured in event time), the allocator does not offer that framework, for that role, a subset of those resources on that agent. Expired filters are swept when a framework's filter map has doubled since the last sweep (O(1) amortised per filter). Filters are state: they hold across leader elections.",
  },

  TaskKillRequested: {
    by: 'A framework (`kill()` in the SDK; `mesos execute` on Ctrl-C).',
    meaning:
      "A framework asks to kill one of its tasks. Folding it: for an unknown framework, nothing. For a task that is unknown or already terminal, a TaskStatusUpdated is owed to the framework, as Mesos does (reason REASON_RECONCILIATION; the terminal state if known, else TASK_UNKNOWN for a partition-aware framework and TASK_LOST otherwise). Otherwise, unless the task's agent was removed, the agent's command sequence is increased and a KillTask command is owed to it (grace period: the request's, else the task's `killGracePeriodMs`, else the agent's default). The task's state does not change here: the agent's TASK_KILLED will change it.",
  },
  StatusAcknowledged: {
    by: 'A framework (`acknowledge()` in the SDK), for every update that carries a `uuid`.',
    meaning:
      "A framework acknowledges a status update. Folding it: the task must be live, on that agent, with that `uuid` in its status history, else it is counted as invalid (`master/invalid_status_update_acknowledgements`). If the uuid is the update awaiting acknowledgement, that is cleared, and a task in a terminal state is then completed (moved to its framework's completed tasks). The agent is not told: acknowledgements do not flow back to agents today (the agent does not keep updates for re-sending anyway).",
  },
  OffersRevived: {
    by: "A framework (`revive(roles?)` in the SDK; REVIVE in the v1 scheduler API, with `roles`).",
    meaning:
      "Folding it un-suppresses the named roles (none named: all the framework's roles) and clears their refuse filters (all of them when every role is named), so the next allocation cycle may offer them anything; the allocator looks at every idle agent again.",
  },

  OffersSuppressed: {
    by: "A framework (`suppress(roles?)` in the SDK; SUPPRESS in the v1 scheduler API, with `roles`).",
    meaning:
      "Folding it suppresses the named roles (none named: all the framework's roles): the allocator leaves the framework out of those roles until it revives them (`suppressed` is true when every role is). Offers it already holds stay outstanding.",
  },

  FrameworkRemoved: {
    by: "A framework tearing itself down (`teardown()` in the SDK; reason TEARDOWN, no epoch). The leader appends it (with its epoch) when a disconnected framework's failover timeout runs out (FAILOVER_TIMEOUT), and for the operator's TEARDOWN call (`POST /api/v1`, OPERATOR).",
    meaning:
      "The framework is gone. Folding it retires its offers, turns every non-terminal task into TASK_KILLED (REASON_FRAMEWORK_REMOVED, releasing its resources) and owes a KillTask to each such task's agent (unless the agent was removed), moves all its tasks to its completed tasks and the framework to the completed frameworks (the last 50 are kept), takes it out of its roles, drops its demand, pending reasons and inverse offers, and counts it. The id cannot subscribe again. Unknown ids: no effect.",
  },

  LeaderElected: {
    by: "A master (`kernel/shell/master/leader.ts`), once its fold has caught up with the log: appended with compare-and-swap (JetStream expected-last-subject-sequence on the leader subject), proposing the current epoch + 1.",
    meaning:
      "A master leads from this point of the log. Folding it requires a higher epoch than the current one (else it is ignored and counted in `log/stale_decisions_ignored`); it sets the epoch and the leader (shown in `/master/state` as `leader`/`leader_info`). With `offers: RESCINDED` (the default) or without `offers` (older builds), every outstanding offer is rescinded (retired; an OffersRescinded with LEADER_CHANGED is owed to each framework that held some, id `rescind-<election id>-<framework id>`) and the new leader offers afresh, as after a Mesos failover. With `offers: KEPT` (a master started with `--keep-offers-on-election`) outstanding offers are kept: they are in the log, the new leader knows them as the old one did, and an accept is judged by the fold whoever leads — so the election re-offers nothing (offers past their expiry are rescinded as usual). Refuse filters are kept either way. From here on every decision of another epoch has no effect (fencing): a deposed master that still writes changes nothing. Once elected, the leader records its allocator settings (AllocatorConfigured) and its `--weights` (WeightsUpdated) if the log needs them.",
  },

  OffersCreated: {
    by: "The leader, in an allocation cycle (`allocationCycleEvents` in kernel/shell/master/allocation-cycle.ts, with `runAllocation()` from kernel/core/allocator): per framework per cycle, split into several events of at most ~256 KiB and 2,000 offers each (nats-server refuses messages over 1 MiB); offer ids `<masterId>-O<n>`.",
    meaning:
      "The leader offers resources of agents to a framework, each offer for one of its roles (`role`: Mesos's allocation_info.role). Folding it checks each offer on its own: the framework must be ACTIVE and have that role, the offer id new (neither outstanding nor recently retired), the agent ACTIVE and not deactivated, draining or gone, the resources non-empty, allocatable to the role (unreserved, or reserved for the role or an ancestor) and within what the agent still has available (total − used − offered). An offer that fails is skipped (counted in `log/offers_invalid`); this is how a proposal made from a slightly old state (a framework torn down meanwhile) is neutralised. A valid offer becomes outstanding and its resources count as offered on the agent, the framework and its role (and in the role's count of offers, DRF's tie-break). `expiresAt` is the leader's offer timeout (`--offer-timeout`, 30 s by default); `unavailability` is set when the agent's machine is scheduled for maintenance.",
  },

  OffersRescinded: {
    by: "The leader: in an allocation cycle for offers past `expiresAt` (reason EXPIRED), and from its outbox for rescinds the fold decided: AGENT_GONE (an agent disconnects or is removed), AGENT_DEACTIVATED (deactivated, draining, its maintenance changed), ALLOCATION_CHANGED (weights or quota of the offer's role changed). LEADER_CHANGED when an election rescinds the outstanding offers (the default; not with `--keep-offers-on-election`); FRAMEWORK_GONE is defined but not used.",
    meaning:
      "Offers are withdrawn. Folding it retires the named offers of that framework that are still outstanding (as EXPIRED for reason EXPIRED, so that a later accept is refused with OFFER_EXPIRED; as RESCINDED otherwise) and counts them. For the reasons the fold decided itself it had already retired the offers when it folded the cause, so this event is the notice the framework hears (the SDK's `rescinds$`, RESCIND on a v1 stream).",
  },

  AcceptRefused: {
    by: 'The leader, from its outbox, after the fold refused an OffersAccepted.',
    meaning:
      "Tells the framework why its accept (`acceptId`) was refused, with a stable `code`. Folding it changes nothing but the outbox: the refusal itself took effect when the accept was folded. The SDK turns it into task status updates as Mesos would send them: TASK_ERROR (REASON_TASK_INVALID) for TASK_INVALID, TASK_ID_DUPLICATE and RESOURCES_EXCEEDED; otherwise TASK_LOST (TASK_DROPPED for partition-aware frameworks) with REASON_INVALID_OFFERS.",
  },
  LaunchTasks: {
    by: 'The leader, from its outbox, after the fold accepted an OffersAccepted with tasks. Message id `launch-<accept id>@<epoch>`.',
    meaning:
      "A command for one agent: launch these tasks of this framework. `agentSeq` numbers the commands of one agent 1, 2, 3, …; the agent carries them out strictly in that order, each once (agent/command-inbox.ts). Folding it only raises the agent's command sequence if needed and clears the outbox entry. The agent runs each task in a container: it reports TASK_STARTING, then TASK_RUNNING once the process is spawned, then TASK_FINISHED (exit 0), TASK_FAILED (non-zero exit: REASON_COMMAND_EXECUTOR_FAILED; memory limit: REASON_CONTAINER_LIMITATION_MEMORY; launch failure: REASON_CONTAINER_LAUNCH_FAILED) or TASK_KILLED. A task with a health check or check (TaskInfo.healthCheck / check) is checked from TASK_RUNNING on, and its TASK_RUNNING updates carry `healthy` (REASON_TASK_HEALTH_CHECK_STATUS_UPDATED) or `checkStatus` (REASON_TASK_CHECK_STATUS_UPDATED); a task its health check fails is TASK_KILLED with `healthy: false` and REASON_TASK_HEALTH_CHECK_STATUS_UPDATED. `role` is the role the tasks' resources are allocated to.",
  },
  KillTask: {
    by: "The leader, from its outbox, after the fold folded a TaskKillRequested (id `kill-<request id>`), a FrameworkRemoved (id `kill-<event id>-<task id>`) or an AgentDrainStarted (same form, reason REASON_AGENT_DRAINING).",
    meaning:
      "A command for one agent: kill this task (SIGTERM to the container, SIGKILL after the grace period — for a drain, the smaller of the task's and the drain's `max_grace_period`). Numbered in the same `agentSeq` sequence as launches. Folding it only raises the agent's command sequence if needed and clears the outbox entry. The agent reports TASK_KILLED when the process is gone; it does not send TASK_KILLING, and a kill for a task it does not run is ignored.",
  },

  FrameworkDisconnected: {
    by: "The leader, when a framework's connection is gone: its Mesos v1 HTTP subscription closed, or a native (NATS) framework missed `--max-framework-ping-timeouts` consecutive pings (kernel/shell/master/liveness.ts).",
    meaning:
      'The framework is INACTIVE: it gets no offers and its outstanding offers go back to the pool (nobody is listening for a rescind). It keeps its tasks. Its failover timeout counts from the time of this event: when it runs out, the leader appends FrameworkRemoved (FAILOVER_TIMEOUT), and since the clock is in the log, a new leader resumes it. A FrameworkSubscribed with the same id makes it ACTIVE again (the native SDK, still alive, subscribes again by itself when it sees this event about itself).',
  },
  AgentRemoved: {
    by: "The leader: when an agent missed `--max-agent-ping-timeouts` consecutive pings (UNREACHABLE; kernel/shell/master/liveness.ts); for the operator's MARK_AGENT_GONE (OPERATOR); from its outbox when a drained agent is to be marked gone (OPERATOR, id `gone-<agent id>-<cause id>`). MAINTENANCE is the fold's own doing when a machine goes down (no event).",
    meaning:
      "The agent is gone. Folding it marks it REMOVED (counted in `master/slave_removals`; it disappears from `/master/slaves`), takes its resources out of the cluster totals and its reservations out of their roles' accounts, retires its offers (owing OffersRescinded `AGENT_GONE` to ACTIVE frameworks) and inverse offers, drops from the outbox every command not yet sent to it, and turns each of its non-terminal tasks into TASK_UNREACHABLE with REASON_AGENT_REMOVED (resources released; the task stays known and comes back if the agent reregisters) — or TASK_GONE_BY_OPERATOR (REASON_AGENT_REMOVED_BY_OPERATOR) for OPERATOR, after which the agent is marked gone and may never register again. Each framework is owed a TaskStatusUpdated: the new state if it is partition-aware, TASK_LOST otherwise, as Mesos does.",
  },

  WeightsUpdated: {
    by: "The operator API (UPDATE_WEIGHTS, `mesos weights set`), or the leader for `--weights` (source FLAG) while the log holds no weights.",
    meaning:
      "Role weights for weighted DRF (a role's share is divided by its weight). Folding it sets each role's weight (1 removes it: the default), marks weights as set (so `--weights` is ignored from then on, as Mesos ignores the flag once the registry holds weights), and rescinds the outstanding offers of the reweighted roles and their descendants (ALLOCATION_CHANGED), so that they are made again under the new weights. An invalid role name is refused (operatorRefusals).",
  },
  QuotaUpdated: {
    by: "The operator API (UPDATE_QUOTA, `mesos quota set|remove`), after the same checks against the projection.",
    meaning:
      "Quota of roles, all or nothing: guarantees (held back for the role) and limits (the most the role and its descendants may consume: reservations plus unreserved resources used). Folding it checks, as Mesos does: valid roles, each once; only cpus, mem, disk and gpus; guarantees within limits; a parent's limits no lower than its children's and its guarantees at least their sum; and unless `force`, no role consuming more than its new limits and all guarantees within the cluster's capacity. Refused: nothing changes (the reason is kept for the API). Applied: an empty config removes a role's quota; offers of the changed roles and their descendants are rescinded (ALLOCATION_CHANGED). Quota may be set on nested roles (Mesos refuses those).",
  },
  AllocatorConfigured: {
    by: "The leader, when it starts to lead and its flags differ from what the log holds (`--min-allocatable-resources`, `--filter-gpu-resources`, `--roles`).",
    meaning:
      "The allocator's settings, in the log so that every replica and every replay decides alike. Folding it sets them; the allocator looks at every idle agent again.",
  },
  ResourcesReserved: {
    by: "The operator API (RESERVE_RESOURCES, `mesos reserve`).",
    meaning:
      "Dynamic reservation of an agent's free resources: `resources` carry the reservation (DYNAMIC, for a role; a refinement adds one to an existing reservation of an ancestor), `source` optionally what they are made from. Folding it checks the reservations, that the resources are free on the agent, and that no role would go over a quota limit; refused: nothing changes (operatorRefusals). Applied: the agent's total resources and its dynamic resources change, and so do the roles' reserved accounts.",
  },
  ResourcesUnreserved: {
    by: "The operator API (UNRESERVE_RESOURCES, `mesos unreserve`).",
    meaning:
      "Dynamically reserved free resources of an agent lose their last reservation (back to unreserved, or to the ancestor's reservation). Not STATIC reservations, not volumes (DESTROY first); only free resources. Refused otherwise (operatorRefusals).",
  },
  VolumesCreated: {
    by: "The operator API (CREATE_VOLUMES).",
    meaning:
      "Persistent volumes made of free reserved disk of an agent (a persistence id unique per role on the agent, a relative container path). Folding it converts the disk into the volumes (kept across re-registrations); the agent creates each volume's directory the first time a task uses it (`<work-dir>/volumes/roles/<role>/<id>`) and links it into the task's sandbox.",
  },
  VolumesDestroyed: {
    by: "The operator API (DESTROY_VOLUMES).",
    meaning:
      "Free persistent volumes of an agent become plain reserved disk again. (The agent does not delete the volume's directory yet: see docs/architecture.md.)",
  },
  MaintenanceScheduleUpdated: {
    by: "The operator API (UPDATE_MAINTENANCE_SCHEDULE, `mesos maintenance set`).",
    meaning:
      "The whole maintenance schedule, replaced: windows of machines (host name and/or ip) with their unavailability. Folding it makes every scheduled machine DRAINING (a machine already DOWN stays DOWN; a DOWN machine may not leave the schedule, and a machine may not be in two windows: refused), forgets machines that left it, and rescinds the offers and inverse offers of agents whose machine's maintenance changed (they are made again, offers carrying the unavailability). Agents are matched to machines by host name (case-insensitive), or by an ip used as host name. The leader then sends inverse offers to the frameworks running on DRAINING machines.",
  },
  MaintenanceStarted: {
    by: "The operator API (START_MAINTENANCE, `mesos maintenance start`).",
    meaning:
      "Machines go DOWN: each must be in the schedule (refused otherwise). Folding it removes their agents (reason MAINTENANCE: tasks TASK_GONE_BY_OPERATOR, TASK_LOST for frameworks that are not partition-aware) and their inverse offers; an agent on a DOWN machine may not register again until its maintenance stops.",
  },
  MaintenanceStopped: {
    by: "The operator API (STOP_MAINTENANCE, `mesos maintenance stop`).",
    meaning:
      "Machines come back UP: each must be DOWN (refused otherwise). Folding it takes them out of the schedule; their agents may register again.",
  },
  AgentDrainStarted: {
    by: "The operator API (DRAIN_AGENT, `mesos drain`).",
    meaning:
      "Draining an agent (Mesos's agent draining): it gets no new offers (its outstanding offers are rescinded, AGENT_DEACTIVATED), and each of its live tasks is killed (KillTask, REASON_AGENT_DRAINING, with at most `maxGracePeriodMs`). Once none of its tasks is left (their terminal updates acknowledged) it is DRAINED, and with `markGone` the leader marks it gone (AgentRemoved OPERATOR). Draining again with the same settings is fine, with others refused (409). REACTIVATE_AGENT ends a drain.",
  },
  AgentDeactivated: {
    by: "The operator API (DEACTIVATE_AGENT, `mesos agent deactivate`).",
    meaning:
      "The agent gets no new offers and its outstanding offers are rescinded (AGENT_DEACTIVATED); its tasks keep running.",
  },
  AgentReactivated: {
    by: "The operator API (REACTIVATE_AGENT, `mesos agent reactivate`).",
    meaning:
      "The agent is offered again; a drain (DRAINING or DRAINED) ends.",
  },
  InverseOffersCreated: {
    by: "The leader, in an allocation cycle: once for each framework with tasks or offers on an agent whose machine is scheduled for maintenance (DRAINING); ids `<masterId>-IO<n>`.",
    meaning:
      "Asks the framework to give the agent's resources back before the window (Mesos's INVERSE_OFFERS on a v1 stream; the SDK's `inverseOffers$`). Folding it records each inverse offer as outstanding, status UNKNOWN, for an ACTIVE framework and an agent that is not removed. It is withdrawn when the machine's maintenance changes or starts (InverseOffersRescinded) or the agent or framework goes.",
  },
  InverseOffersRescinded: {
    by: "The leader, from its outbox, when the fold withdrew inverse offers (maintenance changed or started).",
    meaning:
      "The notice to the framework (RESCIND_INVERSE_OFFER); folding it forgets the inverse offers if they are still known.",
  },
  InverseOffersAccepted: {
    by: "A framework (`acceptInverseOffers()` in the SDK; ACCEPT_INVERSE_OFFERS in the v1 scheduler API).",
    meaning:
      "The framework agrees to give the agents' resources back. Advisory, as in Mesos: folding it records the answer (GET_MAINTENANCE_STATUS shows it).",
  },
  InverseOffersDeclined: {
    by: "A framework (`declineInverseOffers()` in the SDK; DECLINE_INVERSE_OFFERS in the v1 scheduler API).",
    meaning:
      "The framework does not agree. Advisory: folding it records the answer.",
  },
  ResourcesRequested: {
    by: "A framework (`request()` in the SDK; REQUEST in the v1 scheduler API, role from the resources' allocation_info).",
    meaning:
      "What the framework still wants, replacing what it stated before (an empty list withdraws it): requests of resources, each optionally named, for a role, on an agent. The allocator does not allocate by it (as Mesos's does not); the leader explains, when a request stays unmet, why (DemandUnmet). Folding it sets the framework's demand; a launch that uses at least a request's resources (by quantity, in its role and on its agent) removes that request.",
  },
  DemandUnmet: {
    by: "The leader, in an allocation cycle (`PendingExplainer` in kernel/shell/master/allocation-cycle.ts): for a framework whose demand is not met — its requests, or when it stated none, wanting offers, holding none and having declined none — explained at most every `--why-pending-interval` (5 s), at most 20 frameworks a cycle, and appended only when the set of reasons (codes, roles, demands; not counts) changed; with no reasons when the demand is met or withdrawn.",
    meaning:
      "The reasons the allocator finds (kernel/core/allocator/why.ts), each with a message, the role, the demand it concerns, and the number of agents it applies to: FRAMEWORK_INACTIVE, FRAMEWORK_SUPPRESSED, ROLE_NOT_ALLOWED, QUOTA_LIMIT, QUOTA_HEADROOM, NO_AGENT_LARGE_ENOUGH, AGENT_NOT_FOUND, RESERVED_FOR_OTHER_ROLE, AGENTS_UNAVAILABLE, GPU_AGENTS_ONLY, FILTERED, RESOURCES_IN_USE, LOWER_IN_FAIR_SHARE. Folding it records them as the framework's pending record (none: the record is cleared). `mesos replay why-pending` shows them with their sequence numbers.",
  },
};

/** Notes on fields, by `Event.path`, or by `*.path` for every event. */
export const FIELD_NOTES: Readonly<Record<string, string>> = {
  '*.type': 'The discriminator.',
  '*.schemaVersion': 'Schema version of the event type (see the summary); older versions are upcast when decoded.',
  '*.id': 'Unique id, set by the appender. Also the Nats-Msg-Id (with `@<epoch>` for an event that carries an epoch).',
  '*.time': 'Milliseconds since the epoch, set by the appender. The fold reads time only from here.',
  '*.epoch': 'The leader epoch that made this decision; the fold ignores it unless it is the current epoch.',
  'AgentRegistered.port': "The agent's HTTP port (0: it serves none, which is the case today).",
  'AgentReregistered.port': "The agent's HTTP port (0: it serves none, which is the case today).",
  'AgentRegistered.isolation': '`cgroups-v1`, `cgroups-v2` or `posix`.',
  'AgentReregistered.isolation': '`cgroups-v1`, `cgroups-v2` or `posix`.',
  'AgentRegistered.isolators': 'The isolators it runs (`cgroups/cpu`, `cgroups/mem`, `namespaces/pid`, `disk/du`, …).',
  'AgentReregistered.isolators': 'The isolators it runs (`cgroups/cpu`, `cgroups/mem`, `namespaces/pid`, `disk/du`, …).',
  'AgentRegistered.isolationFallback': 'Why it runs posix isolation although cgroups were wanted (`--isolation auto` on a host without usable cgroups).',
  'AgentReregistered.isolationFallback': 'Why it runs posix isolation although cgroups were wanted (`--isolation auto` on a host without usable cgroups).',
  'AgentReregistered.tasks': 'The tasks the agent still runs.',
  'AgentReregistered.lastCommandSeq': 'The last `agentSeq` the agent has carried out.',
  'OffersAccepted.filters': 'Filter for the unused part of the offers.',
  'OffersDeclined.filters': 'How long not to offer these resources again.',
  'TaskKillRequested.agentId': 'Optional hint, used only in the reply about an unknown task.',
  'TaskKillRequested.gracePeriodMs': 'SIGTERM, then this long, then SIGKILL.',
  'LeaderElected.port': "The master's HTTP port.",
  'LeaderElected.offers': 'What the election does to outstanding offers: RESCINDED (the default; also what an absent field means) or KEPT (`--keep-offers-on-election`).',
  'LeaderElected.masterId': 'A random UUID chosen by the master at start.',
  'OffersCreated.offers[].expiresAt': 'When the leader will rescind it (absent: never).',
  'AcceptRefused.acceptId': 'The id of the OffersAccepted event that was refused.',
  'LaunchTasks.agentSeq': "Position in the agent's command sequence (1, 2, 3, …).",
  'KillTask.agentSeq': "Position in the agent's command sequence (1, 2, 3, …).",
  'LaunchTasks.framework': 'What the agent needs of the framework (the user tasks run as by default).',
  'KillTask.reason': 'REASON_FRAMEWORK_REMOVED when the kill follows a teardown; REASON_AGENT_DRAINING for a drain; REASON_TASK_UNKNOWN for a task a reregistering agent runs that the master does not know.',
  'OffersCreated.offers[].unavailability': "The agent's machine is scheduled for maintenance from `start` (ms), for `durationMs`.",
  'OffersCreated.offers[].role': "The role the offer is allocated to (Mesos's allocation_info.role): one of the framework's roles.",
  'OffersRevived.roles': "The roles revived; absent or empty: all the framework's roles.",
  'OffersSuppressed.roles': "The roles suppressed; absent or empty: all the framework's roles.",
  'FrameworkSubscribed.suppressedRoles': 'Roles it wants no offers for yet (must be among its roles; others are ignored).',
  'TaskStatusUpdated.status': 'See TaskStatus; `uuid` is present on agent updates only.',
};

/** When the fold refuses an accept with each code, in the order `validateAccept` checks. */
export const REFUSAL_ORDER: ReadonlyArray<readonly [string, string]> = [
  ['FRAMEWORK_UNKNOWN', 'The framework is not subscribed (or was removed).'],
  ['FRAMEWORK_INACTIVE', 'The framework is not ACTIVE.'],
  ['OFFER_DUPLICATED', 'An offer id appears twice in `offerIds`.'],
  ['OFFER_RESCINDED', 'An offer was rescinded earlier in the log (leader change, agent gone, framework re-subscribed).'],
  ['OFFER_EXPIRED', 'An offer was rescinded for expiry, or the accept\'s `time` is past the offer\'s `expiresAt`.'],
  ['OFFER_UNKNOWN', 'An offer is unknown, or was already used or declined.'],
  ['OFFER_NOT_YOURS', 'An offer was made to another framework.'],
  ['OFFERS_ON_DIFFERENT_AGENTS', 'The offers are not all from one agent.'],
  ['AGENT_INACTIVE', 'The offers\' agent is not ACTIVE (disconnected or removed).'],
  ['TASK_INVALID', 'A task names another agent than the offers\', uses no resources, asks for a fractional number of gpus, has an HTTP/TCP (health) check without a port while it holds no ports, or asks for a port (any range or set item) that another task (or executor) of the same accept asks for.'],
  ['TASK_GROUP_INVALID', "A task group's executor id is already in use, or the executor has less than cpus:0.01 and mem:32 of its own."],
  ['TASK_ID_DUPLICATE', 'A task id appears twice in the accept, or the framework already has a live task with that id.'],
  ['OFFERS_ON_DIFFERENT_ROLES', 'The offers are not all allocated to one role (checked right after OFFERS_ON_DIFFERENT_AGENTS).'],
  ['RESOURCES_EXCEEDED', 'A launch needs more than the offers hold at that point of the operations, or uses resources reserved for another role (then TASK_INVALID).'],
  ['OPERATION_INVALID', 'A RESERVE, UNRESERVE, CREATE or DESTROY is invalid (its index and reason are in the message), or converts what the offers do not hold.'],
];

export const SHAPE_NOTES: Readonly<Record<string, string>> = {
  'Filters.refuseSeconds': 'Do not offer the same resources to this framework on this agent for this long (seconds; 0: no filter).',
  'TaskInfo.killGracePeriodMs': "SIGTERM, then this long, then SIGKILL. Default: the agent's `--kill-grace-period` (3 s).",
  'TaskInfo.agentId': 'Must be the agent of the accepted offers.',
  'TaskInfo.taskId': 'Chosen by the framework; unique among its live tasks.',
  'CommandInfo.user': "Run as this user (default: the framework's user). Honoured only when the agent runs as root and the user exists on the host.",
  'CommandInfo.uris': 'Fetched into the sandbox before the task starts (agent/fetcher.ts); a fetch that fails fails the launch.',
  'CommandInfo.uris[].value': 'An http(s) URL, a file:// URL or an absolute path on the agent.',
  'CommandInfo.uris[].executable': 'chmod 0755 the fetched file (it is then not extracted).',
  'CommandInfo.uris[].extract': 'Unpack .tar, .tar.gz/.tgz, .tar.bz2/.tbz2, .tar.xz/.txz and .zip archives into the sandbox (Mesos\'s default: true).',
  'CommandInfo.uris[].outputFile': 'Path in the sandbox, relative, without `.`/`..` segments (default: the last segment of the URI).',
  'TaskInfo.container': 'Isolation options beyond the resources (Mesos ContainerInfo, the parts the agent does).',
  'TaskInfo.container.network': 'HOST (default): the agent\'s network. NONE: an empty network namespace with only loopback (needs the agent\'s namespaces/network isolator).',
  'TaskInfo.container.sharePidNamespace': 'Stay in the agent\'s pid namespace although it runs namespaces/pid (Mesos LinuxInfo.share_pid_namespace).',
  'TaskInfo.container.image': 'Run in this image\'s root filesystem (Mesos\'s mesos.image, DOCKER or APPC), provisioned by the agent: DOCKER from its image store or registry (--docker-registry DIR or https://host:port), APPC from its --appc-store.',
  'TaskInfo.container.image.name': 'DOCKER: `[host:port/]repo[:tag]` (latest when no tag): `<store>/<repo>:<tag>.tar` (docker save), an OCI layout `<store>/<repo>:<tag>/`, or pulled from the registry. APPC: the ACI\'s name.',
  'TaskInfo.container.image.cached': 'Mesos\'s Image.cached (default true: a cached image is used without asking the registry); false: the registry is asked for the manifest again.',
  'TaskInfo.container.image.labels': 'APPC only: the labels that pick the ACI (version, default latest; os, default linux; arch, default amd64).',
  'TaskInfo.container.volumes': 'Bind mounts into an image task\'s root (only with `image`); RO ones are remounted read-only.',
  'TaskInfo.container.volumes[].containerPath': 'Absolute: in the image\'s root; relative: in the sandbox (/mnt/mesos/sandbox).',
  'TaskInfo.container.volumes[].source.path': 'HOST_PATH: an absolute path on the agent (must exist); SANDBOX_PATH: relative to the sandbox (made if missing).',
  'FrameworkInfo.roles': 'Only the first role is used by the allocator today.',
  'FrameworkInfo.failoverTimeoutMs': "How long a disconnected framework keeps its tasks, counted from its FrameworkDisconnected event; then the leader removes it (FrameworkRemoved, FAILOVER_TIMEOUT) and its tasks are killed.",
  'FrameworkInfo.checkpoint': 'Stored and shown; the agent does not act on it yet.',
  'TaskStatus.uuid': 'Present on updates that must be acknowledged (agent-generated ones).',
  'TaskStatus.timestamp': 'When the status happened (ms since the epoch).',
  'TaskStatus.executorId': 'The agent sets it to the task id (command tasks) or the task group\'s executor id.',
  'TaskStatus.containerId': 'The container the agent runs the task in (derived from the launch command: the same command gives the same id).',
  'TaskStatus.healthy': 'Defined; nothing sets it yet (no health checks).',
};
