// Test helper: a fresh nats-server (JetStream, temp store dir) per call; `withSecureNats` runs it
// in operator mode with a fresh keystore and hands out credentials per party.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type NatsServerOptions, type RunningNatsServer } from '../../cli/nats/index.js';
import { Keystore, type Party, serverAuth } from '../../security/nats/index.js';

export interface TestNats {
  url: string;
  server: RunningNatsServer;
  stop(): Promise<void>;
}

export interface SecureTestNats extends TestNats {
  keystore: Keystore;
  /** Issue credentials for a party; resolves with the path of a fresh `.creds` file. */
  creds(party: Party, name: string): string;
}

/** Starts a nats-server on a free port with a fresh temp store dir (removed by stop()). */
export async function withNats(opts: Omit<NatsServerOptions, 'storeDir'> = {}): Promise<TestNats> {
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
  let n = 0;
  return {
    url: server.url,
    server,
    keystore,
    creds(party, name) {
      const file = join(dir, `${party}-${name}-${++n}.creds`);
      writeFileSync(file, keystore.issue(party, name).creds, { mode: 0o600 });
      return file;
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
