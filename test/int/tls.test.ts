/**
 * TLS pieces against real processes: the local CA openssl makes (a chain that verifies, the names
 * of this machine, private keys), the files checked at start with clear errors, the HTTP shell
 * serving HTTPS only, a nats-server with a tls block that the bus reaches with the CA (and not
 * without), and a real master whose API is https. The nats-server is secured too (operator mode):
 * TLS and credentials together, as `mesos dev --tls` runs them.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type LocalCa, TlsError, httpGet, loadServerTls, makeLocalCa } from '../../security/tls/index.js';
import { json, startHttpApi } from '../../kernel/shell/http/server.js';
import { connectBus } from '../../kernel/shell/bus.js';
import { startMaster } from '../../kernel/shell/master/index.js';
import { type RunningNatsServer, startNatsServer } from '../../cli/nats/index.js';
import { testLog } from '../helpers/cluster.js';
import { type TestKeys, testKeys } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const log = testLog();
let dir: string;
let ca: LocalCa;
let other: LocalCa;
let nats: RunningNatsServer;
let keys: TestKeys;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mesos-tls-'));
  ca = await makeLocalCa(join(dir, 'ca'));
  other = await makeLocalCa(join(dir, 'other'));
  keys = testKeys();
  nats = await startNatsServer({ tls: { cert: ca.cert, key: ca.key, ca: ca.ca }, auth: keys.auth });
});

test.after(async () => {
  await nats?.stop();
  keys?.remove();
  rmSync(dir, { recursive: true, force: true });
});

test('the local CA: the server certificate is signed by it and names this machine; keys are 0600; made once', async () => {
  const root = new X509Certificate(readFileSync(ca.ca));
  const server = new X509Certificate(readFileSync(ca.cert));
  assert.ok(server.verify(root.publicKey), 'signed by the CA');
  assert.ok(root.ca && !server.ca);
  assert.match(server.subjectAltName ?? '', /DNS:localhost/);
  assert.match(server.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.ok(server.checkHost('localhost') !== undefined && server.checkIP('127.0.0.1') !== undefined);
  assert.is(statSync(ca.key).mode & 0o777, 0o600);
  assert.is(statSync(join(ca.dir, 'ca-key.pem')).mode & 0o777, 0o600);
  const again = await makeLocalCa(ca.dir);
  assert.is(new X509Certificate(readFileSync(again.ca)).fingerprint256, root.fingerprint256, 'the same CA: clients keep trusting it');
});

test('files are checked at start, with what is wrong', () => {
  const code = (f: () => unknown): string => {
    try {
      f();
      return 'no error';
    } catch (e) {
      return e instanceof TlsError ? `${e.code}: ${e.message}` : String(e);
    }
  };
  assert.is(loadServerTls({}), undefined, 'no files: plain');
  assert.match(code(() => loadServerTls({ cert: ca.cert })), /^TLS_INCOMPLETE: give both --tls-cert and --tls-key/);
  assert.match(code(() => loadServerTls({ cert: ca.cert, key: other.key })), /^TLS_KEY_MISMATCH: the key .* does not belong to the certificate/);
  assert.match(code(() => loadServerTls({ cert: join(dir, 'nope.pem'), key: ca.key })), /^TLS_FILE_UNREADABLE: cannot read the certificate .*nope\.pem \(--tls-cert\)/);
  writeFileSync(join(dir, 'junk.pem'), 'not a certificate');
  assert.match(code(() => loadServerTls({ cert: join(dir, 'junk.pem'), key: ca.key })), /^TLS_FILE_INVALID: .*junk\.pem \(--tls-cert\) is not a PEM certificate/);
  assert.match(code(() => loadServerTls({ cert: ca.cert, key: ca.key, ca: join(dir, 'junk.pem') })), /^TLS_FILE_INVALID: .*\(--tls-ca\)/);
  assert.ok(loadServerTls({ cert: ca.cert, key: ca.key, ca: ca.ca })?.ca !== undefined);
});

test('the HTTP shell with tls serves HTTPS only: verified with the CA, refused without it, no plain HTTP', async () => {
  const api = await startHttpApi({ ip: '127.0.0.1', port: 0, log, routes: [{ method: 'GET', path: '/hi', handler: () => json({ hi: true }) }], tls: loadServerTls({ cert: ca.cert, key: ca.key }) });
  try {
    const ok = await httpGet(`https://127.0.0.1:${api.port}/hi`, { ca: readFileSync(ca.ca) });
    assert.equal([ok.status, ok.text], [200, '{"hi":true}']);
    const wrongCa = await httpGet(`https://127.0.0.1:${api.port}/hi`, { ca: readFileSync(other.ca) }).then(() => 'answered', (e: Error) => e.message);
    assert.match(wrongCa, /certificate/);
    const plain = await httpGet(`http://127.0.0.1:${api.port}/hi`, { timeoutMs: 3000 }).then((r) => `answered ${r.status}`, (e: Error) => e.message);
    assert.not.match(plain, /^answered/);
  } finally {
    await api.close();
  }
});

test('NATS over TLS: the bus connects with the CA; without it, or with another CA, it is refused and told what to give', async () => {
  const bus = await connectBus({ servers: nats.url, name: 'tls-test', log, tlsCa: ca.ca, creds: keys.creds('auditor', 'tls-test') });
  assert.type((await bus.jsm.getAccountInfo()).streams, 'number');
  await bus.close();
  const without = await connectBus({ servers: nats.url, name: 'no-ca', log, connectTimeoutMs: 3000, creds: keys.creds('auditor', 'no-ca') }).then(() => 'connected', (e: Error) => e.message);
  assert.match(without, /requires TLS: give --tls-ca FILE/);
  const wrong = await connectBus({ servers: nats.url, name: 'wrong-ca', log, tlsCa: other.ca, connectTimeoutMs: 3000, creds: keys.creds('auditor', 'wrong-ca') }).then(() => 'connected', (e: Error) => e.message);
  assert.match(wrong, /the CA that signed the server's certificate/);
});

test('a real master with --tls-cert/--tls-key/--tls-ca: leads over a TLS bus, its API is https', async () => {
  const m = await startMaster({ nats: nats.url, creds: keys.creds('master', 'm1'), port: 0, allocationIntervalMs: 100, tls: { cert: ca.cert, key: ca.key, ca: ca.ca } }, log);
  try {
    assert.match(m.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    await m.caughtUp;
    await waitFor(() => m.isLeader(), 'the master to lead over TLS');
    assert.is((await httpGet(`${m.url}/health`, { ca: readFileSync(ca.ca) })).status, 200);
  } finally {
    await m.stop();
  }
});

test.run();
