/**
 * As a user runs it: `mesos dev` in one terminal, `mesos execute` in another, then Ctrl-C.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { readDevState } from '../../chaos/dev-state.js';
import { devCgroupsRoot } from '../../cli/commands/dev.js';
import { assertNothingLeft } from '../helpers/dev-process.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../helpers/wait.js';

const MESOS = fileURLToPath(new URL('../../cli/mesos.js', import.meta.url));
let dev: ChildProcess;
let out = '';
let natsUrl = '';
let masterUrl = '';
const data = mkdtempSync(join(tmpdir(), 'mesos-e2e-'));

const mesos = (...args: string[]) => spawnSync(process.execPath, [MESOS, ...args], { encoding: 'utf8', timeout: 60_000 });
let issued = 0;
/** Fresh framework credentials (a framework's id is its credentials'; a torn-down framework does not come back). */
function fwCreds(): string {
  const file = join(data, `fw-${++issued}.creds`);
  const r = mesos('creds', 'issue', 'framework', '--dir', join(data, 'keys'), '--out', file);
  assert.is(r.status, 0, r.stdout + r.stderr);
  return file;
}

test.before(async () => {
  dev = spawn(process.execPath, [MESOS, 'dev', '--agents', '1', '--port', '0', '--agent-port', '0', '--nats-port', '0', '--services-port', '0', '--jobs-port', '0', '--data', data, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  dev.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes('cluster is up'), `mesos dev to start; output so far:\n${out}`, 60_000);
  natsUrl = /nats:\s+(nats:\/\/\S+)/.exec(out)![1]!;
  masterUrl = /master:\s+(http:\/\/\S+)/.exec(out)![1]!;
});

test.after(async () => {
  if (dev && dev.exitCode === null) {
    dev.kill('SIGKILL');
  }
  rmSync(data, { recursive: true, force: true });
});

test('mesos dev is secure by default: anonymous NATS clients are refused; the printed credentials work (0600)', async () => {
  const creds = join(data, 'credentials');
  assert.match(out, /bus:\s+secured/);
  for (const f of ['operator.creds', 'framework.creds', 'auditor.creds']) {
    assert.ok(out.includes(join(creds, f)), `${f} printed`);
    assert.is(statSync(join(creds, f)).mode & 0o777, 0o600, f);
  }
  assert.is(statSync(join(data, 'keys')).mode & 0o777, 0o700);
  const { connect } = await import('@nats-io/transport-node');
  const anon = await connect({ servers: natsUrl, timeout: 3000 }).then((nc) => nc.close().then(() => 'connected'), (e: Error) => e.message);
  assert.match(anon, /Authorization Violation/);
  const noCreds = spawnSync(process.execPath, [MESOS, 'execute', '--nats', natsUrl, '--name', 'anon', '--command', 'true', '--timeout', '10s'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MESOS_CREDS: '' } });
  assert.is(noCreds.status, 1, noCreds.stdout + noCreds.stderr);
  assert.match(noCreds.stderr, /requires credentials: give --creds FILE \(or MESOS_CREDS\)/);
  const r = mesos('execute', '--creds', join(creds, 'framework.creds'), '--nats', natsUrl, '--name', 'printed', '--command', 'true', '--timeout', '30s');
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /TASK_FINISHED/);
  const other = spawnSync(process.execPath, [MESOS, 'creds', 'list', '--dir', join(data, 'keys')], { encoding: 'utf8' });
  assert.match(other.stdout, /master-1\tmaster/);
  assert.match(other.stdout, /auditor\tauditor/);
});

test('mesos dev prints the master and NATS URLs and the master is healthy', async () => {
  assert.match(natsUrl, /^nats:\/\/127\.0\.0\.1:\d+$/);
  const r = await fetch(`${masterUrl}/health`);
  assert.is(r.status, 200);
  const st = (await (await fetch(`${masterUrl}/master/state`)).json()) as { activated_slaves: number };
  assert.is(st.activated_slaves, 1);
});

test('mesos dev asks for credentials on the operator API and writes them (0600); the operator commands take them', () => {
  const file = join(data, 'credentials', 'http.json');
  assert.match(out, new RegExp(`http: .*read-write endpoints need HTTP Basic credentials: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.is(statSync(file).mode & 0o777, 0o600);
  const env = { ...process.env, MESOS_CREDENTIAL: '', MESOS_PRINCIPAL: '', MESOS_SECRET: '' };
  const run = (...args: string[]) => spawnSync(process.execPath, [MESOS, ...args], { encoding: 'utf8', timeout: 60_000, env });
  const anonymous = run('quota', 'get', '--master', masterUrl);
  assert.is(anonymous.status, 1, anonymous.stdout + anonymous.stderr);
  assert.match(anonymous.stderr, /401.*--credential FILE/);
  const withFile = run('quota', 'get', '--master', masterUrl, '--credential', file);
  assert.is(withFile.status, 0, withFile.stdout + withFile.stderr);
  const viaEnv = spawnSync(process.execPath, [MESOS, 'weights', 'get', '--master', masterUrl], { encoding: 'utf8', timeout: 60_000, env: { ...env, MESOS_CREDENTIAL: file } });
  assert.is(viaEnv.status, 0, viaEnv.stdout + viaEnv.stderr);
  const wrong = run('roles', '--master', masterUrl, '--principal', 'operator', '--secret', 'guess');
  assert.is(wrong.status, 1);
  assert.match(wrong.stderr, /401: Authentication failed/);
});

test('mesos execute runs a task to TASK_FINISHED and exits 0', () => {
  const r = mesos('execute', '--creds', fwCreds(), '--nats', natsUrl, '--name', 'hello', '--command', 'echo hello world', '--timeout', '30s');
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Subscribed with ID/);
  assert.match(r.stdout, /Received status update TASK_STARTING for task 'hello'/);
  assert.match(r.stdout, /Received status update TASK_RUNNING for task 'hello'/);
  assert.match(r.stdout, /Received status update TASK_FINISHED for task 'hello'/);
});

test('mesos execute as root without --user runs the task as nobody and says so; --user root is refused by a default agent', () => {
  if (process.getuid?.() !== 0) return; // only root is sent to nobody
  const r = mesos('execute', '--creds', fwCreds(), '--nats', natsUrl, '--name', 'who-am-i', '--command', 'test "$(id -un)" = nobody && test "$(id -u)" = 65534', '--timeout', '30s');
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /you are root; the task runs as nobody/);
  assert.match(r.stdout, /TASK_FINISHED for task 'who-am-i'/);
  const root = mesos('execute', '--creds', fwCreds(), '--nats', natsUrl, '--name', 'as-root', '--user', 'root', '--command', 'true', '--timeout', '30s');
  assert.is.not(root.status, 0, root.stdout + root.stderr);
  assert.not.match(root.stderr, /runs as nobody/);
  assert.match(root.stdout, /TASK_FAILED/);
  assert.match(root.stdout + root.stderr, /--allow-root-tasks/);
});

test('mesos execute --master speaks the Mesos v1 scheduler HTTP API to the same cluster', () => {
  const hostPort = masterUrl.replace(/^http:\/\//, '');
  const r = mesos('execute', '--master', hostPort, '--name', 'over-http', '--command', 'echo over http', '--timeout', '30s');
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Subscribed with ID [0-9a-f-]+-\d{4}/);
  assert.match(r.stdout, /Received status update TASK_FINISHED for task 'over-http'/);
  const both = mesos('execute', '--master', hostPort, '--nats', natsUrl, '--name', 'x', '--command', 'true');
  assert.is(both.status, 2);
  assert.match(both.stderr, /exactly one of --master/);
});

test('mesos execute of a failing command exits non-zero and prints the state and reason', () => {
  const r = mesos('execute', '--creds', fwCreds(), '--nats=' + natsUrl, '--name=fails', '--command=exit 7', '--timeout=30s');
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /TASK_FAILED for task 'fails'/);
  assert.match(r.stdout, /reason: REASON_COMMAND_EXECUTOR_FAILED/);
  assert.match(r.stdout, /status 7/);
});

test('mesos execute over its memory limit reports REASON_CONTAINER_LIMITATION_MEMORY', () => {
  const r = mesos(
    'execute',
    '--creds',
    fwCreds(),
    '--nats',
    natsUrl,
    '--name',
    'hog',
    '--resources',
    'cpus:0.1;mem:32',
    '--command',
    'python3 -c "b = bytearray(300*1024*1024); import time; time.sleep(30)"',
    '--timeout',
    '30s',
  );
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /TASK_FAILED .*REASON_CONTAINER_LIMITATION_MEMORY/);
});

test('mesos execute that no agent can fit gives up after --timeout with a clear message', () => {
  const r = mesos('execute', '--creds', fwCreds(), '--nats', natsUrl, '--name', 'huge', '--command', 'true', '--resources', 'cpus:1000;mem:32', '--timeout', '2s');
  assert.is(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /No offer with cpus:1000;mem:32 arrived within 2s/);
});

test('bad flags get a clear error and a non-zero exit', () => {
  const a = mesos('execute', '--creds', fwCreds(), '--nats', natsUrl, '--name', 'x', '--command', 'true', '--bogus', '1');
  assert.is(a.status, 2);
  assert.match(a.stderr, /unknown flag --bogus/);
  const b = mesos('execute', '--creds', fwCreds(), '--nats', natsUrl, '--command', 'true');
  assert.is(b.status, 2);
  assert.match(b.stderr, /--name is required/);
  const c = mesos('master', '--nats', natsUrl, '--port', 'abc');
  assert.is(c.status, 2);
  assert.match(c.stderr, /--port must be a whole number/);
  const d = mesos('dev', '--agents');
  assert.is(d.status, 2);
  assert.match(d.stderr, /--agents needs a value/);
  const e = mesos('nonsense');
  assert.is(e.status, 1);
  assert.match(e.stderr, /unknown command "nonsense"/);
  const f = mesos('execute', '--nats', 'nats://127.0.0.1:1', '--name', 'x', '--command', 'true');
  assert.is(f.status, 1);
  assert.match(f.stderr, /cannot reach NATS at nats:\/\/127\.0\.0\.1:1/);
});

test('--help works on every subcommand', () => {
  for (const cmd of [['dev'], ['master'], ['agent'], ['execute'], ['replay', 'state'], ['replay', 'diff'], ['replay', 'verify'], ['replay', 'timeline'], ['replay', 'export']]) {
    const r = mesos(...cmd, '--help');
    assert.is(r.status, 0, cmd.join(' '));
    assert.match(r.stdout, `Usage: mesos ${cmd.join(' ')}`);
  }
});

test('mesos replay state prints the folded state with the tasks that ran', () => {
  const r = mesos('replay', 'state', '--creds', join(data, 'credentials', 'auditor.creds'), '--nats', natsUrl);
  assert.is(r.status, 0, r.stderr);
  // The default view is /master/state as it was at that point.
  const j = JSON.parse(r.stdout) as { seq: number; view: string; state: { completed_frameworks: Array<{ completed_tasks: Array<{ id: string; state: string }> }> } };
  assert.ok(j.seq > 0);
  assert.is(j.view, 'master');
  const tasks = j.state.completed_frameworks.flatMap((f) => f.completed_tasks);
  assert.ok(tasks.some((t) => t.id === 'hello' && t.state === 'TASK_FINISHED'), 'hello finished');
  assert.ok(tasks.some((t) => t.id === 'fails' && t.state === 'TASK_FAILED'), 'fails failed');
  const projection = mesos('replay', 'state', '--creds', join(data, 'credentials', 'auditor.creds'), '--nats', natsUrl, '--view', 'projection');
  const p = JSON.parse(projection.stdout) as { state: { completedFrameworks: Array<{ completedTasks: Array<{ taskId: string; state: string }> }> } };
  assert.ok(p.state.completedFrameworks.flatMap((f) => f.completedTasks).some((t) => t.taskId === 'hello'));
  const early = mesos('replay', 'state', '--creds', join(data, 'credentials', 'auditor.creds'), '--nats', natsUrl, '--to', '2');
  assert.is(early.status, 0, early.stderr);
  assert.is((JSON.parse(early.stdout) as { seq: number }).seq, 2);
});

test('Ctrl-C (SIGINT) stops the whole cluster: no process, cgroup or mount left behind', async () => {
  const before = readDevState(data);
  const exited = new Promise<number | null>((r) => dev.once('exit', (code) => r(code)));
  dev.kill('SIGINT');
  assert.is(await exited, 0, out);
  const leftovers = spawnSync('pgrep', ['-f', data], { encoding: 'utf8' }).stdout.trim();
  assert.is(leftovers, '', `processes still running with ${data} in their command line`);
  assert.is(before.cgroupsRoot, devCgroupsRoot(data));
  assertNothingLeft(before);
  assert.is(existsSync(join(data, 'dev-state.json')), false, 'the state file is removed at stop');
});

test.run();
