/**
 * As a user runs it: `mesos dev --docker-registry DIR` hands its image store to its agents, and
 * `mesos execute --docker-image NAME` (over the native SDK and over the v1 scheduler HTTP API)
 * runs its command in that image. The store holds a busybox-static image written by the test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { busyboxLayer, haveBusybox, writeDockerArchive } from '../helpers/image-writer.js';
import { assertNothingLeft, type DevProcess, frameworkCreds, MESOS, startDev } from '../helpers/dev-process.js';

let dev: DevProcess;
let store: string;
let natsUrl = '';
let masterHostPort = '';
const mesos = (...args: string[]) => spawnSync(process.execPath, [MESOS, ...args], { encoding: 'utf8', timeout: 90_000 });
// True only inside the image: its os-release, and no /usr (busybox-static has none; the host has).
const IN_IMAGE = 'grep -q "^ID=mesosts-e2e$" /etc/os-release && test ! -e /usr';

test.before(async () => {
  if (!haveBusybox()) throw new Error('busybox-static is not installed (scripts/busybox.sh installs it)');
  store = mkdtempSync('/tmp/mesos-e2e-images-');
  writeDockerArchive(store, { name: 'busybox:e2e', layers: [busyboxLayer('ID=mesosts-e2e\n')] });
  dev = await startDev(['--agents', '1', '--no-frameworks', '--docker-registry', store]);
  natsUrl = /nats:\s+(nats:\/\/\S+)/.exec(dev.output())![1]!;
  masterHostPort = /master:\s+http:\/\/(\S+)/.exec(dev.output())![1]!;
});

test.after(async () => {
  if (dev !== undefined) {
    const before = dev.state();
    dev.proc.kill('SIGINT');
    await dev.exited;
    assertNothingLeft(before);
    rmSync(dev.data, { recursive: true, force: true });
  }
  if (store !== undefined) rmSync(store, { recursive: true, force: true });
});

test('mesos dev says where its agents take images from', () => {
  assert.match(dev.output(), `images: agents provision images from ${store}`);
});

test('mesos execute --docker-image (native SDK): the command runs in the image; without it, on the host', () => {
  const r = mesos('execute', '--creds', frameworkCreds(dev.data), '--nats', natsUrl, '--name', 'in-image', '--docker-image', 'busybox:e2e', '--command', IN_IMAGE, '--timeout', '60s');
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /TASK_FINISHED for task 'in-image'/);
  const host = mesos('execute', '--creds', frameworkCreds(dev.data), '--nats', natsUrl, '--name', 'on-host', '--command', IN_IMAGE, '--timeout', '60s');
  assert.is(host.status, 1, 'the same test fails on the host');
  assert.match(host.stdout, /TASK_FAILED for task 'on-host'/);
});

test('mesos execute --master --docker-image (v1 HTTP API, container.mesos.image); a missing image: TASK_FAILED naming it', () => {
  const r = mesos('execute', '--master', masterHostPort, '--name', 'http-image', '--docker-image', 'busybox:e2e', '--command', IN_IMAGE, '--timeout', '60s');
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /TASK_FINISHED for task 'http-image'/);
  const missing = mesos('execute', '--master', masterHostPort, '--name', 'no-image', '--docker-image', 'absent:1', '--command', 'true', '--timeout', '60s');
  assert.is(missing.status, 1);
  assert.match(missing.stdout, /TASK_FAILED for task 'no-image'.*REASON_CONTAINER_LAUNCH_FAILED.*image absent:1 is not in the image store/);
});

test.run();
