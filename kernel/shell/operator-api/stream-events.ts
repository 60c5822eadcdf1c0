/**
 * The operator event stream's events (master.proto's `Event`: TASK_ADDED, TASK_UPDATED, AGENT_ADDED,
 * AGENT_REMOVED, FRAMEWORK_ADDED, FRAMEWORK_UPDATED, FRAMEWORK_REMOVED), derived from the fold: after
 * each log event is folded, the entities it touched are compared with what the stream last said
 * about them, and each difference is one event. Pure and deterministic (no clock, no I/O): every
 * master folds the same log, so every master derives the same events in the same order, and an
 * event is named by the log sequence it came from and its index among that sequence's events.
 *
 * `StreamView` is what the stream has told a subscriber so far (like the fold, it is updated in
 * place). `seedView(state)` is the view of a subscriber that was just sent GET_STATE of `state`.
 */
import { type AgentId, type ClusterEvent, type FrameworkId, type TaskKey, type TaskStateName, operationTasks, taskKey } from '../../../events/index.js';
import { statusToMesos, frameworkInfoToMesos } from '../scheduler-api/convert/index.js';
import type { FrameworkState, State, TaskState } from '../../core/state.js';
import { agentJson, frameworkJson, taskJson } from './views.js';

export type OperatorEventType = 'TASK_ADDED' | 'TASK_UPDATED' | 'AGENT_ADDED' | 'AGENT_REMOVED' | 'FRAMEWORK_ADDED' | 'FRAMEWORK_UPDATED' | 'FRAMEWORK_REMOVED';

/** One event of the stream, as JSON (`{type, task_added: {...}}`, Mesos's field names). */
export interface OperatorEvent {
  readonly type: OperatorEventType;
  readonly [field: string]: unknown;
}

interface TaskSeen {
  state: TaskStateName;
  uuid: string | undefined;
  readonly agentId: AgentId;
  readonly frameworkId: FrameworkId;
}

export interface StreamView {
  readonly tasks: Map<TaskKey, TaskSeen>;
  readonly tasksByAgent: Map<AgentId, Set<TaskKey>>;
  readonly tasksByFramework: Map<FrameworkId, Set<TaskKey>>;
  readonly agents: Set<AgentId>;
  /** A framework's signature (status, re-registration, info) as last told. */
  readonly frameworks: Map<FrameworkId, string>;
}

const lastUuid = (t: TaskState): string | undefined => t.statuses[t.statuses.length - 1]?.uuid;
const signature = (f: FrameworkState): string => `${f.status}|${f.reregisteredAt ?? ''}|${f.unregisteredAt ?? ''}|${JSON.stringify(f.info)}`;

export function emptyView(): StreamView {
  return { tasks: new Map(), tasksByAgent: new Map(), tasksByFramework: new Map(), agents: new Set(), frameworks: new Map() };
}

/** The view of a subscriber that has just been sent the state (SUBSCRIBED's GET_STATE). */
export function seedView(state: State): StreamView {
  const v = emptyView();
  for (const t of state.tasks.values()) remember(v, t);
  for (const a of state.agents.values()) if (a.status !== 'REMOVED') v.agents.add(a.id);
  for (const f of state.frameworks.values()) if (f.status !== 'REMOVED') v.frameworks.set(f.id, signature(f));
  return v;
}

function remember(v: StreamView, t: TaskState): void {
  v.tasks.set(t.key, { state: t.state, uuid: lastUuid(t), agentId: t.agentId, frameworkId: t.frameworkId });
  index(v.tasksByAgent, t.agentId, t.key);
  index(v.tasksByFramework, t.frameworkId, t.key);
}

function forget(v: StreamView, key: TaskKey, seen: TaskSeen): void {
  v.tasks.delete(key);
  unindex(v.tasksByAgent, seen.agentId, key);
  unindex(v.tasksByFramework, seen.frameworkId, key);
}

function index<K>(m: Map<K, Set<TaskKey>>, k: K, key: TaskKey): void {
  let s = m.get(k);
  if (s === undefined) m.set(k, (s = new Set()));
  s.add(key);
}
function unindex<K>(m: Map<K, Set<TaskKey>>, k: K, key: TaskKey): void {
  const s = m.get(k);
  if (s === undefined) return;
  s.delete(key);
  if (s.size === 0) m.delete(k);
}

/** A task that left `state.tasks` (completed): its record among its framework's completed tasks. */
function completed(state: State, seen: TaskSeen, key: TaskKey): TaskState | undefined {
  const f = state.frameworks.get(seen.frameworkId) ?? state.completedFrameworks.find((c) => c.id === seen.frameworkId);
  if (f === undefined) return undefined;
  for (let i = f.completedTasks.length - 1; i >= 0; i--) if (f.completedTasks[i]!.key === key) return f.completedTasks[i];
  return undefined;
}

function taskUpdated(t: TaskState): OperatorEvent {
  const s = t.statuses[t.statuses.length - 1];
  return {
    type: 'TASK_UPDATED',
    task_updated: {
      framework_id: { value: t.frameworkId },
      state: t.state,
      status: statusToMesos({
        agentId: t.agentId,
        frameworkId: t.frameworkId,
        taskId: t.taskId,
        ...(t.executorId !== undefined ? { executorId: t.executorId } : {}),
        state: t.state,
        source: s?.source ?? 'SOURCE_MASTER',
        timestamp: s?.timestamp ?? 0,
        ...(s?.reason !== undefined ? { reason: s.reason } : {}),
        ...(s?.message !== undefined ? { message: s.message } : {}),
        ...(s?.uuid !== undefined ? { uuid: s.uuid } : {}),
        ...(s?.healthy !== undefined ? { healthy: s.healthy } : {}),
      }),
    },
  };
}

function checkTask(v: StreamView, state: State, key: TaskKey, out: OperatorEvent[]): void {
  const seen = v.tasks.get(key);
  const live = state.tasks.get(key);
  if (seen === undefined) {
    if (live === undefined) return;
    out.push({ type: 'TASK_ADDED', task_added: { task: taskJson(live) } });
    remember(v, live);
    return;
  }
  const t = live ?? completed(state, seen, key);
  if (t !== undefined && t.state !== seen.state) out.push(taskUpdated(t));
  if (live === undefined) forget(v, key, seen);
  else {
    seen.state = live.state;
    seen.uuid = lastUuid(live);
  }
}

function checkAgent(v: StreamView, state: State, id: AgentId, out: OperatorEvent[]): void {
  const a = state.agents.get(id);
  const present = a !== undefined && a.status !== 'REMOVED';
  if (present && !v.agents.has(id)) {
    out.push({ type: 'AGENT_ADDED', agent_added: { agent: agentJson(a, state) } });
    v.agents.add(id);
  } else if (!present && v.agents.has(id)) {
    out.push({ type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: id } } });
    v.agents.delete(id);
  }
}

function checkFramework(v: StreamView, state: State, id: FrameworkId, out: OperatorEvent[]): void {
  const f = state.frameworks.get(id);
  const told = v.frameworks.get(id);
  if (f !== undefined && f.status !== 'REMOVED') {
    const sig = signature(f);
    if (told === undefined) out.push({ type: 'FRAMEWORK_ADDED', framework_added: { framework: frameworkJson(state, f) } });
    else if (told !== sig) out.push({ type: 'FRAMEWORK_UPDATED', framework_updated: { framework: frameworkJson(state, f) } });
    v.frameworks.set(id, sig);
    return;
  }
  if (told === undefined) return;
  const gone = f ?? state.completedFrameworks.find((c) => c.id === id);
  out.push({ type: 'FRAMEWORK_REMOVED', framework_removed: { framework_info: gone !== undefined ? frameworkInfoToMesos(gone.info, id) : { id: { value: id }, name: '', user: '' } } });
  v.frameworks.delete(id);
}

/**
 * The events a subscriber at `v` is owed once `e` has been folded into `state`; updates `v`.
 * Task events come before the agent and framework events of the same log event (tasks of a
 * removed framework are updated before FRAMEWORK_REMOVED, as Mesos sends them).
 */
export function deriveEvents(v: StreamView, e: ClusterEvent, state: State): OperatorEvent[] {
  const out: OperatorEvent[] = [];
  switch (e.type) {
    case 'TaskStatusUpdated':
      checkTask(v, state, taskKey(e.status.frameworkId, e.status.taskId), out);
      break;
    case 'OffersAccepted':
      for (const op of e.operations) for (const t of operationTasks(op)) checkTask(v, state, taskKey(e.frameworkId, t.taskId), out);
      break;
    case 'TaskKillRequested':
    case 'StatusAcknowledged':
      checkTask(v, state, taskKey(e.frameworkId, e.taskId), out);
      break;
    case 'AgentRegistered':
    case 'AgentReregistered':
    case 'AgentDisconnected':
    case 'AgentRemoved':
      for (const k of [...(v.tasksByAgent.get(e.agentId) ?? [])]) checkTask(v, state, k, out);
      for (const k of state.agents.get(e.agentId)?.taskKeys ?? []) checkTask(v, state, k, out);
      checkAgent(v, state, e.agentId, out);
      break;
    case 'FrameworkSubscribed':
    case 'FrameworkDisconnected':
    case 'FrameworkRemoved':
      for (const k of [...(v.tasksByFramework.get(e.frameworkId) ?? [])]) checkTask(v, state, k, out);
      checkFramework(v, state, e.frameworkId, out);
      break;
    default:
      break;
  }
  return out;
}
