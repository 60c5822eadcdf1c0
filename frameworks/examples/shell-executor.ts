/**
 * An example custom executor written with the SDK: it runs each task it is given as a shell
 * command (the task's `data`, UTF-8) in a child process of its own container, so one executor
 * runs several tasks at once. It reports TASK_RUNNING when a task's process starts, TASK_FINISHED
 * or TASK_FAILED when it exits, TASK_KILLED on KILL (SIGTERM, then SIGKILL after the grace
 * period). It talks to its scheduler: each task's exit is also told as a message
 * (`exited <taskId> <code>`), and a scheduler's message `ping` is answered `pong <running tasks>`,
 * `acks` with `acks <updates its scheduler acknowledged>`; any other message is answered `echo <message>`. On SHUTDOWN it kills what runs and exits.
 * A task of a task group (LAUNCH_GROUP) runs with TASK_GROUP_TASKS set to its group's task ids (comma-separated).
 *
 * Started by the agent (never by hand): `node dist/frameworks/examples/shell-executor.js`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { startExecutor, type Executor } from '../sdk/index.js';

export async function runShellExecutor(ex: Executor, out: (line: string) => void = () => undefined): Promise<void> {
  const running = new Map<string, { child: ChildProcess; killed: boolean }>();
  const report = (taskId: string, p: Promise<void>): void => void p.catch((err: unknown) => out(`update for ${taskId} failed: ${(err as Error).message}`));

  ex.launches$.subscribe((t) => {
    const command = t.data.toString('utf8');
    if (command === '') {
      report(t.taskId, ex.update(t.taskId, 'TASK_ERROR', { message: 'the task has no data: this executor runs the shell command in TaskInfo.data' }));
      return;
    }
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, MESOS_TASK_ID: t.taskId, ...(t.group !== undefined ? { TASK_GROUP_TASKS: t.group.join(',') } : {}) }, detached: true });
    const entry = { child, killed: false };
    running.set(t.taskId, entry);
    out(`task ${t.taskId}: ${command}`);
    child.once('spawn', () => report(t.taskId, ex.update(t.taskId, 'TASK_RUNNING')));
    child.once('error', (err) => {
      running.delete(t.taskId);
      report(t.taskId, ex.update(t.taskId, 'TASK_FAILED', { message: `cannot start /bin/sh: ${err.message}` }));
    });
    child.once('exit', (code, signal) => {
      running.delete(t.taskId);
      const what = code !== null ? `${code}` : `${signal ?? 'unknown'}`;
      const state = entry.killed ? 'TASK_KILLED' : code === 0 ? 'TASK_FINISHED' : 'TASK_FAILED';
      report(t.taskId, ex.update(t.taskId, state, { message: code !== null ? `exited with status ${code}` : `terminated by ${signal ?? 'a signal'}` }));
      report(t.taskId, ex.message(`exited ${t.taskId} ${what}`));
    });
  });

  const kill = (taskId: string, graceMs: number): void => {
    const r = running.get(taskId);
    if (r === undefined) return;
    r.killed = true;
    const group = -r.child.pid!;
    try {
      process.kill(group, 'SIGTERM');
    } catch {
      return;
    }
    setTimeout(() => {
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, graceMs).unref();
  };
  ex.kills$.subscribe((k) => kill(k.taskId, k.gracePeriodMs ?? 3000));

  let acknowledged = 0;
  ex.acknowledged$.subscribe(() => acknowledged++);

  ex.messages$.subscribe((m) => {
    const text = m.toString('utf8');
    out(`message from the scheduler: ${text}`);
    const reply = text === 'ping' ? `pong ${running.size}` : text === 'acks' ? `acks ${acknowledged}` : `echo ${text}`;
    void ex.message(reply).catch((err: unknown) => out(`message failed: ${(err as Error).message}`));
  });

  ex.shutdown$.subscribe(() => {
    const grace = Math.max(0, ex.env.shutdownGracePeriodMs - 1000);
    for (const id of [...running.keys()]) kill(id, grace);
    const waitAll = (): void => {
      if (running.size > 0) return void setTimeout(waitAll, 20);
      // The last updates are in the agent's queue once update() resolved; then leave.
      setTimeout(() => ex.close(), 50);
    };
    waitAll();
  });

  try {
    await ex.ended;
  } finally {
    // Stopped without SHUTDOWN (it lost its agent): leave no task process behind.
    for (const id of [...running.keys()]) kill(id, 0);
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const log = pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  startExecutor({ log })
    .then(async (ex) => {
      out(`executor ${ex.env.executorId} of framework ${ex.env.frameworkId} subscribed to ${ex.env.agentEndpoint}`);
      await runShellExecutor(ex, out);
      process.exit(0);
    })
    .catch((err: unknown) => {
      log.error({ err }, 'executor failed');
      process.exit(1);
    });
}
