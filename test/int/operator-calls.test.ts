/**
 * Every call type of Mesos's v1 master operator API (master.proto's `Call.Type`, 40 of them) is
 * either served or answered 501 with the reason, and docs/api.md lists each one.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OPERATOR_CALL_TYPES } from '../../kernel/shell/operator-api/wire.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { op } from '../helpers/operator.js';

/** Not served here, each for a reason given in the 501's text and in docs/api.md. */
const NOT_SERVED = new Set(['UNKNOWN', 'LIST_FILES', 'READ_FILE', 'GROW_VOLUME', 'SHRINK_VOLUME', 'SET_QUOTA', 'REMOVE_QUOTA']);

let cluster: TestCluster;

test.before(async () => {
  cluster = await startCluster({ agents: 0 });
});

test.after(async () => {
  await cluster?.stop();
});

test('the 40 call types of master.proto', () => {
  assert.is(OPERATOR_CALL_TYPES.length, 40);
  assert.is(new Set(OPERATOR_CALL_TYPES).size, 40);
});

test('each call is served (any answer but 501) or is a 501 that says why', async () => {
  for (const type of OPERATOR_CALL_TYPES) {
    if (type === 'SUBSCRIBE') {
      // A stream: its first record is enough.
      const ac = new AbortController();
      const r = await fetch(`${cluster.master.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"type":"SUBSCRIBE"}', signal: ac.signal });
      assert.is(r.status, 200, type);
      const first = await r.body!.getReader().read();
      assert.match(Buffer.from(first.value!).toString('utf8'), /"type":"SUBSCRIBED"/);
      ac.abort();
      continue;
    }
    const r = await op(cluster.master.url, { type });
    if (NOT_SERVED.has(type)) {
      assert.is(r.status, 501, `${type}: ${r.text}`);
      assert.ok(r.text.length > 30, `${type}: a reason, not just a status (${r.text})`);
    } else {
      assert.not.equal(r.status, 501, `${type} is served: ${r.status} ${r.text}`);
      assert.ok([200, 202, 400, 404, 409].includes(r.status), `${type}: ${r.status} ${r.text}`);
    }
  }
});

test('docs/api.md lists every call type', () => {
  const doc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## The Mesos v1 operator API'), doc.indexOf('## HTTP API of the master'));
  for (const type of OPERATOR_CALL_TYPES) assert.ok(section.includes(`\`${type}\``), `docs/api.md's operator API table mentions ${type}`);
});

test.run();
