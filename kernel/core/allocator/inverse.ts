/**
 * Inverse offers, as Mesos's allocator makes them for maintenance: every framework that holds
 * resources (used or offered) on an agent whose machine is scheduled for maintenance (DRAINING) is
 * asked, once, to give them back before the window starts. Their answers are advisory. Pure; costs
 * nothing when no maintenance is scheduled.
 */
import type { AgentId, FrameworkId } from '../../../events/index.js';
import { type AgentState, machineKey, type State, type Unavailability } from '../state.js';

export interface InverseOfferProposal {
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly hostname: string;
  readonly unavailability: Unavailability;
}

export function inverseOffers(state: State): InverseOfferProposal[] {
  const machines = state.maintenance.machines;
  if (machines.size === 0) return [];
  const outstanding = new Set<string>();
  for (const io of state.inverseOffers.values()) outstanding.add(`${io.frameworkId} ${io.agentId}`);
  const out: InverseOfferProposal[] = [];
  for (const a of state.agents.values()) {
    if (a.status === 'REMOVED') continue;
    const m = machines.get(machineKey({ hostname: a.hostname }));
    if (m === undefined || m.mode !== 'DRAINING') continue;
    for (const frameworkId of holders(state, a)) {
      const f = state.frameworks.get(frameworkId);
      if (f?.status !== 'ACTIVE' || outstanding.has(`${frameworkId} ${a.id}`)) continue;
      out.push({ frameworkId, agentId: a.id, hostname: a.hostname, unavailability: m.unavailability });
    }
  }
  return out;
}

/** Frameworks with tasks or offers on the agent. */
function holders(state: State, a: AgentState): Set<FrameworkId> {
  const out = new Set<FrameworkId>();
  for (const k of a.taskKeys) {
    const t = state.tasks.get(k);
    if (t !== undefined) out.add(t.frameworkId);
  }
  for (const id of a.offerIds) {
    const o = state.offers.get(id);
    if (o !== undefined) out.add(o.frameworkId);
  }
  return out;
}
