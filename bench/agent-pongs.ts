/**
 * Liveness for any number of emulated agents on one NATS connection: a wildcard subscription on
 * `live.agent.*` answers every ping of the leader as an agent would (bench/emulated-agent.ts),
 * with `{ agentId, lastCommandSeq }`, taking the agent id from the subject and reporting the
 * command sequence the ping says the log holds (these agents are never sent work they must do).
 */
import { type AgentId, AgentPing, subjects } from '../events/index.js';
import { type Bus, connectBus } from '../kernel/shell/bus.js';
import { type ConnectAs } from './bus.js';
import { silentLogger } from './log.js';

export interface AgentPongs {
  readonly stats: { pings: number; malformed: number; agents: Set<string> };
  stop(): Promise<void>;
}

/** `as`: the bench's pong responder (bench/bus.ts) on a secured bus. */
export async function startAgentPongs(url: string, as: ConnectAs = {}): Promise<AgentPongs> {
  const bus: Bus = await connectBus({ servers: url, name: 'bench-agent-pongs', log: silentLogger(), ...as });
  const stats = { pings: 0, malformed: 0, agents: new Set<string>() };
  const enc = new TextEncoder();
  const prefix = subjects.agentPing('' as AgentId);
  const sub = bus.nc.subscribe(`${prefix}*`, {
    callback: (err, msg) => {
      if (err) return;
      const agentId = msg.subject.slice(prefix.length);
      let commandSeq = 0;
      try {
        const p = AgentPing.safeParse(msg.json());
        if (p.success) commandSeq = p.data.commandSeq;
        else stats.malformed++;
      } catch {
        stats.malformed++;
      }
      stats.pings++;
      stats.agents.add(agentId);
      msg.respond(enc.encode(JSON.stringify({ agentId, lastCommandSeq: commandSeq })));
    },
  });
  await bus.nc.flush();
  return {
    stats,
    async stop() {
      sub.unsubscribe();
      await bus.close();
    },
  };
}
