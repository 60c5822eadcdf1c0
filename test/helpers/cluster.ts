/**
 * An in-process cluster for integration tests: a real nats-server (random port, temp store), a
 * real master and real agents (temp work dirs, their own cgroups root), all stopped by `stop()`.
 *
 * Secure by default, as `mesos dev` is: nats-server runs in operator mode, the master and each
 * agent connect with their own credentials, and a test connects every other party with its own
 * (`cluster.framework()` for the SDK, `cluster.creds('auditor', …)` to read the log,
 * `cluster.bus('master', …)` to append a decision as the master would). `insecure: true` runs an
 * open bus: only for a test about the open bus (listed in test/unit/architecture.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { type AgentHandle, type AgentOptionsInput, startAgent } from '../../agent/index.js';
import { type MasterExtras, type MasterHandle, type MasterOptionsInput, startMaster } from '../../kernel/shell/master/index.js';
import { type Bus, connectBus } from '../../kernel/shell/bus.js';
import type { FrameworkStore, Party } from '../../security/nats/index.js';
import { SERVICES_STREAM, servicesSubjects } from '../../frameworks/services/index.js';
import { type SecureTestNats, withOpenNats, withSecureNats, type TestNats } from './nats.js';
import { waitFor } from './wait.js';

export const testLog = (): Logger => pino({ level: process.env.MESOS_TEST_LOG ?? 'silent' });

export interface TestCluster {
  readonly nats: TestNats;
  /** The secured server and its keystore; undefined only for an `insecure` cluster. */
  readonly secure?: SecureTestNats;
  /** A fresh `.creds` file for `party` `name` (throws on an `insecure` cluster: there is none to give). */
  creds(party: Party, name: string, o?: { store?: FrameworkStore }): string;
  /** `startServices({ nats: cluster.nats.url, ...cluster.services(), … })`: framework credentials with the SERVICES store. */
  services(frameworkId?: string): { creds?: string };
  /** `subscribe({ ...cluster.framework(), name, log })`: the SDK as a framework of its own (a fresh id by default). */
  framework(frameworkId?: string): { nats: string; creds?: string; frameworkId: string };
  /** A raw bus connection with `party` `name`'s credentials (none on an `insecure` cluster). */
  bus(party: Party, name: string, connectName?: string): Promise<Bus>;
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
  /**
   * An open bus (no credentials anywhere). The default is nats-server in operator mode, the master
   * and each agent with their own credentials. Only for a test about the open bus.
   */
  readonly insecure?: boolean;
  /** More options for every agent (e.g. dockerRegistry). */
  readonly agent?: Partial<AgentOptionsInput>;
}

export async function startCluster(o: ClusterOptions = {}): Promise<TestCluster> {
  const log = testLog();
  const secure = o.insecure === true ? undefined : await withSecureNats();
  const nats = secure ?? (await withOpenNats());
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
    creds(party, name, co) {
      if (secure === undefined) throw new Error('this test cluster runs an open bus (insecure: true): there are no credentials to give');
      return secure.creds(party, name, co);
    },
    services(frameworkId = randomUUID()) {
      return secure !== undefined ? { creds: secure.creds('framework', frameworkId, { store: { stream: SERVICES_STREAM, subjects: servicesSubjects.all } }) } : {};
    },
    framework(frameworkId = randomUUID()) {
      return secure !== undefined ? secure.framework(frameworkId) : { nats: nats.url, frameworkId };
    },
    bus(party, name, connectName) {
      return secure !== undefined ? secure.bus(party, name, log, connectName) : connectBus({ servers: nats.url, name: connectName ?? `test-${party}-${name}`, log });
    },
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
