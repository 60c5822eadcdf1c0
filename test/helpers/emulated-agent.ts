/**
 * An emulated agent over a real NATS connection: it registers, answers pings (until told to go
 * silent), records the commands it receives and reports the statuses a test asks for. For tests
 * of the master's side of the protocol without running task processes. On a secured server (the
 * default: `withSecureNats`, `startCluster`) it connects with credentials of its own agent id.
 */
import { randomUUID } from 'node:crypto';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { type AgentCommand, type AgentId, SCHEMA_VERSION, type TaskStateName, asAgentId, decode, subjects } from '../../events/index.js';
import { type Bus, append, connectBus } from '../../kernel/shell/bus.js';
import { parseResources } from '../../kernel/core/resources.js';
import type { SecureTestNats, TestNats } from './nats.js';

export interface EmulatedAgent {
  readonly agentId: AgentId;
  readonly commands: AgentCommand[];
  /** Stop answering pings (as a machine that vanished). */
  silence(): void;
  /** Answer pings again and announce itself as a returning agent with these tasks. */
  reregister(tasks: Array<{ frameworkId: string; taskId: string; state: TaskStateName }>): Promise<void>;
  report(frameworkId: string, taskId: string, state: TaskStateName): Promise<void>;
  close(): Promise<void>;
}

export async function startEmulatedAgent(nats: TestNats | SecureTestNats, log: Logger, resources = 'cpus:4;mem:4096;disk:1024', opts: { hostname?: string } = {}): Promise<EmulatedAgent> {
  const agentId = asAgentId(`emu-${randomUUID()}`);
  const creds = 'creds' in nats ? nats.creds('agent', agentId) : undefined;
  const bus: Bus = await connectBus({ servers: nats.url, name: `emulated-${agentId}`, log, ...(creds !== undefined ? { creds } : {}) });
  const commands: AgentCommand[] = [];
  const enc = new TextEncoder();
  let pingSub: Subscription | null = null;
  const answerPings = (): void => {
    pingSub = bus.nc.subscribe(subjects.agentPing(agentId), {
      callback: (_e, m) => {
        m.respond(enc.encode(JSON.stringify({ agentId, lastCommandSeq: commands.length })));
      },
    });
  };
  answerPings();
  bus.nc.subscribe(subjects.commandsOf(agentId), {
    callback: (_e, m) => {
      const d = decode(m.data, m.subject);
      if (d.ok && (d.event.type === 'LaunchTasks' || d.event.type === 'KillTask')) commands.push(d.event);
    },
  });
  await bus.nc.flush();
  const info = {
    agentId,
    hostname: opts.hostname ?? 'emulated',
    port: 0,
    resources: [...parseResources(resources)],
    attributes: [],
    version: 'test',
    isolation: 'none',
  };
  const env = () => ({ schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: Date.now() });
  await append(bus.js, { type: 'AgentRegistered', ...env(), ...info });
  return {
    agentId,
    commands,
    silence() {
      pingSub?.unsubscribe();
      pingSub = null;
    },
    async reregister(tasks) {
      if (pingSub === null) answerPings();
      await append(bus.js, {
        type: 'AgentReregistered',
        ...env(),
        ...info,
        tasks: tasks.map((t) => ({ frameworkId: t.frameworkId as never, taskId: t.taskId as never, state: t.state })),
        lastCommandSeq: commands.length,
      });
    },
    async report(frameworkId, taskId, state) {
      await append(bus.js, {
        type: 'TaskStatusUpdated',
        ...env(),
        status: { agentId, frameworkId: frameworkId as never, taskId: taskId as never, state, source: 'SOURCE_EXECUTOR', uuid: randomUUID(), timestamp: Date.now() },
      });
    },
    async close() {
      await bus.close();
    },
  };
}
