/**
 * `mesos task list`, `mesos task log` and `mesos task exec`, as the Mesos CLI had them: the tasks
 * from the master's GET_TASKS (with the agent each runs on, from GET_AGENTS), a task's sandbox file
 * read from its agent's operator API (READ_FILE on the executor's latest run, in chunks, or only the
 * last lines), and a command run in a task's container (the agent's LAUNCH_NESTED_CONTAINER_SESSION,
 * its output printed as it comes, then WAIT_NESTED_CONTAINER for its exit code). As the Mesos CLI:
 * `-i` attaches our stdin (ATTACH_CONTAINER_INPUT: a RecordIO request body of STDIN records, an
 * empty one at our EOF, a HEARTBEAT every 30 s) and `-t` gives the command a terminal (tty_info;
 * with -i our terminal is put in raw mode, so keys such as ^C and ^D go to the command, and each
 * resize is passed on as TTY_INFO).
 */
import { randomUUID } from 'node:crypto';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { RecordIoDecoder, encodeRecord } from '../../kernel/shell/scheduler-api/recordio.js';
import { basicHeader } from '../../security/http/index.js';
import { FlagError, type FlagSpec } from '../flags.js';
import { type ClientAuth, OperatorError, operatorCall } from '../operator-client.js';
import { AUTH_FLAGS, JSON_FLAG, MASTER_FLAG, call, clientAuth, out, table } from './operator-common.js';

export const taskListFlags: readonly FlagSpec[] = [
  MASTER_FLAG,
  { name: 'all', type: 'bool', default: false, help: 'Also the completed tasks' },
  JSON_FLAG,
  ...AUTH_FLAGS,
];

export const taskLogFlags: readonly FlagSpec[] = [
  MASTER_FLAG,
  { name: 'task', type: 'string', required: true, placeholder: 'id', help: 'The task id' },
  { name: 'framework', type: 'string', placeholder: 'id', help: 'Its framework, when the task id is used by more than one' },
  { name: 'file', type: 'string', default: 'stdout', placeholder: 'name', help: 'The sandbox file to print (stdout, stderr, or a path inside the sandbox)' },
  { name: 'lines', type: 'int', default: 0, placeholder: 'n', help: 'Only the last n lines (0: the whole file)' },
  ...AUTH_FLAGS,
];

export const taskExecFlags: readonly FlagSpec[] = [
  MASTER_FLAG,
  { name: 'interactive', short: 'i', type: 'bool', default: false, help: "Attach this terminal's stdin to the command (its EOF is the command's)" },
  { name: 'tty', short: 't', type: 'bool', default: false, help: 'Run the command on a terminal (with -i, this terminal in raw mode, its size passed on)' },
  { name: 'framework', type: 'string', placeholder: 'id', help: 'Its framework, when the task id is used by more than one' },
  ...AUTH_FLAGS,
];

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface TaskRow {
  readonly id: string;
  readonly name: string;
  readonly frameworkId: string;
  readonly executorId: string;
  readonly agentId: string;
  readonly state: string;
  readonly completed: boolean;
}

async function tasksAndAgents(master: string, auth: ClientAuth | undefined): Promise<{ tasks: TaskRow[]; agents: Map<string, { hostname: string; url: string }> }> {
  const t = (await operatorCall(master, { type: 'GET_TASKS' }, 30_000, auth)).json as J;
  const a = (await operatorCall(master, { type: 'GET_AGENTS' }, 30_000, auth)).json as J;
  const rows = (list: J[] | undefined, completed: boolean): TaskRow[] =>
    (list ?? []).map((x) => ({
      id: x.task_id.value,
      name: x.name ?? '',
      frameworkId: x.framework_id.value,
      executorId: x.executor_id?.value ?? x.task_id.value,
      agentId: x.agent_id.value,
      state: x.state,
      completed,
    }));
  const g = t.get_tasks ?? {};
  const agents = new Map<string, { hostname: string; url: string }>();
  for (const ag of (a.get_agents?.agents ?? []) as J[]) {
    const pid = /@([^:]+):(\d+)$/.exec(String(ag.pid ?? ''));
    const host = pid?.[1] ?? ag.agent_info.hostname;
    const port = pid?.[2] ?? ag.agent_info.port;
    agents.set(ag.agent_info.id.value, { hostname: ag.agent_info.hostname, url: `http://${host}:${port}` });
  }
  return { tasks: [...rows(g.tasks, false), ...rows(g.unreachable_tasks, false), ...rows(g.completed_tasks, true)], agents };
}

export async function runTaskList(v: Readonly<Record<string, unknown>>): Promise<number> {
  if (v.json === true) {
    await call(v, { type: 'GET_TASKS' });
    return 0;
  }
  const { tasks, agents } = await tasksAndAgents(v.master as string, clientAuth(v));
  const shown = tasks.filter((t) => v.all === true || !t.completed);
  if (shown.length === 0) {
    out(v.all === true ? 'no tasks' : 'no live tasks (--all for the completed ones)');
    return 0;
  }
  out(table([['ID', 'NAME', 'STATE', 'FRAMEWORK', 'AGENT'], ...shown.map((t) => [t.id, t.name, t.state, t.frameworkId, agents.get(t.agentId)?.hostname ?? t.agentId])]));
  return 0;
}

/** POST a call to an agent's /api/v1; the JSON answer, or an error saying what the agent answered. */
async function agentCall(agentUrl: string, body: Record<string, unknown>, auth: ClientAuth | undefined): Promise<J> {
  try {
    return (await operatorCall(agentUrl, body, 30_000, auth)).json as J;
  } catch (e) {
    if (e instanceof OperatorError) throw new Error(e.message.replace('the master answered', `the agent at ${agentUrl} answered`));
    throw e;
  }
}

/** The task (by id, and framework when given) and its agent. */
async function findTask(v: Readonly<Record<string, unknown>>, id: string, auth: ClientAuth | undefined): Promise<{ t: TaskRow; agent: { hostname: string; url: string } }> {
  const { tasks, agents } = await tasksAndAgents(v.master as string, auth);
  const matches = tasks.filter((t) => t.id === id && (v.framework === undefined || t.frameworkId === v.framework));
  if (matches.length === 0) throw new FlagError(`no task ${id} is known to the master (see \`mesos task list --all\`)`);
  const frameworks = new Set(matches.map((t) => t.frameworkId));
  if (frameworks.size > 1) throw new FlagError(`task id ${id} is used by frameworks ${[...frameworks].join(', ')}: give --framework`);
  const t = matches.find((x) => !x.completed) ?? matches[matches.length - 1]!;
  const agent = agents.get(t.agentId);
  if (agent === undefined) throw new Error(`the agent ${t.agentId} of task ${id} is not known to the master any more; its sandbox cannot be reached`);
  return { t, agent };
}

export async function runTaskLog(v: Readonly<Record<string, unknown>>): Promise<number> {
  const auth = clientAuth(v);
  const id = v.task as string;
  const { t, agent } = await findTask(v, id, auth);
  const file = String(v.file);
  const path = `/frameworks/${t.frameworkId}/executors/${t.executorId}/runs/latest/${file.replace(/^\/+/, '')}`;
  const chunks: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const r = (await agentCall(agent.url, { type: 'READ_FILE', read_file: { path, offset } }, auth)).read_file;
    const data = Buffer.from(String(r?.data ?? ''), 'base64');
    if (data.length === 0) break;
    chunks.push(data);
    offset += data.length;
    if (offset >= Number(r.size)) break;
  }
  let text = Buffer.concat(chunks).toString('utf8');
  const n = v.lines as number;
  if (n > 0) {
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    text = `${lines.slice(-n).join('\n')}\n`;
  }
  process.stdout.write(text);
  return 0;
}

/** A wait(2) status as a shell reports it: the exit code, or 128 + the signal. */
export function exitCodeOf(waitStatus: number): number {
  const sig = waitStatus & 0x7f;
  return sig === 0 ? (waitStatus >> 8) & 0xff : 128 + sig;
}

const authHeaders = (auth: ClientAuth | undefined): Record<string, string> => (auth !== undefined ? { Authorization: basicHeader(auth.principal, auth.secret) } : {});

/** Read a refused answer's body into the error it becomes. */
function refused(agentUrl: string, what: string, res: IncomingMessage, reject: (e: Error) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => reject(new Error(`the agent at ${agentUrl} answered ${what} with ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').trim() || '(no body)'}`)));
}

interface OutputStream {
  /** Resolves when the agent ends the stream (the command ended); rejects on a broken stream. */
  readonly done: Promise<void>;
}

/**
 * POST a LAUNCH_NESTED_CONTAINER_SESSION and print each ProcessIO DATA record to stdout or stderr as
 * it comes. Resolves once the agent answered 200 (the command runs); rejects with what the agent
 * answered when it refuses.
 */
function launchSession(agentUrl: string, call: Record<string, unknown>, auth: ClientAuth | undefined): Promise<OutputStream> {
  const body = JSON.stringify(call);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/api/v1', agentUrl),
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/recordio', 'Message-Accept': 'application/json', 'Content-Length': Buffer.byteLength(body), ...authHeaders(auth) },
      },
      (res) => {
        if (res.statusCode !== 200) return refused(agentUrl, 'LAUNCH_NESTED_CONTAINER_SESSION', res, reject);
        const decoder = new RecordIoDecoder();
        const done = new Promise<void>((end, fail) => {
          res.on('data', (c: Buffer) => {
            try {
              for (const r of decoder.push(c) as J[]) {
                if (r.type !== 'DATA' || r.data === undefined) continue; // CONTROL: heartbeats
                const bytes = Buffer.from(String(r.data.data ?? ''), 'base64');
                (r.data.type === 'STDERR' ? process.stderr : process.stdout).write(bytes);
              }
            } catch (err) {
              req.destroy();
              fail(new Error(`the agent's stream is not RecordIO: ${(err as Error).message}`));
            }
          });
          res.on('end', () => end());
          res.on('error', fail);
          res.on('aborted', () => fail(new Error(`the agent at ${agentUrl} closed the session's stream before the command ended`)));
        });
        resolve({ done });
      },
    );
    req.on('error', (err) => reject(new Error(`cannot reach the agent at ${agentUrl}: ${err.message}`)));
    req.end(body);
  });
}

const inputCall = (attach: J): J => ({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: attach });
const stdinRecord = (b: Buffer): J => inputCall({ type: 'PROCESS_IO', process_io: { type: 'DATA', data: { type: 'STDIN', data: b.toString('base64') } } });
const ttyInfoRecord = (rows: number, columns: number): J => inputCall({ type: 'PROCESS_IO', process_io: { type: 'CONTROL', control: { type: 'TTY_INFO', tty_info: { window_size: { rows, columns } } } } });
/** A HEARTBEAT on the input stream this often (as the Mesos CLI), so that idle input keeps its connection. */
const INPUT_HEARTBEAT_MS = 30_000;
const heartbeatRecord = (): J => inputCall({ type: 'PROCESS_IO', process_io: { type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: INPUT_HEARTBEAT_MS * 1e6 } } } } });

interface InputStream {
  /** Resolves when the agent answered (200 once our input ended or the command did); rejects with a refusal. */
  readonly answered: Promise<void>;
  /** Stop sending (the command ended). */
  close(): void;
}

/**
 * ATTACH_CONTAINER_INPUT: a streaming request whose body is RecordIO of agent Calls: the container
 * id first, then our stdin as STDIN records (an empty one at our EOF), a HEARTBEAT every 30 s, and
 * with a terminal a TTY_INFO at the start and on each resize.
 */
function attachInput(agentUrl: string, containerId: J, auth: ClientAuth | undefined, tty: boolean): InputStream {
  let req: ClientRequest | undefined;
  const cleanups: (() => void)[] = [];
  const answered = new Promise<void>((resolve, reject) => {
    req = request(new URL('/api/v1', agentUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/recordio', 'Message-Content-Type': 'application/json', Accept: 'application/json', 'Transfer-Encoding': 'chunked', ...authHeaders(auth) },
    }, (res) => {
      if (res.statusCode !== 200) return refused(agentUrl, 'ATTACH_CONTAINER_INPUT', res, reject);
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', (err) => reject(new Error(`cannot send input to the agent at ${agentUrl}: ${err.message}`)));
  });
  const r = req!;
  const send = (record: J): boolean => (r.destroyed || r.writableEnded ? true : r.write(encodeRecord(record)));
  send(inputCall({ type: 'CONTAINER_ID', container_id: containerId }));
  const stdin = process.stdin;
  if (tty && process.stdout.isTTY === true) {
    const resize = (): void => void send(ttyInfoRecord(process.stdout.rows, process.stdout.columns));
    resize();
    process.stdout.on('resize', resize);
    cleanups.push(() => process.stdout.off('resize', resize));
  }
  const beat = setInterval(() => send(heartbeatRecord()), INPUT_HEARTBEAT_MS);
  cleanups.push(() => clearInterval(beat));
  const onData = (b: Buffer): void => {
    if (!send(stdinRecord(b))) {
      stdin.pause();
      r.once('drain', () => stdin.resume());
    }
  };
  const onEnd = (): void => {
    send(stdinRecord(Buffer.alloc(0))); // EOF
    r.end();
  };
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  cleanups.push(() => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
  });
  return {
    answered,
    close() {
      for (const c of cleanups.splice(0)) c();
      if (!r.writableEnded) r.end();
    },
  };
}

export async function runTaskExec(v: Readonly<Record<string, unknown>>, args: readonly string[]): Promise<number> {
  const [id, ...command] = args;
  if (id === undefined || command.length === 0) throw new FlagError('usage: mesos task exec [-i] [-t] TASK_ID -- CMD [ARGS...]');
  const interactive = v.interactive === true;
  const tty = v.tty === true;
  if (tty && interactive && process.stdin.isTTY !== true) throw new FlagError('-t with -i needs this terminal as stdin (stdin is not a terminal); leave out -t to pipe input');
  const auth = clientAuth(v);
  const { t, agent } = await findTask(v, id, auth);
  if (t.completed || ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE'].includes(t.state)) {
    throw new Error(`task ${id} is ${t.state}: there is no container to run a command in`);
  }
  const containers = ((await agentCall(agent.url, { type: 'GET_CONTAINERS' }, auth)).get_containers?.containers ?? []) as J[];
  const c = containers.find((x) => x.framework_id?.value === t.frameworkId && x.executor_id?.value === t.executorId);
  if (c === undefined) throw new Error(`the agent at ${agent.url} runs no container for task ${id} (executor ${t.executorId})`);
  const containerId = { value: randomUUID(), parent: { value: String(c.container_id.value) } };
  const size = process.stdout.isTTY === true ? { window_size: { rows: process.stdout.rows, columns: process.stdout.columns } } : {};
  const output = await launchSession(
    agent.url,
    {
      type: 'LAUNCH_NESTED_CONTAINER_SESSION',
      launch_nested_container_session: {
        container_id: containerId,
        command: { shell: false, value: command[0], arguments: command },
        ...(tty ? { container: { type: 'MESOS', tty_info: size } } : {}),
      },
    },
    auth,
  );
  const raw = tty && interactive && process.stdin.isTTY === true;
  if (raw) process.stdin.setRawMode(true);
  const input = interactive ? attachInput(agent.url, containerId, auth, tty) : undefined;
  let inputError: Error | undefined;
  input?.answered.catch((e: Error) => (inputError = e));
  try {
    await output.done;
  } finally {
    input?.close();
    if (raw) process.stdin.setRawMode(false);
  }
  if (inputError !== undefined) process.stderr.write(`mesos task exec: ${inputError.message}\n`);
  const w = (await agentCall(agent.url, { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: containerId } }, auth)).wait_nested_container;
  if (typeof w?.exit_status !== 'number') throw new Error(`the agent did not say how the command ended (${JSON.stringify(w)})`);
  return exitCodeOf(w.exit_status);
}
