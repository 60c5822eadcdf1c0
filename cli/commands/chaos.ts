/**
 * `mesos chaos`: attack a running `mesos dev` (found through `<data>/dev-state.json`) with a fault
 * every --every for --duration while a workload runs, then verify the log and print the verdict
 * (`--json`: one object for CI). Exits 0 when the verdict passes, 1 when it fails.
 */
import { resolve } from 'node:path';
import { chaosUser, failures, parseFaults, render, runChaos, toJson } from '../../chaos/index.js';
import { FlagError, type FlagSpec, bool, num, str } from '../flags.js';
import { LOG_LEVELS, createLogger } from '../log.js';

export const chaosFlags: readonly FlagSpec[] = [
  { name: 'data', type: 'string', required: true, placeholder: 'dir', help: 'The --data dir of the running `mesos dev` (its dev-state.json lists the children)' },
  { name: 'duration', type: 'duration', default: '60s', help: 'How long to inject faults' },
  { name: 'every', type: 'duration', default: '10s', help: 'One fault every this long' },
  {
    name: 'target',
    type: 'string',
    default: 'random',
    placeholder: 'list',
    help: 'What to hit, comma separated: random, leader, master, agent, nats, or a child\'s name (master-2, agent-1, nats-n3)',
  },
  { name: 'faults', type: 'string', default: 'kill,stop,partition', placeholder: 'list', help: 'Kinds of fault: kill (SIGKILL), stop (SIGSTOP, then SIGCONT), partition (cut the process off the network for --partition-for: its link down where mesos dev --netns gave it a namespace of its own, a true partition; else its NATS connections cut by ss -K, an approximation)' },
  { name: 'stop-for', type: 'duration', default: '3s', help: 'How long a stopped process stays frozen' },
  { name: 'partition-for', type: 'duration', default: '5s', help: 'How long a partitioned process stays cut off' },
  { name: 'seed', type: 'int', help: 'Seed of the target choice (default: random; printed)' },
  { name: 'tasks-in-flight', type: 'int', default: 12, help: 'Tasks the workload keeps in flight' },
  { name: 'long-every', type: 'int', default: 4, help: 'Every n-th task of the workload is long' },
  { name: 'long-task', type: 'duration', default: '5s', help: 'How long a long task sleeps' },
  { name: 'task-resources', type: 'string', default: 'cpus:0.05;mem:16', placeholder: 'text', help: 'Resources of each task' },
  { name: 'user', type: 'string', placeholder: 'name', help: 'The workload framework\'s user, whom its tasks run as (default: nobody when run as root, since mesos dev\'s agents refuse root tasks; else $USER)' },
  { name: 'drain', type: 'duration', default: '90s', help: 'After the faults: how long to wait for every task to end' },
  { name: 'failover-timeout', type: 'duration', default: '30s', help: 'A leader loss with no new leader within this long counts as a failure' },
  { name: 'json', type: 'bool', default: false, help: 'Print one JSON object: {"kills", "failover_ms": {p50, p99, max}, "tasks": {...}, "overcommits", "verify"}' },
  { name: 'log-level', type: 'string', default: 'warn', choices: LOG_LEVELS, help: 'Log level of the workload framework (stderr)' },
];

export async function runChaosCommand(v: Readonly<Record<string, unknown>>): Promise<number> {
  const json = bool(v.json as boolean);
  const out = (l: string): void => void (json ? process.stderr : process.stdout).write(`${l}\n`);
  let faults;
  try {
    faults = parseFaults(str(v.faults as string) ?? '');
  } catch (err) {
    throw new FlagError(`${(err as Error).message}; see \`mesos chaos --help\``);
  }
  const durationMs = num(v.duration as number)!;
  const everyMs = num(v.every as number)!;
  if (everyMs <= 0 || durationMs <= 0) throw new FlagError('--duration and --every must be more than 0');
  const seed = num(v.seed as number) ?? Math.floor(Math.random() * 2 ** 31);
  const inFlight = num(v['tasks-in-flight'] as number)!;
  if (inFlight < 1) throw new FlagError('--tasks-in-flight must be 1 or more');
  const longEvery = num(v['long-every'] as number)!;
  if (longEvery < 1) throw new FlagError('--long-every must be 1 or more');
  const user = chaosUser(str(v.user as string), process.getuid?.());
  out(`seed ${seed}${user !== undefined ? `; tasks run as ${user}` : ''}`);
  const r = await runChaos(
    {
      data: resolve(str(v.data as string)!),
      durationMs,
      everyMs,
      targets: str(v.target as string) ?? 'random',
      faults,
      stopMs: num(v['stop-for'] as number)!,
      partitionMs: num(v['partition-for'] as number)!,
      seed,
      concurrency: inFlight,
      longEvery,
      longSecs: num(v['long-task'] as number)! / 1000,
      resources: str(v['task-resources'] as string)!,
      drainMs: num(v.drain as number)!,
      failoverTimeoutMs: num(v['failover-timeout'] as number)!,
      ...(user !== undefined ? { user } : {}),
    },
    out,
    createLogger(str(v['log-level'] as string) ?? 'warn', 'mesos-chaos'),
  );
  for (const l of render(r)) out(l);
  if (json) process.stdout.write(`${JSON.stringify(toJson(r))}\n`);
  return failures(r).length === 0 ? 0 : 1;
}
