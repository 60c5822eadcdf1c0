/**
 * The scheduler of the example executor pair: it launches several tasks on one agent under one
 * custom executor (shell-executor.ts, each task's shell command in its `data`), talks to the
 * executor (a `ping` once the tasks run, answered `pong <n>`; the executor tells each task's exit
 * as a message), prints what happens, and tears down once every task ended.
 *
 *   node dist/frameworks/examples/shell-scheduler.js --nats nats://127.0.0.1:4222 \
 *     --creds <mesos dev's data dir>/credentials/framework.creds [--tasks 3] [--user U] [--tls-ca FILE]
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { Subscription } from 'rxjs';
import { isTerminal, type TaskStatus } from '../../events/index.js';
import { add, contains, parseResources } from '../../kernel/core/resources.js';
import { subscribe, type ExecutorSpec, type Scheduler, type TaskSpec } from '../sdk/index.js';

export interface ShellExampleOptions {
  readonly nats: string;
  readonly creds?: string;
  readonly tlsCa?: string;
  readonly user?: string;
  /** How many tasks the executor runs (default 3). */
  readonly tasks?: number;
  /** Each task's shell command (default: a line of output and a 1 s sleep). */
  readonly taskCommand?: (i: number) => string;
  readonly executorResources?: string;
  readonly taskResources?: string;
  readonly log: Logger;
  readonly out: (line: string) => void;
  /** Called once subscribed (tests watch the scheduler too). */
  readonly onScheduler?: (s: Scheduler) => void;
}

export interface ShellExampleResult {
  readonly frameworkId: string;
  readonly statuses: readonly TaskStatus[];
  /** Messages the executor sent, in order. */
  readonly messages: readonly string[];
}

/** The executor program: this build's shell-executor.js, run by the Node that runs us. */
export function shellExecutorSpec(resources = 'cpus:0.1;mem:128'): ExecutorSpec {
  const program = join(dirname(fileURLToPath(import.meta.url)), 'shell-executor.js');
  return { executorId: 'shell-executor', name: 'example shell executor', command: { value: process.execPath, shell: false, arguments: [process.execPath, program] }, resources };
}

export async function runShellExample(o: ShellExampleOptions): Promise<ShellExampleResult> {
  const n = o.tasks ?? 3;
  const executor = shellExecutorSpec(o.executorResources);
  const per = parseResources(o.taskResources ?? 'cpus:0.1;mem:16');
  const need = add(parseResources(typeof executor.resources === 'string' ? executor.resources : ''), ...Array.from({ length: n }, () => per));
  const sched = await subscribe({ nats: o.nats, ...(o.creds !== undefined ? { creds: o.creds } : {}), ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}), ...(o.user !== undefined ? { user: o.user } : {}), name: 'shell-executor-example', log: o.log });
  o.onScheduler?.(sched);
  o.out(`framework ${sched.frameworkId} subscribed; ${n} tasks under executor ${executor.executorId}`);
  const subs = new Subscription();
  const statuses: TaskStatus[] = [];
  const messages: string[] = [];
  const latest = new Map<string, TaskStatus>();
  let launched = false;
  let pinged = false;
  let agentId: TaskStatus['agentId'] | undefined;

  const done = new Promise<void>((resolve) => {
    const check = (): void => {
      const ended = [...latest.values()].filter((s) => isTerminal(s.state)).length;
      const exits = messages.filter((m) => m.startsWith('exited ')).length;
      if (ended === n && (exits === n || [...latest.values()].some((s) => s.source !== 'SOURCE_EXECUTOR'))) resolve();
    };
    subs.add(
      sched.updates$.subscribe((s) => {
        statuses.push(s);
        latest.set(s.taskId, s);
        o.out(`  ${s.taskId.padEnd(8)} ${s.state}${s.message ? `  (${s.message})` : ''}`);
        void sched.acknowledge(s).catch(() => undefined);
        if (!pinged && [...latest.values()].filter((x) => x.state === 'TASK_RUNNING').length === n && agentId !== undefined) {
          pinged = true;
          void sched.message(agentId, executor.executorId, 'ping').catch((err: unknown) => o.out(`message failed: ${(err as Error).message}`));
        }
        check();
      }),
    );
    subs.add(
      sched.messages$.subscribe((m) => {
        const text = m.data.toString('utf8');
        messages.push(text);
        o.out(`  message from ${m.executorId}: ${text}`);
        check();
      }),
    );
  });
  subs.add(
    sched.offers$.subscribe((offer) => {
      if (launched || !contains(offer.resources, need)) {
        void sched.decline([offer.id], launched ? 3600 : 1).catch(() => undefined);
        return;
      }
      launched = true;
      agentId = offer.agentId;
      const tasks: TaskSpec[] = Array.from({ length: n }, (_, i) => ({
        taskId: `shell-${i + 1}`,
        agentId: offer.agentId,
        resources: per,
        executor,
        data: o.taskCommand?.(i + 1) ?? `echo "task $MESOS_TASK_ID runs in the executor's sandbox $MESOS_SANDBOX"; sleep 1`,
      }));
      o.out(`offer from agent ${offer.agentId}: launching ${tasks.map((t) => t.taskId).join(', ')}`);
      void sched.accept([offer.id], tasks).catch((err: unknown) => o.out(`accept failed: ${(err as Error).message}`));
    }),
  );
  await done;
  subs.unsubscribe();
  await sched.teardown();
  return { frameworkId: sched.frameworkId, statuses, messages };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const { values } = parseArgs({
    options: { nats: { type: 'string', default: 'nats://127.0.0.1:4222' }, creds: { type: 'string' }, 'tls-ca': { type: 'string' }, tasks: { type: 'string', default: '3' }, user: { type: 'string' } },
  });
  const tasks = Number(values.tasks);
  if (!Number.isInteger(tasks) || tasks < 1) {
    process.stderr.write(`--tasks must be a positive integer (got ${values.tasks})\n`);
    process.exit(2);
  }
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  // As `mesos execute`: run as root only when asked (agents refuse root tasks by default).
  let user = values.user;
  if (user === undefined && process.getuid?.() === 0) {
    user = 'nobody';
    process.stdout.write('running as root without --user: the executor and its tasks run as nobody (--user root needs agents with --allow-root-tasks)\n');
  }
  runShellExample({
    nats: values.nats!,
    ...(values.creds !== undefined ? { creds: values.creds } : {}),
    ...(values['tls-ca'] !== undefined ? { tlsCa: values['tls-ca'] } : {}),
    ...(user !== undefined ? { user } : {}),
    tasks,
    log,
    out: (line) => void process.stdout.write(`${line}\n`),
  })
    .then((r) => {
      const finished = r.statuses.filter((s) => s.state === 'TASK_FINISHED').length;
      process.stdout.write(`done: ${finished} of ${tasks} tasks finished; ${r.messages.length} messages from the executor\n`);
      process.exit(finished === tasks ? 0 : 1);
    })
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    });
}
