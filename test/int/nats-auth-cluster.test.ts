/** Revocation on a 3-node NATS cluster in operator mode: pushed to one server, it reaches a user connected to another. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { startNatsCluster } from '../../cli/nats/index.js';
import { Keystore, pushAccount, serverAuth } from '../../security/nats/index.js';
import { waitFor } from '../helpers/wait.js';

test('a user revoked through n1 is cut off on n3, and refused everywhere', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-keys-'));
  const ks = Keystore.init(join(dir, 'keys'));
  const cluster = await startNatsCluster({ size: 3, auth: serverAuth(ks) });
  try {
    const file = join(dir, 'a.creds');
    writeFileSync(file, ks.issue('agent', 'agent-x').creds, { mode: 0o600 });
    const nc = await connect({ servers: cluster.urls[2]!, authenticator: credsAuthenticator(readFileSync(file)), inboxPrefix: '_INBOX_agent-x', maxReconnectAttempts: 3, reconnectTimeWait: 100 });
    await nc.flush();
    const anon = await connect({ servers: cluster.urls[1]!, timeout: 2000 }).then(() => 'connected', (e: Error) => e.message);
    assert.match(anon, /Authorization Violation/);
    ks.revoke('agent-x');
    await pushAccount(ks, cluster.urls[0]!);
    await waitFor(() => nc.isClosed(), 'the revoked connection on n3 closed', 15_000);
    for (const url of cluster.urls) {
      const again = await connect({ servers: url, authenticator: credsAuthenticator(readFileSync(file)), timeout: 2000, reconnect: false }).then(() => 'connected', (e: Error) => e.message);
      assert.match(again, /Authorization|revoked/i, url);
    }
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
