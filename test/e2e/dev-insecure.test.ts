/** `mesos dev --insecure`: the only open bus, and it says so loudly; no keys, no credentials. */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '@nats-io/transport-node';
import { startDev } from '../helpers/dev-process.js';
import { waitFor } from '../helpers/wait.js';

test('mesos dev --insecure warns, makes no keys, and lets an anonymous client in', async () => {
  const dev = await startDev(['--insecure', '--agents', '0']);
  try {
    assert.match(dev.output(), /INSECURE: nats-server runs WITHOUT AUTHENTICATION/);
    assert.not.ok(existsSync(join(dev.data, 'keys')), 'no keystore');
    assert.not.ok(existsSync(join(dev.data, 'credentials', 'framework.creds')));
    const nc = await connect({ servers: dev.state().nats, timeout: 3000 });
    await nc.flush();
    await nc.close();
  } finally {
    dev.proc.kill('SIGINT');
    await waitFor(() => dev.proc.exitCode !== null, 'mesos dev to stop', 30_000).catch(() => dev.proc.kill('SIGKILL'));
    rmSync(dev.data, { recursive: true, force: true });
  }
});

test.run();
