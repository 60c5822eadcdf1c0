import { type ExecuteTask, runExecute } from '../../frameworks/execute.js';
import { runExecuteHttp } from '../../frameworks/execute-http.js';
import { FlagError, type FlagSpec, str } from '../flags.js';
import { createLogger } from '../log.js';
import { CREDS_FLAG, NATS_FLAG, TLS_CA_FLAG } from './common.js';
import { AUTH_FLAGS, clientAuth } from './operator-common.js';

export const executeFlags: readonly FlagSpec[] = [
  { name: 'master', type: 'string', placeholder: 'host:port', help: 'Speak the Mesos v1 scheduler HTTP API to this master (as mesos-execute does)' },
  { ...NATS_FLAG, required: false, help: 'Use the native SDK over NATS instead of HTTP: the server URL(s), comma separated (as NATS clients take them)' },
  { name: 'name', type: 'string', required: true, help: 'Name of the task (also its id)' },
  { name: 'command', type: 'string', required: true, placeholder: 'cmd', help: 'Shell command to run' },
  { name: 'resources', type: 'string', default: 'cpus:0.1;mem:32', placeholder: 'text', help: 'Resources for the task' },
  { name: 'role', type: 'string', default: '*', help: 'Role of the framework' },
  { name: 'user', type: 'string', help: 'User to run the task as (default: yours; nobody when you are root)' },
  { name: 'timeout', type: 'optional-duration', default: 'none', placeholder: 'duration|none', help: 'Give up when no offer fits within this long' },
  { name: 'docker-image', type: 'string', placeholder: 'repo:tag', help: "Run the command in this image, from the agent's image store (agents started with --docker-registry)" },
  { name: 'kill-grace-period', type: 'duration', help: 'Grace between SIGTERM and SIGKILL if the task is killed' },
  TLS_CA_FLAG,
  CREDS_FLAG,
  { name: 'log-level', type: 'string', default: 'warn', help: 'Log level (logs go to stderr)' },
  // With --master: HTTP Basic credentials, as mesos-execute's --principal and --secret.
  ...AUTH_FLAGS,
];

export async function runExecuteCommand(v: Readonly<Record<string, unknown>>): Promise<number> {
  const log = createLogger(str(v['log-level'] as string) ?? 'warn', 'mesos-execute');
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  const user = str(v.user as string) ?? defaultUser();
  const grace = v['kill-grace-period'] as number | undefined;
  const master = str(v.master as string);
  const nats = str(v.nats as string);
  if ((master === undefined) === (nats === undefined)) {
    throw new FlagError('give exactly one of --master HOST:PORT (the Mesos HTTP API) or --nats URL (the native SDK); see `mesos execute --help`');
  }
  const task: ExecuteTask = {
    name: v.name as string,
    command: v.command as string,
    resources: v.resources as string,
    role: v.role as string,
    ...(user !== undefined ? { user } : {}),
    timeoutMs: (v.timeout as number | null) ?? null,
    ...(grace !== undefined ? { killGracePeriodMs: grace } : {}),
    ...(str(v['docker-image'] as string) !== undefined ? { dockerImage: str(v['docker-image'] as string)! } : {}),
    out: (line) => void process.stdout.write(`${line}\n`),
    signal: abort.signal,
    ...(str(v['tls-ca'] as string) !== undefined ? { tlsCa: str(v['tls-ca'] as string)! } : {}),
  };
  const credential = master !== undefined ? clientAuth(v) : undefined;
  return master !== undefined ? runExecuteHttp({ ...task, master, ...(credential !== undefined ? { credential } : {}) }) : runExecute({ ...task, nats: nats!, log });
}

/**
 * Without --user the task runs as the invoking user, except root: a task as root needs an agent
 * started with --allow-root-tasks (and the run_tasks ACL), so root's tasks run as nobody, and we say so.
 */
function defaultUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  process.stderr.write('mesos execute: you are root; the task runs as nobody (give --user root to run it as root, which the agent must allow with --allow-root-tasks)\n');
  return 'nobody';
}
