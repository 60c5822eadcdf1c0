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
import { type ClusterEvent, LOG_PREFIX, subjectFor } from '../../events/index.js';
import { type Bus, append, connectBus, ensureStream } from '../../kernel/shell/bus.js';
import { type FrameworkStore, Keystore, type Party, type ServerAuth, serverAuth } from '../../security/nats/index.js';

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

/**
 * A fresh keystore (operator, account, signing key) in a temp dir, for a test that starts its own
 * servers (`startNatsServer({ auth: keys.auth })`, a restart on the same store, a cluster):
 * `creds` issues a party's credentials; `remove` deletes the dir.
 */
export interface TestKeys {
  readonly keystore: Keystore;
  readonly auth: ServerAuth;
  creds(party: Party, name: string, o?: { store?: FrameworkStore }): string;
  remove(): void;
}

export function testKeys(): TestKeys {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-keys-'));
  const keystore = Keystore.init(join(dir, 'keys'));
  let n = 0;
  // Issuing signs a JWT and writes files: a party asked
  // for again gets the file it was given (a test that needs a second key of a name uses the keystore).
  const issued = new Map<string, string>();
  return {
    keystore,
    auth: serverAuth(keystore),
    creds(party, name, o = {}) {
      const key = `${party}:${name}:${o.store?.stream ?? ''}:${o.store?.subjects ?? ''}`;
      const known = issued.get(key);
      if (known !== undefined) return known;
      const file = join(dir, `${party}-${name}-${++n}.creds`);
      writeFileSync(file, keystore.issue(party, name, o).creds, { mode: 0o600 });
      issued.set(key, file);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A nats-server in operator mode: anonymous clients are refused; `creds` issues a party's credentials. */
export async function withSecureNats(opts: Omit<NatsServerOptions, 'storeDir' | 'auth'> = {}): Promise<SecureTestNats> {
  const keys = testKeys();
  let server: RunningNatsServer;
  try {
    server = await startNatsServer({ ...opts, auth: keys.auth });
  } catch (err) {
    keys.remove();
    throw err;
  }
  return secureHandle(server.url, server, keys, async () => {
    await server.stop();
    keys.remove();
  });
}

/** The credential-issuing handle over a secured server at `url` (shared with startCluster). */
export function secureHandle(url: string, server: RunningNatsServer, keys: TestKeys, stop: () => Promise<void>): SecureTestNats {
  const creds = keys.creds;
  return {
    url,
    server,
    keystore: keys.keystore,
    creds,
    framework(frameworkId = randomUUID()) {
      return { nats: url, creds: creds('framework', frameworkId), frameworkId };
    },
    bus(party, name, log = pino({ level: 'silent' }), connectName = `test-${party}-${name}`) {
      return connectBus({ servers: url, name: connectName, log, creds: creds(party, name) });
    },
    stop,
  };
}

/** Who may append an event: the party whose subject it goes to (agent X, framework F; the master for the rest). */
export function authorOf(e: ClusterEvent): { party: Party; name: string } {
  const [prefix, kind, id] = subjectFor(e).split('.');
  if (prefix === LOG_PREFIX && kind === 'agent' && id !== undefined) return { party: 'agent', name: id };
  if (prefix === LOG_PREFIX && kind === 'fw' && id !== undefined) return { party: 'framework', name: id };
  return { party: 'master', name: 'm1' };
}

/**
 * A hand-made history into the cluster stream of a secured server, each event appended with the
 * credentials of the party that writes it in a real cluster (the master creates the stream).
 */
export async function appendAsAuthors(nats: SecureTestNats, events: readonly ClusterEvent[], log: Logger = pino({ level: 'silent' })): Promise<void> {
  const buses = new Map<string, Bus>();
  const busOf = async (party: Party, name: string): Promise<Bus> => {
    const key = `${party}:${name}`;
    let b = buses.get(key);
    if (b === undefined) buses.set(key, (b = await nats.bus(party, name, log)));
    return b;
  };
  try {
    await ensureStream((await busOf('master', 'm1')).jsm);
    for (const e of events) {
      const { party, name } = authorOf(e);
      await append((await busOf(party, name)).js, e);
    }
  } finally {
    await Promise.all([...buses.values()].map((b) => b.close()));
  }
}
