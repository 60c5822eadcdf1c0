/**
 * The fold of custom executors (Mesos's ExecutorInfo of type CUSTOM): an executor holds its own
 * resources from its first task on an agent until that agent reports it exited (or the agent is
 * removed), as Mesos's master accounts them; framework messages to it become a command to its
 * agent. Tasks join it in the accept fold (accept.ts).
 */
import type { EventOf, ExecutorInfo } from '../../../events/index.js';
import { type AgentState, type ExecutorState, type State, executorKey } from '../state.js';
import { owe, use } from '../accounts.js';

/** A custom executor leaves the books: its resources are free again. */
export function dropExecutor(state: State, ex: ExecutorState): void {
  if (ex.holdsResources) {
    ex.holdsResources = false;
    use(state, ex.agentId, ex.frameworkId, ex.role ?? '*', ex.resources, -1);
  }
  state.executors.delete(ex.key);
}

export function executorExited(state: State, e: EventOf<'ExecutorExited'>): State {
  const ex = state.executors.get(executorKey(e.frameworkId, e.executorId));
  // Only the executor's own agent can say it ended; a group's executor ends with its tasks.
  if (ex === undefined || ex.kind !== 'CUSTOM' || ex.agentId !== e.agentId) return state;
  dropExecutor(state, ex);
  return state;
}

/** An executor's message for its scheduler: counted (its framework reads it from the log). */
export function executorMessageSent(state: State, e: EventOf<'ExecutorMessageSent'>): State {
  if (state.frameworks.has(e.frameworkId)) state.counters.validExecutorToFrameworkMessages = (state.counters.validExecutorToFrameworkMessages ?? 0) + 1;
  return state;
}

/** The custom executors of a removed agent are gone with it. */
export function dropAgentExecutors(state: State, a: AgentState): void {
  for (const ex of [...state.executors.values()]) if (ex.kind === 'CUSTOM' && ex.agentId === a.id) dropExecutor(state, ex);
}

/**
 * A scheduler's message for an executor: passed on to the agent the executor runs on, as a
 * command of its launch stream. A message for an executor that does not run there (or of a
 * framework that is not active) is dropped, as Mesos drops it.
 */
export function frameworkMessageSent(state: State, e: EventOf<'FrameworkMessageSent'>): State {
  const f = state.frameworks.get(e.frameworkId);
  const ex = state.executors.get(executorKey(e.frameworkId, e.executorId));
  const a = state.agents.get(e.agentId);
  if (f === undefined || f.status === 'REMOVED' || ex === undefined || ex.kind !== 'CUSTOM' || ex.agentId !== e.agentId || a === undefined || a.status === 'REMOVED') {
    state.counters.invalidFrameworkToExecutorMessages = (state.counters.invalidFrameworkToExecutorMessages ?? 0) + 1;
    return state;
  }
  state.counters.validFrameworkToExecutorMessages = (state.counters.validFrameworkToExecutorMessages ?? 0) + 1;
  a.commandSeq++;
  owe(state, {
    type: 'DeliverFrameworkMessage',
    id: `message-${e.id}`,
    agentId: a.id,
    agentSeq: a.commandSeq,
    frameworkId: e.frameworkId,
    executorId: e.executorId,
    data: e.data,
  });
  return state;
}

/** Mesos refuses a task whose ExecutorInfo differs from the running executor's. */
export function sameExecutor(a: ExecutorInfo, b: ExecutorInfo): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  return v;
}
