// Test helper: a fresh nats-server (JetStream, temp store dir) per call.
//
// The suite is secure by default, as the cluster is: `withSecureNats` runs nats-server in operator
// mode with a fresh keystore and hands out credentials per party, and every process a test starts
// and every client it connects uses the credentials of the party it plays (master, agent X,
// framework F, auditor, admin). `withOpenNats` is the explicit exception, for the few tests about
// nats-server itself or about the open bus (`mesos dev --insecure`); test/unit/architecture.test.ts
// lists the files allowed to use it.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { startNatsServer, type NatsServerOptions, type RunningNatsServer } from '../../cli/nats/index.js';
import { type Bus, connectBus } from '../../kernel/shell/bus.js';
import { type FrameworkStore, Keystore, type Party, serverAuth } from '../../security/nats/index.js';

export interface TestNats {
  url: string;
  server: RunningNatsServer;
  stop(): Promise<void>;
}

export interface SecureTestNats extends TestNats {
  keystore: Keystore;
  /** Issue credentials for a party (a framework's with its own state store); returns the path of a fresh `.creds` file (0600). */
  creds(party: Party, name: string, o?: { store?: FrameworkStore }): string;
  /**
   * What the native SDK's `subscribe` needs to connect as a framework of its own:
   * `subscribe({ ...nats.framework(), name, log })`. The credentials name the framework's id
   * (`frameworkId`, a fresh one by default), so the scheduler is that framework and no other.
   */
  framework(frameworkId?: string): { nats: string; creds: string; frameworkId: string };
  /** A raw bus connection as `party` `name` (e.g. the auditor to read, the master to append a decision). */
  bus(party: Party, name: string, log?: Logger, connectName?: string): Promise<Bus>;
}

/**
 * An OPEN nats-server: no authentication, anyone may publish, read, purge. Only for tests about
 * nats-server itself or about the open bus: everything else uses `withSecureNats`. A file that
 * calls this must be listed in OPEN_BUS_FILES (test/unit/architecture.test.ts) with the reason.
 */
export async function withOpenNats(opts: Omit<NatsServerOptions, 'storeDir'> = {}): Promise<TestNats> {
  const server = await startNatsServer(opts);
  return { url: server.url, server, stop: () => server.stop() };
}

/** A nats-server in operator mode: anonymous clients are refused; `creds` issues a party's credentials. */
export async function withSecureNats(opts: Omit<NatsServerOptions, 'storeDir' | 'auth'> = {}): Promise<SecureTestNats> {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-keys-'));
  const keystore = Keystore.init(join(dir, 'keys'));
  let server: RunningNatsServer;
  try {
    server = await startNatsServer({ ...opts, auth: serverAuth(keystore) });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return secureHandle(server, keystore, dir, async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
}

/** The credential-issuing handle over a secured server (shared with startCluster and chaos clusters). */
export function secureHandle(server: RunningNatsServer, keystore: Keystore, dir: string, stop: () => Promise<void>): SecureTestNats {
  let n = 0;
  const creds = (party: Party, name: string, o: { store?: FrameworkStore } = {}): string => {
    const file = join(dir, `${party}-${name}-${++n}.creds`);
    writeFileSync(file, keystore.issue(party, name, o).creds, { mode: 0o600 });
    return file;
  };
  return {
    url: server.url,
    server,
    keystore,
    creds,
    framework(frameworkId = randomUUID()) {
      return { nats: server.url, creds: creds('framework', frameworkId), frameworkId };
    },
    bus(party, name, log = pino({ level: 'silent' }), connectName = `test-${party}-${name}`) {
      return connectBus({ servers: server.url, name: connectName, log, creds: creds(party, name) });
    },
    stop,
  };
}
