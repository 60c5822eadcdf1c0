/**
 * Secrets in a task's environment (Mesos's `Environment.Variable` of type SECRET, a `Secret` of
 * type VALUE), end to end through the v1 scheduler HTTP API with a real nats-server, master and
 * agent: the task gets the real value; /master/state, /master/tasks, /master/frameworks, the
 * agent's /state, the operator API's GET_* calls, every `mesos replay` output and the processes'
 * logs show none of it — though the log itself holds it (the negative control). A REFERENCE secret
 * is refused with the reason.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createHash, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentHandle, startAgent } from '../../agent/index.js';
import { LOG_OPTIONS } from '../../cli/log.js';
import { type Bus, readLog } from '../../kernel/shell/bus.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { type Ev, HttpFramework, rawRequest } from '../helpers/scheduler-http.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const MESOS = fileURLToPath(new URL('../../cli/mesos.js', import.meta.url));
/** The CLI in a child process (asynchronously: the master under test runs in this one). */
const mesos = (...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [MESOS, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });

const SECRET = `hunter2-${randomUUID()}`;
const SECRET_B64 = Buffer.from(SECRET).toString('base64');

let nats: SecureTestNats;
let master: MasterHandle;
let agent: AgentHandle;
let fw: HttpFramework;
/** The auditor's credentials: `mesos replay` reads the log with them. */
let auditor: string;
let bus: Bus;
let dir: string;
const logged: string[] = [];

/** Neither the secret nor its base64 form is in `text`. */
function clean(text: string, where: string): void {
  assert.not.ok(text.includes(SECRET), `${where} shows the secret`);
  assert.not.ok(text.includes(SECRET_B64), `${where} shows the secret (base64)`);
}

const scalar = (name: string, value: number) => ({ name, type: 'SCALAR', scalar: { value } });
const withSecret = (id: string, command: string): Ev => ({
  name: id,
  task_id: { value: id },
  agent_id: { value: agent.agentId },
  resources: [scalar('cpus', 0.1), scalar('mem', 32)],
  command: {
    shell: true,
    value: command,
    environment: {
      variables: [
        { name: 'PLAIN', type: 'VALUE', value: 'visible' },
        { name: 'DB_PASSWORD', type: 'SECRET', secret: { type: 'VALUE', value: { data: SECRET_B64 } } },
      ],
    },
  },
});

async function launch(tasks: Ev[]): Promise<ReturnType<HttpFramework['call']>> {
  const offers = await fw.takeOffers({ cpus: 0.1 * tasks.length, mem: 32 * tasks.length });
  return fw.call('ACCEPT', { accept: { offer_ids: offers.map((o) => o.id), operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }], filters: { refuse_seconds: 0 } } });
}

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mesos-secrets-'));
  chmodSync(dir, 0o755); // the tasks run as nobody (agents refuse root tasks): they must reach their sandboxes
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      logged.push(chunk.toString());
      done();
    },
  });
  // The processes' own logger settings, at debug level.
  const log = pino({ level: 'debug', ...LOG_OPTIONS }, sink);
  nats = await withSecureNats();
  master = await startMaster({ nats: nats.url, creds: nats.creds('master', 'm1'), port: 0, allocationIntervalMs: 100 }, log);
  await waitFor(() => master.isLeader(), 'the master to lead');
  agent = await startAgent({ nats: nats.url, creds: nats.creds('agent', `agent-${randomUUID()}`), workDir: join(dir, 'agent'), resources: 'cpus:2;mem:1024;disk:1024', isolation: 'posix', cgroupsRoot: `sec-${randomUUID().slice(0, 8)}`, killGracePeriodMs: 200 }, log);
  await waitFor(() => master.state().agents.get(agent.agentId)?.status === 'ACTIVE', 'the agent to register');
  fw = await HttpFramework.subscribe(master.url, { user: 'nobody', name: 'secrets-test' });
  auditor = nats.creds('auditor', 'auditor');
  bus = await nats.bus('auditor', 'secrets-test');
});

test.after(async () => {
  fw?.close();
  await bus?.close();
  await agent?.stop();
  await master?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the task gets the real value of a SECRET variable (and its plain ones)', async () => {
  // Compared by digest: the command line itself must not hold the secret.
  const digest = createHash('sha256').update(SECRET).digest('hex');
  const check = `test "$(printf %s "$DB_PASSWORD" | sha256sum | cut -d' ' -f1)" = ${digest} && test "$PLAIN" = visible || exit 3`;
  const r = await launch([withSecret('checker', check), withSecret('holder', 'sleep 60')]);
  assert.is(r.status, 202, r.body);
  const s = await fw.terminal('checker');
  assert.is(s.state, 'TASK_FINISHED', `the task did not see its secret: ${s.state} ${s.message ?? ''}`);
  await fw.status('holder', 'TASK_RUNNING');
});

test('negative control: the log itself holds the secret (in the accept and the launch command)', async () => {
  let found = 0;
  for await (const e of readLog(bus, { untilHead: true })) if (new TextDecoder().decode(e.data).includes(SECRET_B64)) found++;
  assert.ok(found >= 2, `the secret is in ${found} messages of the log`);
});

test('/master/state, /master/tasks, /master/frameworks and the agent\'s /state show none of it', async () => {
  for (const path of ['/master/state', '/state', '/master/tasks', '/master/frameworks']) {
    const r = await rawRequest(master.url, { method: 'GET', path });
    assert.is(r.status, 200, path);
    assert.ok(r.body.includes('holder'), `${path} shows the task`);
    clean(r.body, path);
  }
  const a = await fetch(`http://127.0.0.1:${agent.httpPort}/state`);
  const body = await a.text();
  assert.ok(body.includes('holder'));
  clean(body, 'the agent\'s /state');
});

test('the operator API\'s GET_* calls show none of it', async () => {
  for (const type of ['GET_STATE', 'GET_TASKS', 'GET_FRAMEWORKS', 'GET_AGENTS', 'GET_EXECUTORS']) {
    const r = await rawRequest(master.url, { path: '/api/v1', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ type }) });
    assert.is(r.status, 200, `${type}: ${r.body}`);
    clean(r.body, type);
  }
});

test('mesos replay: export (decoded, raw, CSV), state (both views), timeline and verify show it masked', async () => {
  const runs: [string, string[]][] = [
    ['export', ['replay', 'export', '--nats', nats.url, '--creds', auditor]],
    ['export --raw', ['replay', 'export', '--nats', nats.url, '--creds', auditor, '--raw']],
    ['export --format csv', ['replay', 'export', '--nats', nats.url, '--creds', auditor, '--format', 'csv']],
    ['state', ['replay', 'state', '--nats', nats.url, '--creds', auditor]],
    ['state --view projection', ['replay', 'state', '--nats', nats.url, '--creds', auditor, '--view', 'projection']],
    ['timeline --json', ['replay', 'timeline', '--nats', nats.url, '--creds', auditor, '--task', 'holder', '--json']],
    ['verify --json', ['replay', 'verify', '--nats', nats.url, '--creds', auditor, '--json']],
  ];
  for (const [what, args] of runs) {
    const r = await mesos(...args);
    assert.is(r.status, 0, `${what}: ${r.stderr}`);
    clean(r.stdout + r.stderr, `mesos replay ${what}`);
  }
  const exported = (await mesos('replay', 'export', '--nats', nats.url, '--creds', auditor)).stdout;
  assert.match(exported, /"DB_PASSWORD":\{"type":"VALUE","value":\{"data":""\},"masked":true\}/);
  const projection = (await mesos('replay', 'state', '--nats', nats.url, '--creds', auditor, '--view', 'projection')).stdout;
  assert.ok(projection.includes('"masked": true'), 'the projection shows where a secret was');
  // A masked export still replays (and verifies).
  const file = join(dir, 'masked.jsonl');
  assert.is((await mesos('replay', 'export', '--nats', nats.url, '--creds', auditor, '--output', file)).status, 0);
  const v = await mesos('replay', 'verify', '--file', file);
  assert.is(v.status, 0, v.stdout + v.stderr);
});

test('the logs show none of it', () => {
  assert.ok(logged.length > 10, 'the processes logged');
  clean(logged.join(''), 'the logs');
});

test('a REFERENCE secret is refused with the reason', async () => {
  const t = withSecret('by-reference', 'true');
  t.command.environment.variables[1].secret = { type: 'REFERENCE', reference: { name: '/db/password' } };
  const r = await launch([t]);
  const why = r.status === 202 ? JSON.stringify(await fw.terminal('by-reference')) : r.body;
  assert.match(why, /REFERENCE needs a secret resolver/);
});

test.run();
