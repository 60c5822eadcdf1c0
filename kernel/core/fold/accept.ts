/**
 * The fold of an accept: validating it against the state at its point of the log and applying its
 * operations (reserve, unreserve, create/destroy volumes, launch, launch group). Invalid offers
 * (unknown, rescinded, another framework's, several agents or roles) or an unknown or inactive
 * framework or agent refuse it whole with a code; otherwise, as Mesos, an invalid operation (a
 * single task of a LAUNCH, a whole LAUNCH_GROUP) is dropped with a code and the others go ahead.
 */
import { type AcceptRefusalCode, type AgentId, type EventOf, type ExecutorInfo, type GroupExecutor, type Resources, type TaskInfo, idError, operationTasks, taskKey } from '../../../events/index.js';
import { type DemandEntry, type ExecutorState, type FrameworkState, type OfferState, type State, type TaskState, executorKey } from '../state.js';
import { owe, retireOffer, setAgentResources, use } from '../accounts.js';
import { type Actor, allAllocatableTo, applyConversion, createVolumes, destroyVolumes, nextDynamic, reserve, unreserve } from '../reservations.js';
import { addInto, coversQ, fromResources } from '../quantities.js';
import * as R from '../resources.js';
import { addFilter } from './offers.js';
import { holdsResources, reached } from './tasks.js';
import { sameExecutor } from './executors.js';

interface Refusal {
  readonly code: AcceptRefusalCode;
  readonly message: string;
}

interface Launch {
  readonly executor?: GroupExecutor | undefined;
  /** The custom executor that runs the tasks (new, or already running on the agent). */
  readonly custom?: ExecutorInfo | undefined;
  /** With custom: a task group (one LAUNCH_GROUP to the executor). */
  readonly group?: boolean;
  readonly tasks: readonly TaskInfo[];
}

interface ValidAccept {
  readonly offers: OfferState[];
  readonly launches: Launch[];
  /** The agent's total resources after the RESERVE/UNRESERVE/CREATE/DESTROY operations. */
  readonly total: Resources;
  readonly dynamic: Resources;
  /** What the offers held after those operations and the launches: declined with the accept's filter. */
  readonly left: Resources;
  /** Operations (or single tasks of a LAUNCH) dropped as invalid; the rest went ahead. */
  readonly dropped: readonly DroppedOperation[];
}

interface DroppedOperation extends Refusal {
  /** The operation's index in the accept. */
  readonly index: number;
  /** The tasks that are not launched (TASK_ERROR): one task of a LAUNCH, a whole group, none for a RESERVE… */
  readonly tasks: readonly TaskInfo[];
}

/** An HTTP or TCP (health) check without a port defaults to the task's first port: the task must have one. */
function checkWithoutPort(t: TaskInfo): string | undefined {
  if (R.ranges(t.resources, 'ports').length > 0) return undefined;
  for (const [what, c] of [['health check', t.healthCheck], ['check', t.check]] as const) {
    if (c === undefined) continue;
    if ((c.type === 'HTTP' && c.http?.port === undefined) || (c.type === 'TCP' && c.tcp?.port === undefined)) return `${c.type} ${what}`;
  }
  return undefined;
}

/** The tasks' owners and resources already launched by this accept (a port is held by one task). */
type Holder = { readonly owner: string; readonly resources: Resources };

/** What is wrong with one task on its own (or undefined), given the tasks of the accept launched before it. */
function taskProblem(state: State, f: FrameworkState, agentId: AgentId, t: TaskInfo, ids: ReadonlySet<string>, inCustomGroup = false): Refusal | undefined {
  // Ids name directories on the agent: refused here, they never reach it (Mesos's validateTaskID).
  const badId = idError(t.taskId);
  if (badId !== undefined) return { code: 'TASK_INVALID', message: `task id ${JSON.stringify(t.taskId)} is invalid: ${badId}` };
  if (t.agentId !== agentId) return { code: 'TASK_INVALID', message: `task ${t.taskId} names agent ${t.agentId}, but the offers are on ${agentId}` };
  if (ids.has(t.taskId)) return { code: 'TASK_ID_DUPLICATE', message: `task id ${t.taskId} appears twice` };
  if (state.tasks.has(taskKey(f.id, t.taskId))) return { code: 'TASK_ID_DUPLICATE', message: `task ${t.taskId} already exists in framework ${f.id}` };
  // A task of a custom executor's group is the executor's to run: it needs no command.
  if (t.command === undefined && t.executor === undefined && !inCustomGroup) return { code: 'TASK_INVALID', message: `task ${t.taskId} needs a command or an executor` };
  if (t.command !== undefined && t.executor !== undefined) return { code: 'TASK_INVALID', message: `task ${t.taskId} has both a command and an executor; it may have only one` };
  if (R.isEmpty(t.resources)) return { code: 'TASK_INVALID', message: `task ${t.taskId} uses no resources` };
  const gpus = R.scalar(t.resources, 'gpus');
  if (gpus !== Math.floor(gpus)) return { code: 'TASK_INVALID', message: `task ${t.taskId} asks for a fractional number of gpus` };
  const portless = checkWithoutPort(t);
  if (portless !== undefined) return { code: 'TASK_INVALID', message: `task ${t.taskId}: its ${portless} names no port and the task has no ports to default to` };
  return undefined;
}

/**
 * A task's custom executor: one that runs already (on this agent, the same ExecutorInfo) or is
 * started by this accept takes the task; otherwise it is a new one (`fresh`: its resources are
 * needed too). What Mesos's master refuses is refused with the reason.
 */
function customExecutorProblem(
  state: State,
  frameworkId: FrameworkState['id'],
  agentId: AgentId,
  info: ExecutorInfo,
  starting: ReadonlyMap<string, ExecutorInfo>,
): Refusal | { readonly fresh: boolean } {
  const badId = idError(info.executorId);
  if (badId !== undefined) return { code: 'TASK_INVALID', message: `executor id ${JSON.stringify(info.executorId)} is invalid: ${badId}` };
  if (info.frameworkId !== undefined && info.frameworkId !== frameworkId) {
    return { code: 'TASK_INVALID', message: `ExecutorInfo has an invalid FrameworkID (actual: ${info.frameworkId} vs expected: ${frameworkId})` };
  }
  const gpus = R.scalar(info.resources, 'gpus');
  if (gpus !== Math.floor(gpus)) return { code: 'TASK_INVALID', message: `executor ${info.executorId} asks for a fractional number of gpus` };
  const k = executorKey(frameworkId, info.executorId);
  const pending = starting.get(k);
  if (pending !== undefined) {
    return sameExecutor(pending, info) ? { fresh: false } : { code: 'TASK_INVALID', message: `ExecutorInfo of executor ${info.executorId} is not compatible with the one of an earlier task of this accept` };
  }
  const running = state.executors.get(k);
  if (running === undefined) return { fresh: true };
  if (running.kind !== 'CUSTOM' || running.info === undefined) return { code: 'TASK_INVALID', message: `executor ${info.executorId} is a task group's executor` };
  if (running.agentId !== agentId) return { code: 'TASK_INVALID', message: `executor ${info.executorId} of framework ${frameworkId} runs on agent ${running.agentId}; an executor id names one executor of the framework` };
  if (!sameExecutor(running.info, info)) return { code: 'TASK_INVALID', message: `ExecutorInfo of executor ${info.executorId} is not compatible with the running executor's` };
  return { fresh: false };
}

/** Ports (any RANGES or SET resource) are held by one task each: the first clash, if any. */
function sharedPorts(holders: readonly Holder[]): Refusal | undefined {
  const shared = R.sharedItem(holders);
  return shared === undefined ? undefined : { code: 'TASK_INVALID', message: `${shared.owners[0]} and ${shared.owners[1]} both ask for ${shared.name} ${shared.item}` };
}

/**
 * The accept as a whole: the framework, the offers (outstanding, its own, one agent, one role) and
 * the agent. What fails here refuses the whole accept (Mesos: invalid offers, TASK_LOST/DROPPED).
 */
function validateOffers(state: State, e: EventOf<'OffersAccepted'>, f: FrameworkState | undefined): Refusal | { readonly offers: OfferState[] } {
  if (f === undefined) return { code: 'FRAMEWORK_UNKNOWN', message: `framework ${e.frameworkId} is not subscribed` };
  if (f.status !== 'ACTIVE') return { code: 'FRAMEWORK_INACTIVE', message: `framework ${e.frameworkId} is ${f.status.toLowerCase()}` };
  if (new Set(e.offerIds).size !== e.offerIds.length) return { code: 'OFFER_DUPLICATED', message: 'an offer id appears more than once' };
  const offers: OfferState[] = [];
  for (const id of e.offerIds) {
    const o = state.offers.get(id);
    if (o === undefined) {
      const retired = state.retiredOffers.get(id);
      if (retired === 'RESCINDED') return { code: 'OFFER_RESCINDED', message: `offer ${id} was rescinded` };
      if (retired === 'EXPIRED') return { code: 'OFFER_EXPIRED', message: `offer ${id} expired` };
      if (retired !== undefined) return { code: 'OFFER_UNKNOWN', message: `offer ${id} was already ${retired.toLowerCase()}` };
      return { code: 'OFFER_UNKNOWN', message: `offer ${id} is unknown` };
    }
    if (o.frameworkId !== f.id) return { code: 'OFFER_NOT_YOURS', message: `offer ${id} was made to another framework` };
    if (o.expiresAt !== null && e.time > o.expiresAt) return { code: 'OFFER_EXPIRED', message: `offer ${id} expired` };
    offers.push(o);
  }
  const agentId = offers[0]!.agentId;
  if (offers.some((o) => o.agentId !== agentId)) {
    return { code: 'OFFERS_ON_DIFFERENT_AGENTS', message: 'all offers of one accept must be from the same agent' };
  }
  const role = offers[0]!.role;
  if (offers.some((o) => o.role !== role)) {
    return { code: 'OFFERS_ON_DIFFERENT_ROLES', message: 'all offers of one accept must be allocated to the same role' };
  }
  const agent = state.agents.get(agentId);
  if (agent === undefined || agent.status !== 'ACTIVE') return { code: 'AGENT_INACTIVE', message: `agent ${agentId} is not active` };
  return { offers };
}

/**
 * Valid offers: the operations apply in order to what the offers hold (a RESERVE makes reserved
 * resources a later LAUNCH of the same accept may use, as in Mesos). As Mesos's master does, an
 * invalid operation is dropped and the others go ahead: a task of a LAUNCH that is invalid on its
 * own or does not fit what is left (TASK_ERROR for it), a whole LAUNCH_GROUP (TASK_ERROR for its
 * tasks), a RESERVE/UNRESERVE/CREATE/DESTROY that cannot apply.
 */
function validateAccept(state: State, e: EventOf<'OffersAccepted'>, f: FrameworkState | undefined): Refusal | ValidAccept {
  const v = validateOffers(state, e, f);
  if ('code' in v) return v;
  const fw = f!;
  const { offers } = v;
  const agentId = offers[0]!.agentId;
  const role = offers[0]!.role;
  const agent = state.agents.get(agentId)!;
  const actor: Actor = {
    kind: 'framework',
    role,
    principal: fw.info.principal,
    refinement: fw.info.capabilities.includes('RESERVATION_REFINEMENT'),
  };
  let pool = R.add(...offers.map((o) => o.resources));
  let total = agent.resources;
  let dynamic = agent.dynamic;
  const launches: Launch[] = [];
  const dropped: DroppedOperation[] = [];
  /** Task ids launched by this accept so far, and what holds ports. */
  const ids = new Set<string>();
  const holders: Holder[] = [];
  const executors = new Set<string>();
  /** Custom executors this accept starts (by executor key). */
  const customs = new Map<string, ExecutorInfo>();
  /** Does `wanted` fit what is left, for the offer's role? */
  const fits = (what: string, wanted: Resources): Refusal | undefined => {
    if (!R.contains(pool, wanted)) return { code: 'RESOURCES_EXCEEDED', message: `${what} needs ${R.format(wanted)} but the offers hold ${R.format(pool) || 'nothing'} at that point` };
    if (!allAllocatableTo(wanted, role)) return { code: 'TASK_INVALID', message: `${what} uses resources reserved for another role than '${role}'` };
    return undefined;
  };
  for (const [i, op] of e.operations.entries()) {
    if (op.type === 'LAUNCH') {
      const ok: TaskInfo[] = [];
      const byExecutor = new Map<string, { info: ExecutorInfo; tasks: TaskInfo[] }>();
      for (const t of op.tasks) {
        const mine = { owner: `task ${t.taskId}`, resources: t.resources };
        // A task of a custom executor that does not run yet brings the executor's resources along.
        const ex = t.executor === undefined ? undefined : customExecutorProblem(state, fw.id, agentId, t.executor, customs);
        const extra = ex !== undefined && 'fresh' in ex && ex.fresh ? [{ owner: `executor ${t.executor!.executorId}`, resources: t.executor!.resources }] : [];
        const wanted = extra.length > 0 ? R.add(t.resources, t.executor!.resources) : t.resources;
        const problem =
          taskProblem(state, fw, agentId, t, ids) ??
          (ex !== undefined && 'code' in ex ? ex : undefined) ??
          sharedPorts([...holders, mine, ...extra]) ??
          fits(`task ${t.taskId} of operation ${i} (LAUNCH)`, wanted);
        if (problem !== undefined) {
          dropped.push({ index: i, ...problem, tasks: [t] });
          continue;
        }
        pool = R.subtract(pool, wanted);
        ids.add(t.taskId);
        holders.push(mine, ...extra);
        if (t.executor === undefined) {
          ok.push(t);
          continue;
        }
        customs.set(executorKey(fw.id, t.executor.executorId), t.executor);
        const k = t.executor.executorId as string;
        const g = byExecutor.get(k) ?? { info: t.executor, tasks: [] };
        g.tasks.push(t);
        byExecutor.set(k, g);
      }
      if (ok.length > 0) launches.push({ tasks: ok });
      for (const g of byExecutor.values()) launches.push({ custom: g.info, tasks: g.tasks });
      continue;
    }
    if (op.type === 'LAUNCH_GROUP' && op.customExecutor !== undefined) {
      // A task group for a custom executor: new (its resources too), or one running on this agent
      // with the same ExecutorInfo; all of its tasks or none.
      const info = op.customExecutor;
      const groupIds = new Set(ids);
      let problem: Refusal | undefined;
      if (info.executorId !== op.executor.executorId || !R.equals(R.normalise(info.resources), R.normalise(op.executor.resources))) {
        problem = { code: 'TASK_GROUP_INVALID', message: `the group's executor ${op.executor.executorId} and its ExecutorInfo (${info.executorId}) differ` };
      }
      for (const t of op.tasks) {
        problem ??= taskProblem(state, fw, agentId, t, groupIds, true);
        if (problem === undefined && t.executor !== undefined && t.executor.executorId !== info.executorId) {
          problem = { code: 'TASK_GROUP_INVALID', message: `task ${t.taskId} names executor ${t.executor.executorId}, not the group's ${info.executorId}` };
        }
        if (problem !== undefined) break;
        groupIds.add(t.taskId);
      }
      const ex = customExecutorProblem(state, fw.id, agentId, info, customs);
      if (problem === undefined && 'code' in ex) problem = { code: 'TASK_GROUP_INVALID', message: ex.message };
      const fresh = 'fresh' in ex && ex.fresh;
      const mine = [...op.tasks.map((t) => ({ owner: `task ${t.taskId}`, resources: t.resources })), ...(fresh ? [{ owner: `executor ${info.executorId}`, resources: info.resources }] : [])];
      problem ??= sharedPorts([...holders, ...mine]);
      const wanted = R.add(...mine.map((m) => m.resources));
      problem ??= fits(`operation ${i} (LAUNCH_GROUP)`, wanted);
      if (problem !== undefined) {
        dropped.push({ index: i, ...problem, tasks: op.tasks });
        continue;
      }
      pool = R.subtract(pool, wanted);
      for (const t of op.tasks) ids.add(t.taskId);
      holders.push(...mine);
      customs.set(executorKey(fw.id, info.executorId), info);
      launches.push({ custom: info, group: true, tasks: op.tasks });
      continue;
    }
    if (op.type === 'LAUNCH_GROUP') {
      const groupIds = new Set(ids);
      let problem: Refusal | undefined;
      for (const t of op.tasks) {
        problem = taskProblem(state, fw, agentId, t, groupIds);
        if (problem !== undefined) break;
        groupIds.add(t.taskId);
      }
      const mine = [...op.tasks.map((t) => ({ owner: `task ${t.taskId}`, resources: t.resources })), { owner: `executor ${op.executor.executorId}`, resources: op.executor.resources }];
      problem ??= sharedPorts([...holders, ...mine]);
      const badExecutorId = idError(op.executor.executorId);
      if (problem === undefined && badExecutorId !== undefined) {
        problem = { code: 'TASK_GROUP_INVALID', message: `executor id ${JSON.stringify(op.executor.executorId)} is invalid: ${badExecutorId}` };
      }
      const k = executorKey(fw.id, op.executor.executorId);
      const named = op.tasks.find((t) => t.executor !== undefined || t.command === undefined);
      if (problem === undefined && named !== undefined) {
        problem = { code: 'TASK_GROUP_INVALID', message: `task ${named.taskId} of a task group needs a command and runs under the group's executor, not one of its own` };
      }
      if (problem === undefined && (state.executors.has(k) || executors.has(k) || customs.has(k))) {
        problem = { code: 'TASK_GROUP_INVALID', message: `executor ${op.executor.executorId} already exists; a task group needs a new executor` };
      }
      // As Mesos's default executor: it needs some cpu and memory of its own.
      if (problem === undefined && (R.scalar(op.executor.resources, 'cpus') < 0.01 || R.scalar(op.executor.resources, 'mem') < 32)) {
        problem = { code: 'TASK_GROUP_INVALID', message: `executor ${op.executor.executorId} needs at least cpus:0.01 and mem:32 of its own` };
      }
      const wanted = R.add(...op.tasks.map((t) => t.resources), op.executor.resources);
      problem ??= fits(`operation ${i} (LAUNCH_GROUP)`, wanted);
      if (problem !== undefined) {
        dropped.push({ index: i, ...problem, tasks: op.tasks });
        continue;
      }
      pool = R.subtract(pool, wanted);
      for (const t of op.tasks) ids.add(t.taskId);
      holders.push(...mine);
      executors.add(k);
      launches.push({ executor: op.executor, tasks: op.tasks });
      continue;
    }
    const c =
      op.type === 'RESERVE'
        ? reserve(op.resources, op.source, actor)
        : op.type === 'UNRESERVE'
          ? unreserve(op.resources, actor)
          : op.type === 'CREATE'
            ? createVolumes(op.volumes, total, actor)
            : destroyVolumes(op.volumes, actor);
    if (!c.ok) {
      dropped.push({ index: i, code: 'OPERATION_INVALID', message: `operation ${i}: ${c.error}`, tasks: [] });
      continue;
    }
    const next = applyConversion(pool, c);
    if (typeof next === 'string') {
      dropped.push({ index: i, code: 'OPERATION_INVALID', message: `operation ${i} (${op.type}): ${next}`, tasks: [] });
      continue;
    }
    pool = next;
    total = R.add(R.subtract(total, c.from), c.to);
    dynamic = nextDynamic(dynamic, c.from, c.to);
  }
  return { offers, launches, total, dynamic, left: pool, dropped };
}

export function offersAccepted(state: State, e: EventOf<'OffersAccepted'>): State {
  state.counters.acceptCalls++;
  const f = state.frameworks.get(e.frameworkId);
  const v = validateAccept(state, e, f);
  const refusedTasks = e.operations.flatMap(operationTasks).map((t) => ({ taskId: t.taskId, agentId: t.agentId }));
  if ('code' in v) {
    state.counters.acceptsRefused++;
    // Offers of this framework named in a refused accept go back to the pool.
    for (const id of e.offerIds) {
      const o = state.offers.get(id);
      if (o !== undefined && o.frameworkId === e.frameworkId) retireOffer(state, o, 'USED');
    }
    owe(state, {
      type: 'AcceptRefused',
      id: `refused-${e.id}`,
      frameworkId: e.frameworkId,
      acceptId: e.id,
      code: v.code,
      message: v.message,
      offerIds: e.offerIds,
      tasks: refusedTasks,
    });
    return state;
  }
  const fw = f!;
  const agent = state.agents.get(v.offers[0]!.agentId)!;
  // What was dropped is told to the framework (its tasks end TASK_ERROR), each on its own.
  for (const d of v.dropped) {
    const one = d.tasks.length === 1 && e.operations[d.index]?.type === 'LAUNCH' ? `-${d.tasks[0]!.taskId}` : '';
    owe(state, {
      type: 'AcceptRefused',
      id: `refused-${e.id}-${d.index}${one}`,
      frameworkId: e.frameworkId,
      acceptId: e.id,
      operation: d.index,
      code: d.code,
      message: d.message,
      offerIds: e.offerIds,
      tasks: d.tasks.map((t) => ({ taskId: t.taskId, agentId: t.agentId })),
    });
  }
  for (const o of v.offers) retireOffer(state, o, 'USED');
  state.counters.offersAccepted += v.offers.length;
  const role = v.offers[0]!.role;
  // Reservations and volumes made or undone by the accept change the agent's total resources.
  if (!R.equals(v.total, agent.resources)) {
    agent.dynamic = v.dynamic;
    setAgentResources(state, agent, v.total);
  }
  let launched = R.EMPTY;
  v.launches.forEach((launch, i) => {
    agent.commandSeq++;
    const seq = agent.commandSeq;
    const executorId = launch.executor?.executorId ?? launch.custom?.executorId;
    const customKey = launch.custom !== undefined ? executorKey(fw.id, launch.custom.executorId) : undefined;
    if (launch.custom !== undefined && !state.executors.has(customKey!)) {
      const resources = R.normalise(launch.custom.resources);
      state.executors.set(customKey!, {
        key: customKey!,
        kind: 'CUSTOM',
        info: launch.custom,
        executorId: launch.custom.executorId,
        frameworkId: fw.id,
        agentId: agent.id,
        resources,
        taskKeys: new Set(),
        holdsResources: true,
        role,
      });
      use(state, agent.id, fw.id, role, resources, 1);
      launched = R.add(launched, resources);
    }
    if (launch.executor !== undefined) {
      const resources = R.normalise(launch.executor.resources);
      const ex: ExecutorState = {
        key: executorKey(fw.id, launch.executor.executorId),
        executorId: launch.executor.executorId,
        frameworkId: fw.id,
        agentId: agent.id,
        resources,
        taskKeys: new Set(),
        holdsResources: true,
        role,
      };
      state.executors.set(ex.key, ex);
      use(state, agent.id, fw.id, role, resources, 1);
      launched = R.add(launched, resources);
    }
    for (const info of launch.tasks) {
      const resources = R.normalise(info.resources);
      const t: TaskState = {
        key: taskKey(fw.id, info.taskId),
        taskId: info.taskId,
        frameworkId: fw.id,
        agentId: agent.id,
        name: info.name,
        resources,
        role,
        ...(info.command !== undefined ? { command: info.command } : {}),
        killGracePeriodMs: info.killGracePeriodMs,
        labels: info.labels,
        ...(info.healthCheck !== undefined ? { healthCheck: info.healthCheck } : {}),
        ...(info.check !== undefined ? { check: info.check } : {}),
        executorId,
        state: 'TASK_STAGING',
        statuses: [{ state: 'TASK_STAGING', timestamp: e.time, source: 'SOURCE_MASTER' }],
        unacknowledged: [],
        launchSeq: seq,
        holdsResources: true,
      };
      state.tasks.set(t.key, t);
      agent.taskKeys.add(t.key);
      fw.taskKeys.add(t.key);
      if (executorId !== undefined) state.executors.get(executorKey(fw.id, executorId))!.taskKeys.add(t.key);
      use(state, agent.id, fw.id, role, resources, 1);
      launched = R.add(launched, resources);
      reached(state, 'TASK_STAGING');
    }
    owe(state, {
      type: 'LaunchTasks',
      id: i === 0 ? `launch-${e.id}` : `launch-${e.id}-${i}`,
      agentId: agent.id,
      agentSeq: seq,
      frameworkId: fw.id,
      framework: { name: fw.info.name, user: fw.info.user, checkpoint: fw.info.checkpoint },
      role,
      ...(launch.executor !== undefined ? { executor: launch.executor } : {}),
      ...(launch.custom !== undefined ? { customExecutor: launch.custom } : {}),
      ...(launch.group === true ? { group: true } : {}),
      tasks: [...launch.tasks],
    });
  });
  // What the launches used meets the framework's stated demand.
  if (fw.demand.length > 0 && launched.length > 0) fw.demand = demandLeft(fw.demand, launched, role, agent.id);
  // What was offered and not used is declined with the accept's filter.
  addFilter(fw, agent.id, role, v.left, e.filters, e.time);
  return state;
}

/** Requests met by what was launched (by quantity, in order) leave the demand. */
function demandLeft(demand: readonly DemandEntry[], launched: Resources, role: string, agentId: AgentId): DemandEntry[] {
  const left = fromResources(launched);
  const out: DemandEntry[] = [];
  for (const d of demand) {
    const need = fromResources(d.resources);
    const fits = (d.role === undefined || d.role === role) && (d.agentId === undefined || d.agentId === agentId) && coversQ(left, need);
    if (fits) addInto(left, need, -1);
    else out.push(d);
  }
  return out;
}
