// About nats-server itself (our launcher, JetStream basics, clustering): an open bus by design
// (OPEN_BUS_FILES in test/unit/architecture.test.ts); the secured server is nats-auth.test.ts's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, DeliverPolicy, StorageType } from '@nats-io/jetstream';
import { withOpenNats } from '../helpers/nats.js';
import { findNatsServer, NatsServerError, startNatsCluster, startNatsServer } from '../../cli/nats/index.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('JetStream file stream: publish 100, read back 100 with an ordered consumer', async () => {
  const nats = await withOpenNats();
  const { server } = nats;
  try {
    assert.ok(server.pid > 0);
    assert.ok(alive(server.pid));
    assert.ok(existsSync(server.storeDir));

    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'T', subjects: ['t.>'], storage: StorageType.File });
      const js = jetstream(nc);
      for (let i = 0; i < 100; i++) {
        const ack = await js.publish(`t.${i % 3}`, new TextEncoder().encode(`m${i}`));
        assert.is(ack.seq, i + 1);
      }
      const info = await jsm.streams.info('T');
      assert.is(info.state.messages, 100);

      const c = await js.consumers.get('T', { deliver_policy: DeliverPolicy.All });
      const seen: string[] = [];
      const msgs = await c.consume();
      for await (const m of msgs) {
        seen.push(m.string());
        if (m.info.pending === 0) break;
      }
      assert.is(seen.length, 100);
      assert.is(seen[0], 'm0');
      assert.is(seen[99], 'm99');
    } finally {
      await nc.close();
    }
  } finally {
    await nats.stop();
  }
  assert.not.ok(alive(server.pid), 'server process is gone after stop()');
  assert.not.ok(existsSync(server.storeDir), 'temp store dir removed after stop()');
  // nats-server exits 1 after a graceful SIGTERM shutdown (0 after SIGINT); null would mean SIGKILL
  const code = await server.exited;
  assert.ok(code === 0 || code === 1, `exit code ${code}`);
  await nats.stop(); // idempotent
});

test('explicit store dir survives stop() and a restart keeps the data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-nats-test-'));
  try {
    const s1 = await startNatsServer({ storeDir: dir, syncInterval: 'always' });
    let nc = await connect({ servers: s1.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'K', subjects: ['k'], storage: StorageType.File });
    await jetstream(nc).publish('k', 'x');
    await nc.close();
    await s1.stop();
    assert.ok(existsSync(dir));

    const s2 = await startNatsServer({ storeDir: dir, port: s1.port });
    try {
      nc = await connect({ servers: s2.url });
      const info = await (await jetstreamManager(nc)).streams.info('K');
      assert.is(info.state.messages, 1);
      await nc.close();
    } finally {
      await s2.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kill() ends the server without cleanup; stop() afterwards still cleans up', async () => {
  const { server, stop } = await withOpenNats();
  server.kill('SIGKILL');
  assert.is(await server.exited, null);
  assert.ok(existsSync(server.storeDir));
  await stop();
  assert.not.ok(existsSync(server.storeDir));
});

test('3-node cluster: routes, names and monitoring pass through; every member healthy; an R3 stream works', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-nats-cluster-'));
  const cluster = await startNatsCluster({ size: 3, clusterName: 'mesos-test', storeRoot: join(dir, 'nats'), logDir: join(dir, 'logs') });
  const servers = [...cluster.servers];
  try {
    assert.equal(cluster.names, ['n1', 'n2', 'n3']);
    assert.is(cluster.routes.length, 3);
    for (const s of cluster.servers) assert.ok(s.monitorUrl, 'every member has a monitoring port');
    // startNatsCluster returned: every member says /healthz ok
    assert.equal(await cluster.waitHealthy(undefined, 1000), []);
    const nc = await connect({ servers: cluster.urls });
    try {
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      await jsm.streams.add({ name: 'R3', subjects: ['r3'], storage: StorageType.File, num_replicas: 3 });
      const js = jetstream(nc);
      for (let i = 0; i < 10; i++) await js.publish('r3', `x${i}`);
      const info = await jsm.streams.info('R3');
      assert.is(info.state.messages, 10);
      assert.is(info.cluster?.name, 'mesos-test');
      assert.is(info.cluster?.replicas?.length, 2);
    } finally {
      await nc.close();
    }
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const s of servers) assert.not.ok(alive(s.pid));
});

test('findNatsServer: an explicitly set but bad MESOS_NATS_SERVER is an error', () => {
  const notNats = mkdtempSync(join(tmpdir(), 'mesos-nats-bad-'));
  const fake = join(notNats, 'fake-nats-server');
  writeFileSync(fake, '#!/bin/sh\necho "nats-server: v2.9.25"\n');
  chmodSync(fake, 0o755);
  try {
    for (const value of ['/nonexistent/nats-server', notNats, fake]) {
      try {
        findNatsServer({ MESOS_NATS_SERVER: value, PATH: '' });
        assert.unreachable(`should have thrown for ${value}`);
      } catch (err) {
        assert.instance(err, NatsServerError);
        assert.is((err as NatsServerError).code, 'NATS_SERVER_MISSING');
        assert.match((err as Error).message, 'npm run setup');
      }
    }
  } finally {
    rmSync(notNats, { recursive: true, force: true });
  }
});

test('findNatsServer: nothing anywhere is an error; the default finds a binary', () => {
  const empty = mkdtempSync(join(tmpdir(), 'mesos-nats-empty-'));
  try {
    assert.throws(
      () => findNatsServer({ PATH: '' }, empty),
      (err: unknown) => err instanceof NatsServerError && err.code === 'NATS_SERVER_MISSING',
    );
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  const bin = findNatsServer();
  assert.ok(bin.startsWith('/'));
  assert.is(findNatsServer({ MESOS_NATS_SERVER: bin }), bin);
});

test.run();
