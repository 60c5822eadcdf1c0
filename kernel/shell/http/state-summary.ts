/**
 * `/master/state-summary` (also `/state-summary`), as Mesos's master serves it for its web UI and
 * old tools: the master's hostname, each agent (the `/master/slaves` entry) with the count of its
 * tasks per state and the frameworks that have tasks on it, and each framework's summary with its
 * task counts and agents. Pure.
 */
import type { AgentId, FrameworkId } from '../../../events/index.js';
import type { State, TaskState } from '../../core/state.js';
import { frameworkJson, slaveJson } from './state-json.js';

/** The states Mesos counts in the summary, in its order. */
const COUNTED = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_FINISHED', 'TASK_KILLED', 'TASK_FAILED', 'TASK_LOST', 'TASK_ERROR', 'TASK_UNREACHABLE'] as const;

const SUMMARY_FIELDS = ['id', 'name', 'pid', 'used_resources', 'offered_resources', 'capabilities', 'hostname', 'webui_url', 'active', 'connected', 'recovered'] as const;

export function stateSummaryJson(state: State, hostname: string, cluster?: string): Record<string, unknown> {
  const byAgent = new Map<AgentId, Record<string, number>>();
  const byFramework = new Map<FrameworkId, Record<string, number>>();
  const agentsOf = new Map<FrameworkId, Set<AgentId>>();
  const frameworksOf = new Map<AgentId, Set<FrameworkId>>();
  const zero = (): Record<string, number> => Object.fromEntries(COUNTED.map((s) => [s, 0]));
  const count = (t: TaskState): void => {
    for (const [m, k] of [
      [byAgent, t.agentId],
      [byFramework, t.frameworkId],
    ] as const) {
      let c = (m as Map<string, Record<string, number>>).get(k);
      if (c === undefined) (m as Map<string, Record<string, number>>).set(k, (c = zero()));
      if (t.state in c) c[t.state]!++;
    }
    (agentsOf.get(t.frameworkId) ?? agentsOf.set(t.frameworkId, new Set()).get(t.frameworkId)!).add(t.agentId);
    (frameworksOf.get(t.agentId) ?? frameworksOf.set(t.agentId, new Set()).get(t.agentId)!).add(t.frameworkId);
  };
  for (const t of state.tasks.values()) count(t);
  for (const f of state.frameworks.values()) for (const t of f.completedTasks) count(t);
  return {
    hostname,
    ...(cluster !== undefined ? { cluster } : {}),
    slaves: [...state.agents.values()]
      .filter((a) => a.status !== 'REMOVED')
      .map((a) => ({ ...slaveJson(a), ...(byAgent.get(a.id) ?? zero()), framework_ids: [...(frameworksOf.get(a.id) ?? [])] })),
    frameworks: [...state.frameworks.values()]
      .filter((f) => f.status !== 'REMOVED')
      .map((f) => {
        const full = frameworkJson(state, f) as Record<string, unknown>;
        const summary = Object.fromEntries(SUMMARY_FIELDS.filter((k) => k in full).map((k) => [k, full[k]]));
        return { ...summary, ...(byFramework.get(f.id) ?? zero()), slave_ids: [...(agentsOf.get(f.id) ?? [])] };
      }),
  };
}
