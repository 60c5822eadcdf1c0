import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { PortInUseError, startServices } from '../../frameworks/services/index.js';

test('a taken port fails at once and says what to do, before the framework connects anywhere', async () => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  const port = (holder.address() as AddressInfo).port;
  try {
    const t0 = Date.now();
    // No NATS server at this address: had the check not come first, this would wait for a connection.
    const err = await startServices({ nats: 'nats://127.0.0.1:1', port, host: '127.0.0.1', user: 'nobody', failoverTimeoutMs: 1000, log: pino({ level: 'silent' }) }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.instance(err, PortInUseError);
    assert.match(err!.message, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
    assert.match(err!.message, /--services-port/);
    assert.ok(Date.now() - t0 < 5000, 'it did not wait for anything');
  } finally {
    holder.close();
  }
});

test.run();
