/**
 * `mesos dev --tls` as a user runs it: a real process making a local CA with openssl and running
 * nats-server, the master and an agent over TLS. A task runs (native SDK over NATS+TLS, and the
 * Mesos HTTP API over HTTPS); the HTTP APIs answer over https with the CA; plain HTTP, plain NATS
 * and a client without the CA are refused.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { httpGet } from '../../security/tls/index.js';
import { waitFor } from '../helpers/wait.js';
import { frameworkCreds } from '../helpers/dev-process.js';

const MESOS = fileURLToPath(new URL('../../cli/mesos.js', import.meta.url));
let dev: ChildProcess;
let out = '';
let natsUrl = '';
let masterUrl = '';
let ca = '';
const data = mkdtempSync(join(tmpdir(), 'mesos-e2e-tls-'));

const mesos = (...args: string[]) => spawnSync(process.execPath, [MESOS, ...args], { encoding: 'utf8', timeout: 90_000 });

test.before(async () => {
  dev = spawn(process.execPath, [MESOS, 'dev', '--tls', '--agents', '1', '--port', '0', '--nats-port', '0', '--services-port', '0', '--jobs-port', '0', '--data', data, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  dev.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  dev.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes('cluster is up') || dev.exitCode !== null, `mesos dev --tls to start; output so far:\n${out}`, 120_000);
  assert.ok(out.includes('cluster is up'), out);
  natsUrl = /nats:\s+(nats:\/\/\S+)/.exec(out)![1]!;
  masterUrl = /master:\s+(\S+)/.exec(out)![1]!;
  ca = /clients: --tls-ca (\S+?);/.exec(out)![1]!;
});

test.after(async () => {
  if (dev && dev.exitCode === null) {
    dev.kill('SIGINT');
    await waitFor(() => dev.exitCode !== null, 'mesos dev to stop', 30_000).catch(() => dev.kill('SIGKILL'));
  }
  rmSync(data, { recursive: true, force: true });
});

test('mesos dev --tls: a local CA in <data>/tls, the key private; the master is https', () => {
  assert.is(ca, join(data, 'tls', 'ca.pem'));
  assert.ok(existsSync(join(data, 'tls', 'server.pem')));
  assert.is(statSync(join(data, 'tls', 'server-key.pem')).mode & 0o777, 0o600);
  assert.match(masterUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
});

test('a task runs over TLS: native SDK over NATS, and the Mesos HTTP API over HTTPS', () => {
  const native = mesos('execute', '--creds', frameworkCreds(data), '--nats', natsUrl, '--tls-ca', ca, '--name', 'tls-native', '--command', 'echo hi', '--timeout', '60s');
  assert.is(native.status, 0, native.stdout + native.stderr);
  assert.match(native.stdout, /TASK_FINISHED for task 'tls-native'/);
  const http = mesos('execute', '--master', masterUrl.replace(/^https:\/\//, ''), '--tls-ca', ca, '--name', 'tls-http', '--command', 'echo hi', '--timeout', '60s');
  assert.is(http.status, 0, http.stdout + http.stderr);
  assert.match(http.stdout, /TASK_FINISHED for task 'tls-http'/);
});

test('the HTTP APIs answer over https with the CA: master /health, /master/state, the agent\'s /state', async () => {
  assert.is((await httpGet(`${masterUrl}/health`, { ca: readCa() })).status, 200);
  const state = JSON.parse((await httpGet(`${masterUrl}/master/state`, { ca: readCa() })).text) as { slaves: { pid: string }[] };
  const agent = state.slaves[0]!.pid.replace(/^slave\(1\)@/, '');
  const a = await httpGet(`https://${agent}/state`, { ca: readCa() });
  assert.is(a.status, 200);
  assert.match(a.text, /"frameworks"/);
});

test('refused: plain HTTP, HTTPS without the CA, plain NATS, a NATS client without the CA', async () => {
  const plain = await httpGet(masterUrl.replace(/^https:/, 'http:') + '/health').then(
    (r) => `answered ${r.status}`,
    (e: Error) => e.message,
  );
  assert.not.match(plain, /^answered/, 'plain HTTP gets no answer');
  const untrusted = await httpGet(`${masterUrl}/health`).then(
    (r) => `answered ${r.status}`,
    (e: Error) => e.message,
  );
  assert.match(untrusted, /certificate/, 'without the CA the server is not trusted');
  // A plain NATS client (the protocol by hand): the server says TLS is required.
  const [host, port] = natsUrl.replace('nats://', '').split(':') as [string, string];
  const said = await new Promise<string>((resolve) => {
    let got = '';
    const s = connect({ host, port: Number(port) }, () => s.write('CONNECT {"verbose":false}\r\nPING\r\n'));
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
    setTimeout(() => {
      s.destroy();
      resolve(got);
    }, 5000);
  });
  assert.match(said, /"tls_required":true/);
  assert.not.match(said, /PONG/, 'no plain conversation');
  const noCa = mesos('execute', '--nats', natsUrl, '--name', 'no-ca', '--command', 'true', '--timeout', '10s');
  assert.is.not(noCa.status, 0);
  assert.match(noCa.stderr, /requires TLS: give --tls-ca FILE/);
});

const readCa = (): Buffer => readFileSync(ca);

test.run();
