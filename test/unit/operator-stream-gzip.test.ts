/**
 * The operator stream's gzip (kernel/shell/operator-api/stream.ts): which Accept-Encoding takes it,
 * and that shared pieces (raw deflate, each ending in a full flush) put after the gzip header in
 * any order and with heartbeats between them inflate to the very records, with a stock inflater.
 */
import { createGunzip, constants } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptsGzip, deflatePiece } from '../../kernel/shell/operator-api/stream.js';
import { encodeRecord } from '../../kernel/shell/scheduler-api/recordio.js';

test('Accept-Encoding: gzip by name or *, not with q=0; absent or identity: none', () => {
  assert.ok(acceptsGzip('gzip'));
  assert.ok(acceptsGzip('gzip, deflate, br'));
  assert.ok(acceptsGzip('br;q=1.0, gzip;q=0.8, *;q=0.1'));
  assert.ok(acceptsGzip('*'));
  assert.ok(acceptsGzip(['deflate', 'x-gzip']));
  assert.not.ok(acceptsGzip(undefined));
  assert.not.ok(acceptsGzip(''));
  assert.not.ok(acceptsGzip('identity'));
  assert.not.ok(acceptsGzip('gzip;q=0'));
  assert.not.ok(acceptsGzip('*, gzip;q=0.0'));
  assert.not.ok(acceptsGzip('deflate, br'));
});

test('pieces after the gzip header inflate, as they come, to the records in order', async () => {
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);
  const records = Array.from({ length: 50 }, (_, i) => encodeRecord({ type: 'TASK_UPDATED', task_updated: { state: 'TASK_RUNNING', n: i }, event_id: `${i}-0` }));
  const heartbeat = deflatePiece(encodeRecord({ type: 'HEARTBEAT' }));
  const first = deflatePiece(Buffer.concat(records.slice(0, 7))); // a subscriber's own piece
  const shared = [deflatePiece(Buffer.concat(records.slice(7, 30))), deflatePiece(Buffer.concat(records.slice(30)))];
  const stream = [header, first, heartbeat, shared[0]!, heartbeat, shared[1]!];
  const gunzip = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
  const out: Buffer[] = [];
  gunzip.on('data', (c: Buffer) => out.push(c));
  const want = Buffer.concat([...records.slice(0, 7), encodeRecord({ type: 'HEARTBEAT' }), ...records.slice(7, 30), encodeRecord({ type: 'HEARTBEAT' }), ...records.slice(30)]);
  for (const part of stream) {
    gunzip.write(part);
    await new Promise((r) => gunzip.flush(constants.Z_SYNC_FLUSH, () => r(undefined)));
  }
  // Everything written so far is out without an end of stream (there is none: no trailer).
  assert.equal(Buffer.concat(out), want);
  gunzip.destroy();
  // Compressed, it is much smaller than the records.
  assert.ok(stream.reduce((n, b) => n + b.length, 0) * 3 < want.length);
});

test.run();
