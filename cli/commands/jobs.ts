/**
 * `mesos jobs`: the jobs framework (Chronos-like) as a process: it subscribes to the cluster as
 * the framework `jobs`, keeps its state in the JOBS stream and serves Chronos's REST API (port
 * 4400 by default). `mesos jobs list|show|run|delete|history` are thin clients of that API.
 */
import { JobsClient, startJobs } from '../../frameworks/jobs/index.js';
import { FlagError, type FlagSpec, num, str } from '../flags.js';
import { createLogger } from '../log.js';
import { LOG_LEVEL_FLAG, NATS_FLAG, TLS_CA_FLAG } from './common.js';

export const jobsFlags: readonly FlagSpec[] = [
  NATS_FLAG,
  TLS_CA_FLAG,
  { name: 'port', type: 'int', default: 4400, help: "HTTP port of the REST API (Chronos's 4400; 0: any free port)" },
  { name: 'host', type: 'string', default: '0.0.0.0', help: 'Address the REST API listens on' },
  { name: 'user', type: 'string', help: 'User runs run as when a job names no runAsUser (default: yours; nobody when you are root)' },
  { name: 'failover-timeout', type: 'duration', default: '7d', help: 'How long the cluster keeps the tasks while this process is away' },
  LOG_LEVEL_FLAG,
];

export async function runJobs(v: Readonly<Record<string, unknown>>): Promise<number | void> {
  const log = createLogger(str(v['log-level'] as string) ?? 'info', 'mesos-jobs');
  const user = str(v.user as string) ?? (process.getuid?.() === 0 ? 'nobody' : (process.env.USER ?? 'nobody'));
  const tlsCa = str(v['tls-ca'] as string);
  const h = await startJobs({
    nats: v.nats as string,
    ...(tlsCa !== undefined ? { tlsCa } : {}),
    port: num(v.port as number) ?? 4400,
    host: str(v.host as string) ?? '0.0.0.0',
    user,
    failoverTimeoutMs: (v['failover-timeout'] as number | undefined) ?? 7 * 24 * 3600_000,
    log,
  });
  process.stdout.write(`jobs: framework ${h.engine.frameworkId}; Chronos REST API on ${h.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    // Started by `mesos dev` (an IPC channel): it goes when dev goes, even when dev is SIGKILLed.
    if (process.channel) process.once('disconnect', () => resolve());
  });
  await h.close();
  return 0;
}

const URL_FLAG: FlagSpec = { name: 'url', type: 'string', default: 'http://127.0.0.1:4400', help: 'The jobs REST API (MESOS_JOBS_URL)' };
export const jobsClientFlags: readonly FlagSpec[] = [URL_FLAG];

const client = (v: Readonly<Record<string, unknown>>): JobsClient => new JobsClient(process.env.MESOS_JOBS_URL ?? (v.url as string));
const out = (x: unknown): void => void process.stdout.write(`${typeof x === 'string' ? x : JSON.stringify(x, null, 2)}\n`);
const one = (args: readonly string[], usage: string): string => {
  if (args.length !== 1 || args[0] === '') throw new FlagError(`give one job name: ${usage}`);
  return encodeURIComponent(args[0]!);
};

interface JobRow {
  name: string;
  schedule?: string;
  cron?: string;
  parents?: string[];
  state: string;
  successCount: number;
  errorCount: number;
  nextRun: string | null;
  disabled: boolean;
  waiting?: { reason: string };
}

export async function runJobsList(v: Readonly<Record<string, unknown>>): Promise<number> {
  const jobs = await client(v).call<JobRow[]>('GET', '/v1/scheduler/jobs');
  const when = (j: JobRow): string => j.schedule ?? (j.cron !== undefined ? `cron ${j.cron}` : `after ${(j.parents ?? []).join(',')}`);
  const rows = jobs.map((j) => `${j.name.padEnd(24)}${(j.disabled ? 'disabled' : j.state).padEnd(10)}${String(j.successCount).padEnd(9)}${String(j.errorCount).padEnd(8)}${(j.nextRun ?? '-').padEnd(26)}${when(j)}${j.waiting !== undefined ? `  (waiting: ${j.waiting.reason})` : ''}`);
  out(['NAME'.padEnd(24) + 'STATE     SUCCESS  ERRORS  NEXT RUN                  SCHEDULE', ...rows].join('\n'));
  return 0;
}

export async function runJobsShow(v: Readonly<Record<string, unknown>>, args: readonly string[]): Promise<number> {
  out(await client(v).call('GET', `/v1/scheduler/job/${one(args, 'mesos jobs show NAME')}`));
  return 0;
}

export async function runJobsRun(v: Readonly<Record<string, unknown>>, args: readonly string[]): Promise<number> {
  await client(v).call('PUT', `/v1/scheduler/job/${one(args, 'mesos jobs run NAME')}`);
  out(`run of ${args[0]} requested: it starts when an offer fits (mesos jobs history ${args[0]})`);
  return 0;
}

export async function runJobsDelete(v: Readonly<Record<string, unknown>>, args: readonly string[]): Promise<number> {
  await client(v).call('DELETE', `/v1/scheduler/job/${one(args, 'mesos jobs delete NAME')}`);
  out(`deleted ${args[0]}`);
  return 0;
}

interface RunRow {
  runId: string;
  trigger: string;
  instant: string;
  state: string;
  start: string | null;
  end: string | null;
  agent: string | null;
  taskId: string | null;
  attempts: unknown[];
  count?: number;
  until?: string;
  reason?: string;
}

export async function runJobsHistory(v: Readonly<Record<string, unknown>>, args: readonly string[]): Promise<number> {
  const h = await client(v).call<{ runs: RunRow[] }>('GET', `/v1/scheduler/job/${one(args, 'mesos jobs history NAME')}/history`);
  const rows = h.runs.map((r) =>
    r.state === 'skipped'
      ? `${r.instant.padEnd(26)}${'skipped'.padEnd(10)}${r.trigger.padEnd(12)}${`${r.count} instant${r.count === 1 ? '' : 's'} to ${r.until}`}: ${r.reason ?? ''}`
      : `${r.instant.padEnd(26)}${r.state.padEnd(10)}${r.trigger.padEnd(12)}${(r.start ?? '-').padEnd(26)}${(r.end ?? '-').padEnd(26)}${String(r.attempts.length).padEnd(9)}${(r.agent ?? '-').padEnd(16)}${r.taskId ?? ''}`,
  );
  out(['INSTANT'.padEnd(26) + 'STATE     TRIGGER     START                     END                       ATTEMPTS AGENT           TASK', ...rows].join('\n'));
  return 0;
}
