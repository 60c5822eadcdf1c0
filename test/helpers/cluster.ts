/**
 * An in-process cluster for integration tests: a real nats-server (random port, temp store), a
 * real master and real agents (temp work dirs, their own cgroups root), all stopped by `stop()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { type AgentHandle, type AgentOptionsInput, startAgent } from '../../agent/index.js';
import { type MasterExtras, type MasterHandle, type MasterOptionsInput, startMaster } from '../../kernel/shell/master/index.js';
import { type SecureTestNats, withNats, withSecureNats, type TestNats } from './nats.js';
import { waitFor } from './wait.js';

export const testLog = (): Logger => pino({ level: process.env.MESOS_TEST_LOG ?? 'silent' });

export interface TestCluster {
  readonly nats: TestNats;
  /** With `secure`: the secured server and its keystore (issue a party's credentials with `creds`). */
  readonly secure?: SecureTestNats;
  readonly master: MasterHandle;
  readonly agents: AgentHandle[];
  readonly log: Logger;
  readonly dir: string;
  addAgent(resources?: string, attributes?: string): Promise<AgentHandle>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  readonly agents?: number;
  readonly agentResources?: string;
  readonly master?: Partial<MasterOptionsInput>;
  /** Endpoints added from above the kernel, as `mesos master` adds replay/'s. */
  readonly masterExtras?: MasterExtras;
  readonly isolation?: 'cgroups' | 'posix' | 'auto';
  /** Run nats-server in operator mode; the master and each agent get their own credentials. */
  readonly secure?: boolean;
  /** More options for every agent (e.g. dockerRegistry). */
  readonly agent?: Partial<AgentOptionsInput>;
}

export async function startCluster(o: ClusterOptions = {}): Promise<TestCluster> {
  const log = testLog();
  const secure = o.secure === true ? await withSecureNats() : undefined;
  const nats = secure ?? (await withNats());
  const dir = mkdtempSync(join(tmpdir(), 'mesos-it-'));
  const cgroupsRoot = `mesos-test-${randomUUID().slice(0, 8)}`;
  const master = await startMaster({ nats: nats.url, port: 0, allocationIntervalMs: 100, ...(secure !== undefined ? { creds: secure.creds('master', 'm1') } : {}), ...o.master }, log, o.masterExtras);
  await master.caughtUp;
  await waitFor(() => master.isLeader(), 'the master to lead');
  const agents: AgentHandle[] = [];
  let n = 0;
  const addAgent = async (resources = o.agentResources ?? 'cpus:2;mem:1024;disk:1024;ports:[31000-31099]', attributes?: string): Promise<AgentHandle> => {
    const a = await startAgent(
      {
        nats: nats.url,
        ...(secure !== undefined ? { creds: secure.creds('agent', randomUUID()) } : {}),
        workDir: join(dir, `agent-${++n}`),
        resources,
        ...(attributes ? { attributes } : {}),
        isolation: o.isolation ?? 'auto',
        cgroupsRoot,
        killGracePeriodMs: 500,
        // The suite's frameworks run tasks as the tests' user, root: allowed here, refused by default.
        allowRootTasks: true,
        ...o.agent,
      },
      log,
    );
    agents.push(a);
    await waitFor(() => master.state().agents.get(a.agentId)?.status === 'ACTIVE', `agent ${a.agentId} to register`);
    return a;
  };
  for (let i = 0; i < (o.agents ?? 1); i++) await addAgent();
  return {
    nats,
    ...(secure !== undefined ? { secure } : {}),
    master,
    agents,
    log,
    dir,
    addAgent,
    async stop() {
      await Promise.all(agents.map((a) => a.stop()));
      await master.stop();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
