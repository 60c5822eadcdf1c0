/**
 * `mesos task exec` and the agent's LAUNCH_NESTED_CONTAINER_SESSION / WAIT_NESTED_CONTAINER against
 * a real nats-server, master and agent running a real task: the command runs in the task's
 * container (its cgroups, its environment and sandbox), its output comes back as RecordIO ProcessIO
 * records, its exit code reaches the CLI's, a bad container id is refused with the reason, and a
 * client that goes away takes the command's process group with it. Interactive sessions:
 * ATTACH_CONTAINER_INPUT (stdin piped to `cat` comes back, an empty DATA record is its EOF, bad
 * records and calls get 400/404/409/415), ATTACH_CONTAINER_OUTPUT, a session on a terminal
 * (`tty_info`: `test -t 0`, its window size, TTY_INFO resizing it), and `mesos task exec -i` / `-t`.
 */
import { execFile, spawn } from 'node:child_process';
import { type IncomingMessage, request } from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TaskStatus } from '../../events/index.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { RecordIoDecoder, encodeBinaryRecord, encodeRecord } from '../../kernel/shell/scheduler-api/recordio.js';
import { encode as encodeProtobuf } from '../../proto/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { OfferQueue } from '../helpers/offers.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const CLI = new URL('../../cli/mesos.js', import.meta.url).pathname;
type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let cluster: TestCluster;
let fw: Scheduler;
let agentBase: string;
let containerId: string;
let taskPid: number;

test.before(async () => {
  cluster = await startCluster({ agents: 1, agentResources: 'cpus:2;mem:1024;disk:1024;ports:[31000-31099]' });
  agentBase = `http://127.0.0.1:${cluster.agents[0]!.httpPort}`;
  fw = await subscribe({ ...cluster.framework(), name: 'exec it', log: cluster.log });
  const offers = new OfferQueue(fw);
  fw.updates$.subscribe((u) => void fw.acknowledge(u).catch(() => undefined));
  const offer = await offers.next();
  const running = firstValueFrom(fw.updates$.pipe(filter((u: TaskStatus) => u.taskId === 'sleeper' && u.state === 'TASK_RUNNING'), timeout(20_000)));
  await fw.accept([offer.id], [{ taskId: 'sleeper', resources: 'cpus:0.5;mem:64', command: { value: 'exec sleep 600', shell: true, environment: { APP: 'exec-demo' } }, agentId: offer.agentId }]);
  await running;
  const c = ((await call({ type: 'GET_CONTAINERS' })).json().get_containers.containers as J[]).find((x) => x.executor_id.value === 'sleeper')!;
  containerId = c.container_id.value;
  taskPid = c.container_status.executor_pid;
});

test.after(async () => {
  await fw?.close().catch(() => undefined);
  await cluster?.stop();
});

async function call(body: unknown) {
  const r = await fetch(`${agentBase}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: (): J => JSON.parse(text) as J };
}

const session = (id: string, command: J, parent = containerId) => ({
  type: 'LAUNCH_NESTED_CONTAINER_SESSION',
  launch_nested_container_session: { container_id: { value: id, parent: { value: parent } }, command },
});

/** The stream's records, decoded; stdout and stderr joined. */
function decode(body: Buffer): { records: J[]; stdout: string; stderr: string } {
  const records = new RecordIoDecoder().push(body) as J[];
  const part = (t: string) => Buffer.concat(records.filter((r) => r.type === 'DATA' && r.data.type === t).map((r) => Buffer.from(r.data.data, 'base64'))).toString('utf8');
  return { records, stdout: part('STDOUT'), stderr: part('STDERR') };
}

async function mesos(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

test('LAUNCH_NESTED_CONTAINER_SESSION runs the command in the task\'s container and streams its output as RecordIO ProcessIO records', async () => {
  const r = await fetch(`${agentBase}/api/v1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(session('s1', { value: 'cat /proc/self/cgroup; echo "env=$APP pwd=$(pwd) sandbox=$MESOS_SANDBOX"; echo to-stderr >&2' })),
  });
  assert.is(r.status, 200);
  assert.is(r.headers.get('content-type'), 'application/recordio');
  assert.is(r.headers.get('message-content-type'), 'application/json');
  const { records, stdout, stderr } = decode(Buffer.from(await r.arrayBuffer()));
  assert.ok(records.length > 0 && records.every((x) => x.type === 'DATA'), JSON.stringify(records));
  assert.is(stderr, 'to-stderr\n');
  const agent = cluster.agents[0]!;
  const cgroupLines = stdout.split('\n').filter((l) => /^\d+:[^:]*:/.test(l));
  assert.ok(cgroupLines.length > 0, stdout);
  if (agent.isolators.includes('namespaces/cgroup')) {
    // In the task's cgroup namespace its cgroups are the root of every hierarchy.
    assert.ok(cgroupLines.every((l) => l.endsWith(':/')), stdout);
  } else {
    // The very cgroups of the task, as the host sees them.
    assert.is(`${cgroupLines.join('\n')}\n`, readFileSync(`/proc/${taskPid}/cgroup`, 'utf8'));
    if (agent.isolation !== 'posix') assert.ok(cgroupLines.some((l) => l.includes(containerId)), stdout);
  }
  const m = /env=(\S*) pwd=(\S*) sandbox=(\S*)/.exec(stdout);
  assert.ok(m, stdout);
  assert.is(m[1], 'exec-demo');
  assert.is(m[2], m[3]);
  assert.ok(m[3]!.endsWith(containerId), m[3]);
  // WAIT_NESTED_CONTAINER after the stream: a wait(2) status, as Mesos's.
  const w = await call({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: { value: 's1', parent: { value: containerId } } } });
  assert.is(w.status, 200, w.text);
  assert.equal(w.json(), { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { exit_status: 0 } });
});

test('the exit status: WAIT_NESTED_CONTAINER gives it (exit 3 → 768), and the same id twice is refused', async () => {
  const r = await call(session('s2', { value: 'sh', shell: false, arguments: ['sh', '-c', 'exit 3'] }));
  assert.is(r.status, 200, r.text);
  const w = await call({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: { value: 's2', parent: { value: containerId } } } });
  assert.is(w.json().wait_nested_container.exit_status, 3 << 8);
  const again = await call(session('s2', { value: 'true' }));
  assert.is(again.status, 400);
  assert.match(again.text, /already exists/);
});

test('a bad container id is refused: an unknown parent 404, no parent 400, an unknown nested container 404', async () => {
  const unknown = await call(session('x', { value: 'true' }, 'no-such-container'));
  assert.is(unknown.status, 404);
  assert.match(unknown.text, /no-such-container is not a running container/);
  const noParent = await call({ type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: { value: 'x' }, command: { value: 'true' } } });
  assert.is(noParent.status, 400);
  assert.match(noParent.text, /parent/);
  const noValue = await call(session('y', { shell: true }));
  assert.is(noValue.status, 400);
  const wait = await call({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: { value: 'nope', parent: { value: containerId } } } });
  assert.is(wait.status, 404);
});

/** Pids whose command line is exactly these words. */
function pidsOf(...argv: string[]): number[] {
  const want = `${argv.join('\0')}\0`;
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8') === want) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

test('a client that disconnects takes the session\'s process group with it (WAIT then says SIGKILL)', async () => {
  const marker = String(7000 + Math.floor(Math.random() * 999));
  const ac = new AbortController();
  const r = await fetch(`${agentBase}/api/v1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(session('s3', { value: `echo ready; sleep ${marker} & sleep ${marker}; wait` })),
    signal: ac.signal,
  });
  assert.is(r.status, 200);
  const reader = r.body!.getReader();
  const first = await reader.read();
  assert.match(decode(Buffer.from(first.value!)).stdout, /ready/);
  await waitFor(() => pidsOf('sleep', marker).length === 2, 'both sleeps of the session');
  ac.abort();
  await waitFor(() => pidsOf('sleep', marker).length === 0, 'the session\'s processes to be killed');
  const w = await call({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: { value: 's3', parent: { value: containerId } } } });
  assert.is(w.json().wait_nested_container.exit_status, 9);
  // The task itself is untouched.
  assert.ok(existsSync(`/proc/${taskPid}`), 'the task still runs');
});

test('mesos task exec TASK_ID -- CMD prints stdout and stderr and exits with the command\'s exit code', async () => {
  const r = await mesos('task', 'exec', '--master', cluster.master.url, 'sleeper', '--', 'sh', '-c', 'echo out-line; echo err-line >&2; exit 3');
  assert.is(r.code, 3, r.stderr);
  assert.is(r.stdout, 'out-line\n');
  assert.is(r.stderr, 'err-line\n');
  const ok = await mesos('task', 'exec', '--master', cluster.master.url, 'sleeper', '--', 'cat', '/proc/self/cgroup');
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^\d+:/m);
  const missing = await mesos('task', 'exec', '--master', cluster.master.url, 'no-such-task', '--', 'true');
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /no task no-such-task/);
  const noCmd = await mesos('task', 'exec', '--master', cluster.master.url, 'sleeper');
  assert.is(noCmd.code, 2);
  assert.match(noCmd.stderr, /usage: mesos task exec \[-i\] \[-t\] TASK_ID -- CMD/);
});

// --- interactive sessions

interface Live {
  /** Output so far (STDOUT then STDERR records, decoded). */
  readonly out: () => { stdout: string; stderr: string; records: J[] };
  /** Resolves when the agent ends the stream. */
  readonly ended: Promise<void>;
  readonly abort: () => void;
}

/** A streaming POST whose answer is read as it comes. */
function streamCall(body: unknown): Promise<Live> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const req = request(`${agentBase}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/recordio' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`answered ${res.statusCode}`));
        return;
      }
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
      });
      res.on('data', (c: Buffer) => chunks.push(c));
      resolve({ out: () => decode(Buffer.concat(chunks)), ended, abort: () => req.destroy() });
    });
    req.on('error', () => undefined);
    req.end(JSON.stringify(body));
  });
}

const nested = (id: string) => ({ value: id, parent: { value: containerId } });
const first = (id: string) => ({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: nested(id) } });
const stdin = (text: string) => ({
  type: 'ATTACH_CONTAINER_INPUT',
  attach_container_input: { type: 'PROCESS_IO', process_io: { type: 'DATA', data: { type: 'STDIN', data: Buffer.from(text).toString('base64') } } },
});
const control = (c: J) => ({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO', process_io: { type: 'CONTROL', control: c } } });

interface Input {
  send(record: unknown): void;
  /** Raw bytes into the body (to send bad RecordIO). */
  raw(b: Buffer): void;
  end(): void;
  /** The answer: status and body. */
  readonly answer: Promise<{ status: number; text: string }>;
}

/** ATTACH_CONTAINER_INPUT: a streaming RecordIO request body. */
function attachInput(headers: Record<string, string> = { 'Content-Type': 'application/recordio', 'Message-Content-Type': 'application/json' }): Input {
  let req!: ReturnType<typeof request>;
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req = request(`${agentBase}/api/v1`, { method: 'POST', headers: { ...headers, 'Transfer-Encoding': 'chunked' } }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
  });
  answer.catch(() => undefined);
  return {
    send: (r) => req.write(encodeRecord(r)),
    raw: (b) => req.write(b),
    end: () => req.end(),
    answer,
  };
}

test('ATTACH_CONTAINER_INPUT: stdin piped to cat comes back on the session\'s stream; an empty DATA record is its EOF and ends it', async () => {
  const live = await streamCall(session('in1', { value: 'cat', shell: false, arguments: ['cat'] }));
  const input = attachInput();
  input.send(first('in1'));
  input.send(stdin('hello\n'));
  input.send(control({ type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: 30e9 } } }));
  await waitFor(() => live.out().stdout === 'hello\n', 'the first line back from cat');
  input.send(stdin('world\n'));
  input.send(stdin('')); // EOF
  await live.ended;
  assert.is(live.out().stdout, 'hello\nworld\n');
  input.end();
  const a = await input.answer;
  assert.is(a.status, 200, a.text);
  const w = await call({ type: 'WAIT_CONTAINER', wait_container: { container_id: nested('in1') } });
  assert.equal(w.json(), { type: 'WAIT_CONTAINER', wait_container: { exit_status: 0 } });
});

test('ATTACH_CONTAINER_INPUT in protobuf (Message-Content-Type: application/x-protobuf): binary agent Calls reach the command; bad bytes are a 400', async () => {
  const live = await streamCall(session('pb-in', { value: 'cat', shell: false, arguments: ['cat'] }));
  const pb = { 'Content-Type': 'application/recordio', 'Message-Content-Type': 'application/x-protobuf' };
  const input = attachInput(pb);
  const binary = (r: unknown) => encodeBinaryRecord(encodeProtobuf('agentCall', r));
  input.raw(binary(first('pb-in')));
  input.raw(binary(stdin('in protobuf\n')));
  input.raw(binary(stdin('')));
  await live.ended;
  assert.is(live.out().stdout, 'in protobuf\n');
  input.end();
  assert.is((await input.answer).status, 200);
  const bad = attachInput(pb);
  bad.raw(encodeBinaryRecord(Buffer.from([0x08, 0x12, 0x52, 0x7f])));
  bad.end();
  const b = await bad.answer;
  assert.is(b.status, 400);
  assert.match(b.text, /mesos\.v1\.agent\.Call protobuf/);
});

test('ATTACH_CONTAINER_OUTPUT streams a session\'s output from when it attached; input detached without EOF leaves stdin open', async () => {
  const live = await streamCall(session('out1', { value: 'cat', shell: false, arguments: ['cat'] }));
  // The Mesos CLI first attaches with only the container id, then again with the input.
  const probe = attachInput();
  probe.send(first('out1'));
  probe.end();
  assert.is((await probe.answer).status, 200);
  const other = await streamCall({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: nested('out1') } });
  const input = attachInput();
  input.send(first('out1'));
  input.send(stdin('to both\n'));
  await waitFor(() => other.out().stdout === 'to both\n' && live.out().stdout === 'to both\n', 'the line on both output streams');
  input.send(stdin(''));
  await Promise.all([live.ended, other.ended]);
  input.end();
  assert.is((await input.answer).status, 200);
  const task = await call({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: { value: containerId } } });
  assert.is(task.status, 500);
  assert.is(task.text, 'I/O switchboard server was disabled for this container');
  const gone = await call({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: nested('out1') } });
  assert.is(gone.status, 404);
});

test('ATTACH_CONTAINER_INPUT refuses bad input with the reason: records (400), framing (400), media types (400/415), a second input (409), no session (404)', async () => {
  const live = await streamCall(session('bad1', { value: 'cat', shell: false, arguments: ['cat'] }));
  const answer = async (records: (unknown | Buffer)[], headers?: Record<string, string>) => {
    const i = attachInput(headers);
    for (const r of records) Buffer.isBuffer(r) ? i.raw(r) : i.send(r);
    i.end();
    return i.answer;
  };
  const wrongStream = await answer([first('bad1'), { ...stdin('x'), attach_container_input: { type: 'PROCESS_IO', process_io: { type: 'DATA', data: { type: 'STDOUT', data: 'eA==' } } } }]);
  assert.is(wrongStream.status, 400);
  assert.match(wrongStream.text, /process_io\.data\.type.*STDIN/);
  const notBase64 = await answer([first('bad1'), { ...stdin(''), attach_container_input: { type: 'PROCESS_IO', process_io: { type: 'DATA', data: { type: 'STDIN', data: '%%%' } } } }]);
  assert.is(notBase64.status, 400);
  assert.match(notBase64.text, /base64/);
  const noSize = await answer([first('bad1'), control({ type: 'TTY_INFO', tty_info: {} })]);
  assert.is(noSize.status, 400);
  assert.match(noSize.text, /window_size/);
  const noTty = await answer([first('bad1'), control({ type: 'TTY_INFO', tty_info: { window_size: { rows: 10, columns: 10 } } })]);
  assert.is(noTty.status, 400);
  assert.match(noTty.text, /has no tty/);
  const firstNotId = await answer([stdin('x')]);
  assert.is(firstNotId.status, 400);
  assert.match(firstNotId.text, /CONTAINER_ID/);
  const garbage = await answer([Buffer.from('12x\n')]);
  assert.is(garbage.status, 400);
  assert.match(garbage.text, /invalid length prefix/);
  const truncated = await answer([first('bad1'), Buffer.from('50\n{"type"')]);
  assert.is(truncated.status, 400);
  assert.match(truncated.text, /ended after 7 of 50 bytes/);
  const huge = await answer([first('bad1'), Buffer.from('99999999\n')]);
  assert.is(huge.status, 400);
  assert.match(huge.text, /larger than the limit/);
  const empty = await answer([]);
  assert.is(empty.status, 400);
  assert.match(empty.text, /EOF/);
  const otherCall = await answer([{ type: 'GET_HEALTH' }]);
  assert.is(otherCall.status, 415);
  const noMessageType = await answer([first('bad1')], { 'Content-Type': 'application/recordio' });
  assert.is(noMessageType.status, 400);
  assert.match(noMessageType.text, /Message-Content-Type/);
  const asJson = await call(first('bad1'));
  assert.is(asJson.status, 415);
  assert.match(asJson.text, /application\/recordio/);
  const unknown = await answer([first('no-such-session')]);
  assert.is(unknown.status, 404);
  // One input at a time.
  const a = attachInput();
  a.send(first('bad1'));
  a.send(stdin('still here\n'));
  await waitFor(() => live.out().stdout === 'still here\n', 'the first input to reach cat');
  const second = await answer([first('bad1')]);
  assert.is(second.status, 409);
  a.send(stdin(''));
  a.end();
  assert.is((await a.answer).status, 200);
  await live.ended; // nothing of the bad attempts reached cat
  assert.is(live.out().stdout, 'still here\n');
});

test('a session on a terminal (tty_info): the command sees a tty of the given size, TTY_INFO resizes it, stdin reaches it', async () => {
  const live = await streamCall({
    type: 'LAUNCH_NESTED_CONTAINER_SESSION',
    launch_nested_container_session: {
      container_id: nested('tty1'),
      command: { value: 'test -t 0 && echo is-a-tty; stty size; read line; echo "got $line"; stty size' },
      container: { type: 'MESOS', tty_info: { window_size: { rows: 30, columns: 100 } } },
    },
  });
  await waitFor(() => /30 100/.test(live.out().stdout), 'the first stty size');
  assert.match(live.out().stdout, /is-a-tty/);
  const input = attachInput();
  input.send(first('tty1'));
  input.send(control({ type: 'TTY_INFO', tty_info: { window_size: { rows: 40, columns: 120 } } }));
  input.send(stdin('typed\r'));
  await live.ended;
  const out = live.out();
  assert.match(out.stdout, /got typed/);
  assert.match(out.stdout, /40 120/);
  assert.ok(out.records.every((r) => r.type !== 'DATA' || r.data.type === 'STDOUT'), 'a terminal is one stream: STDOUT');
  input.end();
  assert.is((await input.answer).status, 200);
  const w = await call({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: nested('tty1') } });
  assert.is(w.json().wait_nested_container.exit_status, 0);
});

test('a client that goes away kills a terminal session too (the command\'s own session under script)', async () => {
  const marker = String(8000 + Math.floor(Math.random() * 999));
  const live = await streamCall({
    type: 'LAUNCH_NESTED_CONTAINER_SESSION',
    launch_nested_container_session: { container_id: nested('tty2'), command: { value: `trap '' HUP; echo ready; sleep ${marker}` }, container: { tty_info: {} } },
  });
  await waitFor(() => /ready/.test(live.out().stdout) && pidsOf('sleep', marker).length === 1, 'the session to run');
  live.abort();
  await waitFor(() => pidsOf('sleep', marker).length === 0, 'the terminal session\'s processes to be killed');
});

/** Run the CLI with `input` on its stdin (kept open until `closeAfter` is seen on stdout when given). */
function mesosWithInput(args: string[], input: string, opts: { keepOpenUntil?: RegExp } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(args[0]!, args.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      if (opts.keepOpenUntil?.test(stdout) === true) p.stdin.end();
    });
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    p.stdin.write(input);
    if (opts.keepOpenUntil === undefined) p.stdin.end();
    p.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('mesos task exec -i pipes stdin to the command (its EOF ends it); -i -t runs it on a terminal, this one in raw mode', async () => {
  const piped = await mesosWithInput([process.execPath, CLI, 'task', 'exec', '-i', '--master', cluster.master.url, 'sleeper', '--', 'sh', '-c', 'cat; echo done; exit 5'], 'piped in\nsecond\n');
  assert.is(piped.code, 5, piped.stderr);
  assert.is(piped.stdout, 'piped in\nsecond\ndone\n');
  const noTerminal = await mesosWithInput([process.execPath, CLI, 'task', 'exec', '-it', '--master', cluster.master.url, 'sleeper', '--', 'true'], '');
  assert.is(noTerminal.code, 2);
  assert.match(noTerminal.stderr, /not a terminal/);
  // The CLI on a terminal of its own (script), typing a line: raw mode hands "abc\r" on, the remote terminal reads "abc".
  const inner = [process.execPath, CLI, 'task', 'exec', '-i', '-t', '--master', cluster.master.url, 'sleeper', '--', 'sh', '-c', 'test -t 0 && echo tty-yes; read x; echo "got-$x"; exit 4'].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const tty = await new Promise<{ code: number; stdout: string }>((resolve) => {
    const p = spawn('script', ['-qfec', inner, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let typed = false;
    p.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      if (/tty-yes/.test(stdout) && !typed) {
        typed = true;
        p.stdin.write('abc\r');
      }
    });
    p.once('close', (code) => resolve({ code: code ?? -1, stdout }));
  });
  assert.is(tty.code, 4, tty.stdout);
  assert.match(tty.stdout, /tty-yes/);
  assert.match(tty.stdout, /got-abc/);
});

test.run();
