#!/usr/bin/env node
/**
 * `mesos`: the one command-line program. Subcommands: dev, master, agent, execute, the operator's
 * (quota, weights, roles, reserve, drain, agent, maintenance) and replay.
 */
import { runAgent, agentFlags } from './commands/agent.js';
import { chaosFlags, runChaosCommand } from './commands/chaos.js';
import { devFlags, runDev } from './commands/dev.js';
import { executeFlags, runExecuteCommand } from './commands/execute.js';
import { masterFlags, runMaster } from './commands/master.js';
import { REPLAY_COMMANDS } from './commands/replay.js';
import { FlagError, type FlagSpec, type FlagValue, parseFlags, usage } from './flags.js';
import * as quota from './commands/quota.js';
import * as reservation from './commands/reserve.js';
import * as agentAdmin from './commands/agent-admin.js';
import * as maintenance from './commands/maintenance.js';
import * as task from './commands/task.js';
import * as creds from './commands/creds.js';
import { CREDS_FLAG } from './commands/common.js';
import * as services from './commands/services.js';
import * as jobs from './commands/jobs.js';
import * as apply from './commands/apply.js';

interface Command {
  readonly name: string;
  readonly summary: string;
  readonly flags: readonly FlagSpec[];
  /** Positional arguments it takes (their names, for the usage), handed to `run` after the flags. */
  readonly args?: readonly string[];
  /** Resolves with an exit code, or with undefined for long-running servers. */
  readonly run: (values: Readonly<Record<string, unknown>>, args: readonly string[]) => Promise<number | void> | number;
  readonly extra?: string;
  /** It takes arguments besides its flags (an app id). */
  readonly positionals?: boolean;
}

const COMMANDS: readonly Command[] = [
  {
    name: 'dev',
    summary: 'Start a local cluster: nats-server with JetStream, a master and N agents. Ctrl-C stops everything.',
    flags: devFlags,
    run: runDev,
  },
  {
    name: 'chaos',
    summary: 'Attack a running `mesos dev`: kill or freeze masters, agents and NATS nodes while a workload runs; verify the log; print the verdict.',
    flags: chaosFlags,
    run: runChaosCommand,
  },
  { name: 'master', summary: 'Run a master: fold the cluster log, lead when elected, serve the HTTP API.', flags: masterFlags, run: runMaster },
  { name: 'agent', summary: "Run an agent: announce this machine's resources and run the tasks it is sent.", flags: agentFlags, run: runAgent },
  {
    name: 'execute',
    summary: 'Launch one command task and follow it to the end (like Apache Mesos\'s mesos-execute). Exits 0 on TASK_FINISHED.',
    flags: executeFlags,
    run: runExecuteCommand,
  },
  { name: 'quota get', summary: 'Show the quota of roles (GET_QUOTA).', flags: quota.quotaGetFlags, run: quota.runQuotaGet },
  { name: 'quota set', summary: 'Set a role\'s quota limits and guarantees (UPDATE_QUOTA).', flags: quota.quotaSetFlags, run: quota.runQuotaSet },
  { name: 'quota remove', summary: 'Remove a role\'s quota (UPDATE_QUOTA with an empty config).', flags: quota.quotaRemoveFlags, run: quota.runQuotaRemove },
  { name: 'weights get', summary: 'Show role weights (GET_WEIGHTS).', flags: quota.weightsGetFlags, run: quota.runWeightsGet },
  { name: 'weights set', summary: 'Set role weights (UPDATE_WEIGHTS).', flags: quota.weightsSetFlags, run: quota.runWeightsSet },
  { name: 'roles', summary: 'Show the roles: weights, frameworks, what they hold (GET_ROLES).', flags: quota.rolesFlags, run: quota.runRoles },
  { name: 'reserve', summary: 'Reserve free resources of an agent for a role (RESERVE_RESOURCES).', flags: reservation.reserveFlags, run: reservation.runReserve },
  { name: 'unreserve', summary: 'Unreserve free reserved resources of an agent (UNRESERVE_RESOURCES).', flags: reservation.unreserveFlags, run: reservation.runUnreserve },
  { name: 'drain', summary: 'Drain an agent: no new offers, its tasks are killed (DRAIN_AGENT).', flags: agentAdmin.drainFlags, run: agentAdmin.runDrain },
  { name: 'agent deactivate', summary: 'Stop offering an agent\'s resources; its tasks keep running (DEACTIVATE_AGENT).', flags: agentAdmin.agentAdminFlags, run: agentAdmin.runDeactivate },
  { name: 'agent reactivate', summary: 'Offer an agent again; ends a drain (REACTIVATE_AGENT).', flags: agentAdmin.agentAdminFlags, run: agentAdmin.runReactivate },
  { name: 'agent-gone', summary: 'Mark an agent gone for good: its tasks are TASK_GONE_BY_OPERATOR (MARK_AGENT_GONE).', flags: agentAdmin.agentAdminFlags, run: agentAdmin.runAgentGone },
  { name: 'maintenance schedule', summary: 'Show the maintenance schedule (GET_MAINTENANCE_SCHEDULE).', flags: maintenance.scheduleGetFlags, run: maintenance.runScheduleGet },
  { name: 'maintenance set', summary: 'Replace the maintenance schedule (UPDATE_MAINTENANCE_SCHEDULE).', flags: maintenance.scheduleSetFlags, run: maintenance.runScheduleSet },
  { name: 'maintenance start', summary: 'Take scheduled machines down (START_MAINTENANCE).', flags: maintenance.machinesFlags, run: maintenance.runMaintenanceStart },
  { name: 'maintenance stop', summary: 'Bring machines back up (STOP_MAINTENANCE).', flags: maintenance.machinesFlags, run: maintenance.runMaintenanceStop },
  { name: 'maintenance status', summary: 'Machines in maintenance and frameworks\' answers (GET_MAINTENANCE_STATUS).', flags: maintenance.statusFlags, run: maintenance.runMaintenanceStatus },
  { name: 'creds init', summary: 'Create a keystore: the NATS operator, the cluster account (and its signing key), the system account.', flags: creds.credsInitFlags, run: creds.runCredsInit },
  { name: 'creds issue', summary: 'Issue a party\'s NATS credentials (.creds): agent|framework|auditor|master|admin NAME.', flags: creds.credsIssueFlags, args: ['party', 'name'], run: (v: Readonly<Record<string, unknown>>, a?: readonly string[]) => creds.runCredsIssue(v, a ?? []) },
  { name: 'creds revoke', summary: 'Revoke a user\'s NATS credentials and push the account to the running servers.', flags: creds.credsRevokeFlags, args: ['name'], run: (v: Readonly<Record<string, unknown>>, a?: readonly string[]) => creds.runCredsRevoke(v, a ?? []) },
  { name: 'creds list', summary: 'List the NATS credentials issued from a keystore.', flags: creds.credsListFlags, run: creds.runCredsList },
  { name: 'services', summary: 'Run the services framework (Marathon-like): keep apps running; Marathon REST API v2 on port 8080.', flags: services.servicesFlags, run: services.runServices },
  { name: 'services apply', summary: 'Create or update an app from a Marathon app file, JSON or YAML (-f/--file).', flags: services.servicesApplyFlags, run: services.runServicesApply },
  { name: 'services list', summary: 'List the apps: instances, running, healthy, deploying.', flags: services.servicesClientFlags, run: services.runServicesList },
  { name: 'services show', summary: 'Show an app with its tasks: mesos services show ID.', flags: services.servicesClientFlags, run: services.runServicesShow, positionals: true },
  { name: 'services scale', summary: 'Scale an app: mesos services scale ID N.', flags: services.servicesClientFlags, run: services.runServicesScale, positionals: true },
  { name: 'services restart', summary: 'Restart an app (a rolling restart by its upgrade strategy): mesos services restart ID.', flags: services.servicesClientFlags, run: services.runServicesRestart, positionals: true },
  { name: 'services delete', summary: 'Delete an app (its tasks are killed): mesos services delete ID.', flags: services.servicesClientFlags, run: services.runServicesDelete, positionals: true },
  { name: 'jobs', summary: "Run the jobs framework (Chronos-like): scheduled and dependent jobs; Chronos's REST API on port 4400.", flags: jobs.jobsFlags, run: jobs.runJobs },
  { name: 'jobs list', summary: 'List the jobs: state, successes, errors, next run, schedule (and why a run waits).', flags: jobs.jobsClientFlags, run: jobs.runJobsList },
  { name: 'jobs show', summary: 'Show a job as Chronos returns it: mesos jobs show NAME.', flags: jobs.jobsClientFlags, run: jobs.runJobsShow, positionals: true },
  { name: 'jobs run', summary: 'Run a job now: mesos jobs run NAME.', flags: jobs.jobsClientFlags, run: jobs.runJobsRun, positionals: true },
  { name: 'jobs delete', summary: 'Delete a job (its running tasks are killed): mesos jobs delete NAME.', flags: jobs.jobsClientFlags, run: jobs.runJobsDelete, positionals: true },
  { name: 'jobs history', summary: "A job's runs from its log (start, end, state, agent, task; skipped instants): mesos jobs history NAME.", flags: jobs.jobsClientFlags, run: jobs.runJobsHistory, positionals: true },
  { name: 'apply', summary: 'Apply service and job files (YAML/JSON; -f FILE|DIR): show what changes, field by field, and change it (--prune removes what the files dropped).', flags: apply.applyFlags, run: apply.runApplyCommand },
  { name: 'diff', summary: 'Show what `mesos apply -f FILE|DIR` would change, and change nothing.', flags: apply.diffFlags, run: apply.runDiffCommand },
  { name: 'task list', summary: 'List the tasks: id, name, state, framework, agent (GET_TASKS, GET_AGENTS).', flags: task.taskListFlags, run: task.runTaskList },
  { name: 'task log', summary: "Print a task's stdout (or another sandbox file) from its agent (the agent's READ_FILE).", flags: task.taskLogFlags, run: task.runTaskLog },
  {
    name: 'task exec',
    summary: "Run a command in a task's container (its cgroups, namespaces, user, environment): mesos task exec [-i] [-t] TASK_ID -- CMD [ARGS...] (-i: attach stdin, -t: a terminal); exits with its exit code.",
    flags: task.taskExecFlags,
    run: task.runTaskExec,
    positionals: true,
  },
  // The auditor's commands (cli/commands/replay.ts): read the log, never write to it.
  ...REPLAY_COMMANDS.map((c) => ({ ...c, name: `replay ${c.name}`, run: (v: Readonly<Record<string, unknown>>) => c.run(v as Readonly<Record<string, FlagValue>>) })),
];

function topUsage(): string {
  return [
    'Usage: mesos <command> [flags]',
    '',
    'A cluster resource manager (two-level scheduling, Apache Mesos compatible) over NATS JetStream.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(22)}${c.summary}`),
    '',
    'Run `mesos <command> --help` for its flags.',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number | undefined> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(`${topUsage()}\n`);
    return argv.length === 0 ? 1 : 0;
  }
  const two = `${argv[0]} ${argv[1] ?? ''}`.trim();
  const cmd = COMMANDS.find((c) => c.name === two) ?? COMMANDS.find((c) => c.name === argv[0]);
  if (cmd === undefined) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (group.length > 0) {
      process.stderr.write(`mesos ${argv[0]} needs a subcommand: ${group.map((c) => c.name).join(', ')}\n`);
      return 1;
    }
    process.stderr.write(`mesos: unknown command "${argv[0]}"\n\n${topUsage()}\n`);
    return 1;
  }
  // `mesos services apply -f FILE`, as kubectl and Marathon's own tools take it.
  const rest = argv.slice(cmd.name.split(' ').length).map((a) => (a === '-f' && (cmd.name === 'services apply' || cmd.name === 'apply' || cmd.name === 'diff') ? '--file' : a));
  // Every command that connects to NATS takes --creds (the flag name of the `nats` CLI).
  const connects = cmd.name !== 'dev' && (cmd.name === 'chaos' || cmd.flags.some((f) => f.name === 'nats')) && !cmd.name.startsWith('creds ');
  const flags = connects && !cmd.flags.some((f) => f.name === 'creds') ? [...cmd.flags, CREDS_FLAG] : cmd.flags;
  const parsed = parseFlags(rest, flags, cmd.name);
  if (parsed.help) {
    process.stdout.write(`${usage(cmd.name, cmd.summary, flags, cmd.extra)}\n`);
    return 0;
  }
  if (connects && typeof parsed.values.creds === 'string' && parsed.values.creds !== '') process.env.MESOS_CREDS = parsed.values.creds;
  if (cmd.args !== undefined) {
    if (parsed.positionals.length > cmd.args.length) throw new FlagError(`unexpected argument "${parsed.positionals[cmd.args.length]}" for \`mesos ${cmd.name}\``);
    const code = await cmd.run(parsed.values, parsed.positionals);
    return code === undefined ? undefined : code;
  }
  if (parsed.positionals.length > 0 && cmd.positionals !== true) {
    throw new FlagError(`unexpected argument "${parsed.positionals[0]}" for \`mesos ${cmd.name}\`; see \`mesos ${cmd.name} --help\``);
  }
  const code = await cmd.run(parsed.values, parsed.positionals);
  return code === undefined ? undefined : code;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
    if (code !== undefined) setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    if (err instanceof FlagError) process.stderr.write(`mesos: ${err.message}\n`);
    else process.stderr.write(`mesos: ${(err as Error).message ?? String(err)}\n`);
    process.exit(err instanceof FlagError ? 2 : 1);
  },
);
