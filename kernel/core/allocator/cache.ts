/**
 * What lets an allocation cycle do work only for what changed. It remembers, between cycles, the
 * agents whose free resources nobody took and why (filtered until some time; held back by quota;
 * nobody could use them), and follows the fold's journal (state.journal) for agents whose
 * resources changed since. A cycle looks at:
 *
 * - agents the journal names since the last cycle, and those offered in the last cycle (in case
 *   those offers never made it into the log);
 * - agents whose refuse filter that kept them idle has expired;
 * - agents held back by quota, when quota consumption or headroom moved;
 * - every idle agent, when something changed for all (the journal's `global`: a framework that may
 *   want offers again, weights, quota, maintenance, settings);
 * - every agent, the first time or when the journal was trimmed past its position.
 *
 * It is memoisation only: a cycle with a cache proposes exactly what a cycle without one would
 * (test/unit/allocator-incremental.test.ts checks this on random histories), so the allocator stays
 * a function of (state, now).
 */
import type { AgentId } from '../../../events/index.js';
import type { State } from '../state.js';

/** Why an agent's free resources were left where they are. */
export type IdleReason = 'FILTERED' | 'QUOTA' | 'NOBODY';

interface Recheck {
  readonly at: number;
  readonly agentId: AgentId;
}

export class AllocatorCache {
  state: State | null = null;
  /** Absolute journal position processed. */
  journalPos = 0;
  global = -1;
  quotaSignature = '';
  settingsKey = '';
  /** Agents with free resources nobody took. */
  readonly idle = new Map<AgentId, IdleReason>();
  /** Agents held back (partly) by quota limits or headroom. */
  readonly quotaBlocked = new Set<AgentId>();
  /** Agents offered something in the last cycle. */
  proposed = new Set<AgentId>();
  /** Position of each agent in the state's agent order (full cycles walk agents in this order). */
  readonly order = new Map<AgentId, number>();
  private nextOrder = 0;
  /** Min-heap of (time, agent): a refuse filter that kept the agent idle expires. */
  private readonly rechecks: Recheck[] = [];

  /** Forget everything (a new state, or the journal moved past us). */
  reset(state: State): void {
    this.state = state;
    this.journalPos = state.journal.base;
    this.global = -1;
    this.quotaSignature = '';
    this.idle.clear();
    this.quotaBlocked.clear();
    this.proposed = new Set();
    this.order.clear();
    this.nextOrder = 0;
    this.rechecks.length = 0;
  }

  orderOf(agentId: AgentId): number {
    let o = this.order.get(agentId);
    if (o === undefined) {
      o = this.nextOrder++;
      this.order.set(agentId, o);
    }
    return o;
  }

  recheckAt(at: number, agentId: AgentId): void {
    const h = this.rechecks;
    h.push({ at, agentId });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  /** Agents whose recheck time has come (each once). */
  due(now: number): AgentId[] {
    const h = this.rechecks;
    const out: AgentId[] = [];
    while (h.length > 0 && h[0]!.at <= now) {
      out.push(h[0]!.agentId);
      const last = h.pop()!;
      if (h.length === 0) break;
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return out;
  }

  get pendingRechecks(): number {
    return this.rechecks.length;
  }
}
