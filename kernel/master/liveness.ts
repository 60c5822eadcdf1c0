/**
 * Agent liveness: the leader pings every agent it believes connected, over plain NATS
 * request/reply (never the log). After `maxTimeouts` consecutive unanswered pings the agent is
 * declared unreachable, which is a decision and so an event (AgentRemoved). A new leader starts
 * every count from zero, so nobody is declared gone because of the failover gap itself.
 */
import type { Logger } from 'pino';
import { AgentPong, type AgentId, subjects } from '../../events/index.js';
import type { Bus } from '../bus.js';
import type { State } from '../state.js';

export interface LivenessOptions {
  readonly pingTimeoutMs: number;
  readonly maxTimeouts: number;
  readonly masterId: string;
}

export interface Liveness {
  stop(): void;
}

export function startLiveness(
  bus: Bus,
  o: LivenessOptions,
  view: () => { state: State; epoch: number | null },
  declareUnreachable: (agentId: AgentId) => Promise<void>,
  log: Logger,
): Liveness {
  const misses = new Map<AgentId, number>();
  const removing = new Set<AgentId>();
  const llog = log.child({ component: 'liveness' });
  const enc = new TextEncoder();

  async function pingOne(agentId: AgentId, commandSeq: number, epoch: number): Promise<void> {
    try {
      const reply = await bus.nc.request(subjects.agentPing(agentId), enc.encode(JSON.stringify({ epoch, masterId: o.masterId, commandSeq })), {
        timeout: o.pingTimeoutMs,
      });
      const pong = AgentPong.safeParse(reply.json());
      if (pong.success) misses.set(agentId, 0);
    } catch {
      const n = (misses.get(agentId) ?? 0) + 1;
      misses.set(agentId, n);
      if (n >= o.maxTimeouts && !removing.has(agentId)) {
        removing.add(agentId);
        llog.warn({ agentId, missedPings: n }, 'agent unreachable');
        await declareUnreachable(agentId).catch((err: unknown) => llog.error({ err, agentId }, 'could not declare agent unreachable'));
        removing.delete(agentId);
        misses.delete(agentId);
      }
    }
  }

  function round(): void {
    const { state, epoch } = view();
    if (epoch === null) {
      misses.clear();
      return;
    }
    for (const a of state.agents.values()) {
      if (a.status === 'REMOVED') {
        misses.delete(a.id);
        continue;
      }
      void pingOne(a.id, a.commandSeq, epoch);
    }
  }

  const timer = setInterval(round, o.pingTimeoutMs);
  timer.unref();
  round();
  return { stop: () => clearInterval(timer) };
}
