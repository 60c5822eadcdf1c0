/**
 * `mesos task list` and `mesos task log`, as the Mesos CLI had them: the tasks from the master's
 * GET_TASKS (with the agent each runs on, from GET_AGENTS), and a task's sandbox file read from its
 * agent's operator API (READ_FILE on the executor's latest run, in chunks, or only the last lines).
 */
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

export async function runTaskLog(v: Readonly<Record<string, unknown>>): Promise<number> {
  const auth = clientAuth(v);
  const id = v.task as string;
  const { tasks, agents } = await tasksAndAgents(v.master as string, auth);
  const matches = tasks.filter((t) => t.id === id && (v.framework === undefined || t.frameworkId === v.framework));
  if (matches.length === 0) throw new FlagError(`no task ${id} is known to the master (see \`mesos task list --all\`)`);
  const frameworks = new Set(matches.map((t) => t.frameworkId));
  if (frameworks.size > 1) throw new FlagError(`task id ${id} is used by frameworks ${[...frameworks].join(', ')}: give --framework`);
  const t = matches.find((x) => !x.completed) ?? matches[matches.length - 1]!;
  const agent = agents.get(t.agentId);
  if (agent === undefined) throw new Error(`the agent ${t.agentId} of task ${id} is not known to the master any more; its sandbox cannot be reached`);
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
