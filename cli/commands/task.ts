/**
 * `mesos task list`, `mesos task log` and `mesos task exec`, as the Mesos CLI had them: the tasks
 * from the master's GET_TASKS (with the agent each runs on, from GET_AGENTS), a task's sandbox file
 * read from its agent's operator API (READ_FILE on the executor's latest run, in chunks, or only the
 * last lines), and a command run in a task's container (the agent's LAUNCH_NESTED_CONTAINER_SESSION,
 * its output printed as it comes, then WAIT_NESTED_CONTAINER for its exit code).
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { RecordIoDecoder } from '../../kernel/shell/scheduler-api/recordio.js';
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

/**
 * Stream a LAUNCH_NESTED_CONTAINER_SESSION: each ProcessIO DATA record to stdout or stderr as it
 * comes. Resolves when the agent ends the stream (the command ended); rejects with what the agent
 * answered when it refuses.
 */
function streamSession(agentUrl: string, call: Record<string, unknown>, auth: ClientAuth | undefined): Promise<void> {
  const body = JSON.stringify(call);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/api/v1', agentUrl),
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/recordio',
          'Message-Accept': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          ...(auth !== undefined ? { Authorization: basicHeader(auth.principal, auth.secret) } : {}),
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new Error(`the agent at ${agentUrl} answered ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').trim() || '(no body)'}`)));
          return;
        }
        const decoder = new RecordIoDecoder();
        res.on('data', (c: Buffer) => {
          try {
            for (const r of decoder.push(c) as J[]) {
              if (r.type !== 'DATA' || r.data === undefined) continue;
              const bytes = Buffer.from(String(r.data.data ?? ''), 'base64');
              (r.data.type === 'STDERR' ? process.stderr : process.stdout).write(bytes);
            }
          } catch (err) {
            req.destroy();
            reject(new Error(`the agent's stream is not RecordIO: ${(err as Error).message}`));
          }
        });
        res.on('end', () => resolve());
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(new Error(`cannot reach the agent at ${agentUrl}: ${err.message}`)));
    req.end(body);
  });
}

export async function runTaskExec(v: Readonly<Record<string, unknown>>, args: readonly string[]): Promise<number> {
  const [id, ...command] = args;
  if (id === undefined || command.length === 0) throw new FlagError('usage: mesos task exec TASK_ID -- CMD [ARGS...]');
  const auth = clientAuth(v);
  const { t, agent } = await findTask(v, id, auth);
  if (t.completed || ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE'].includes(t.state)) {
    throw new Error(`task ${id} is ${t.state}: there is no container to run a command in`);
  }
  const containers = ((await agentCall(agent.url, { type: 'GET_CONTAINERS' }, auth)).get_containers?.containers ?? []) as J[];
  const c = containers.find((x) => x.framework_id?.value === t.frameworkId && x.executor_id?.value === t.executorId);
  if (c === undefined) throw new Error(`the agent at ${agent.url} runs no container for task ${id} (executor ${t.executorId})`);
  const containerId = { value: randomUUID(), parent: { value: String(c.container_id.value) } };
  await streamSession(
    agent.url,
    { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: containerId, command: { shell: false, value: command[0], arguments: command } } },
    auth,
  );
  const w = (await agentCall(agent.url, { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: containerId } }, auth)).wait_nested_container;
  if (typeof w?.exit_status !== 'number') throw new Error(`the agent did not say how the command ended (${JSON.stringify(w)})`);
  return exitCodeOf(w.exit_status);
}
