/**
 * Liveness: the leader pings every agent it has not removed, and every ACTIVE framework it does not
 * itself serve over HTTP, over plain NATS request/reply (never the log). Misses lead to decisions,
 * and decisions are events:
 * - an agent that misses `maxAgentTimeouts` pings in a row is unreachable (AgentRemoved);
 * - a framework that misses `maxFrameworkTimeouts` is disconnected (FrameworkDisconnected): no
 *   offers, and its failover timeout starts; it keeps its tasks until that runs out, and
 *   re-subscribing in time makes it ACTIVE again. A framework subscribed over this master's HTTP
 *   API is alive while its stream is open (the gateway records the disconnection when it closes),
 *   so it is not pinged.
 * A new leader starts every count from zero, so nobody is declared gone because of the failover
 * gap itself.
 */
import type { Logger } from 'pino';
import { AgentPong, type AgentId, FrameworkPong, type FrameworkId, subjects } from '../../../events/index.js';
import type { Bus } from '../bus.js';
import type { State } from '../../core/state.js';

export interface LivenessOptions {
  readonly masterId: string;
  readonly agentPingTimeoutMs: number;
  readonly maxAgentTimeouts: number;
  readonly frameworkPingTimeoutMs: number;
  readonly maxFrameworkTimeouts: number;
}

export interface LivenessHooks {
  /** The folded state and this master's epoch while it leads (null otherwise). */
  view(): { state: State; epoch: number | null };
  declareUnreachable(agentId: AgentId): Promise<void>;
  declareDisconnected(frameworkId: FrameworkId): Promise<void>;
  /** Whether this master holds an open HTTP subscription of the framework. */
  servesOverHttp(frameworkId: FrameworkId): boolean;
}

export interface Liveness {
  stop(): void;
}

interface Pinger<Id extends string> {
  round(ids: Iterable<Id>, epoch: number): void;
  reset(): void;
}

/** Ping each id; after `maxMisses` in a row, `onGone` (once, until it answers again). */
function pinger<Id extends string>(
  bus: Bus,
  o: { subject: (id: Id) => string; payload: (id: Id, epoch: number) => string; answered: (id: Id, reply: unknown) => boolean; timeoutMs: number; maxMisses: number },
  onGone: (id: Id, misses: number) => Promise<void>,
): Pinger<Id> {
  const misses = new Map<Id, number>();
  const declaring = new Set<Id>();
  const enc = new TextEncoder();
  async function pingOne(id: Id, epoch: number): Promise<void> {
    try {
      const reply = await bus.nc.request(o.subject(id), enc.encode(o.payload(id, epoch)), { timeout: o.timeoutMs });
      let body: unknown;
      try {
        body = reply.json();
      } catch {
        body = undefined;
      }
      if (o.answered(id, body)) misses.set(id, 0);
    } catch {
      const n = (misses.get(id) ?? 0) + 1;
      misses.set(id, n);
      if (n >= o.maxMisses && !declaring.has(id)) {
        declaring.add(id);
        await onGone(id, n);
        declaring.delete(id);
        misses.delete(id);
      }
    }
  }
  return {
    round(ids, epoch) {
      const live = new Set<Id>();
      for (const id of ids) {
        live.add(id);
        void pingOne(id, epoch);
      }
      for (const id of misses.keys()) if (!live.has(id)) misses.delete(id);
    },
    reset: () => misses.clear(),
  };
}

export function startLiveness(bus: Bus, o: LivenessOptions, hooks: LivenessHooks, log: Logger): Liveness {
  const llog = log.child({ component: 'liveness' });
  const agents = pinger<AgentId>(
    bus,
    {
      subject: subjects.agentPing,
      // The ping says the last command the log holds for the agent: it catches up if it is behind.
      payload: (agentId, epoch) => JSON.stringify({ epoch, masterId: o.masterId, commandSeq: hooks.view().state.agents.get(agentId)?.commandSeq ?? 0 }),
      answered: (_id, body) => AgentPong.safeParse(body).success,
      timeoutMs: o.agentPingTimeoutMs,
      maxMisses: o.maxAgentTimeouts,
    },
    async (agentId, n) => {
      llog.warn({ agentId, missedPings: n }, 'agent unreachable');
      await hooks.declareUnreachable(agentId).catch((err: unknown) => llog.error({ err, agentId }, 'could not declare agent unreachable'));
    },
  );
  const frameworks = pinger<FrameworkId>(
    bus,
    {
      subject: subjects.frameworkPing,
      payload: (_id, epoch) => JSON.stringify({ epoch, masterId: o.masterId }),
      answered: (id, body) => {
        const pong = FrameworkPong.safeParse(body);
        return pong.success && pong.data.frameworkId === id;
      },
      timeoutMs: o.frameworkPingTimeoutMs,
      maxMisses: o.maxFrameworkTimeouts,
    },
    async (frameworkId, n) => {
      // It may have re-subscribed over HTTP, or been disconnected or removed, meanwhile.
      const { state } = hooks.view();
      if (hooks.servesOverHttp(frameworkId) || state.frameworks.get(frameworkId)?.status !== 'ACTIVE') return;
      llog.warn({ frameworkId, missedPings: n }, 'framework disconnected (no answer to pings)');
      await hooks.declareDisconnected(frameworkId).catch((err: unknown) => llog.error({ err, frameworkId }, 'could not declare framework disconnected'));
    },
  );

  function agentRound(): void {
    const { state, epoch } = hooks.view();
    if (epoch === null) return agents.reset();
    const ids: AgentId[] = [];
    for (const a of state.agents.values()) if (a.status !== 'REMOVED') ids.push(a.id);
    agents.round(ids, epoch);
  }

  function frameworkRound(): void {
    const { state, epoch } = hooks.view();
    if (epoch === null) return frameworks.reset();
    const ids: FrameworkId[] = [];
    for (const f of state.frameworks.values()) if (f.status === 'ACTIVE' && !hooks.servesOverHttp(f.id)) ids.push(f.id);
    frameworks.round(ids, epoch);
  }

  const agentTimer = setInterval(agentRound, o.agentPingTimeoutMs);
  agentTimer.unref();
  const frameworkTimer = setInterval(frameworkRound, o.frameworkPingTimeoutMs);
  frameworkTimer.unref();
  agentRound();
  frameworkRound();
  return {
    stop() {
      clearInterval(agentTimer);
      clearInterval(frameworkTimer);
    },
  };
}
