/**
 * Nested container sessions (Mesos's LAUNCH_NESTED_CONTAINER_SESSION and WAIT_NESTED_CONTAINER):
 * a command run inside a running task's container (its cgroups, namespaces, user, environment and
 * sandbox: the container's `exec`, as command checks use it) in a process group of its own, its
 * stdout and stderr streamed back as RecordIO ProcessIO records for as long as it runs. When the
 * client goes away before the command ended, the whole group is killed. The exit status is kept (a
 * bounded number of ended sessions) for WAIT_NESTED_CONTAINER, in Mesos's form: a wait(2) status.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { constants } from 'node:os';
import { type Reply, json, text } from '../../kernel/shell/http/server.js';
import { encodeRecord } from '../../kernel/shell/scheduler-api/recordio.js';
import type { RunningTask } from '../task-runner.js';

/** How many ended sessions keep their exit status for WAIT_NESTED_CONTAINER. */
export const ENDED_KEPT = 256;

export interface SessionCommand {
  readonly value?: string | undefined;
  readonly shell?: boolean | undefined;
  readonly arguments?: readonly string[] | undefined;
  readonly environment?: Readonly<Record<string, string>> | undefined;
}

interface Session {
  readonly child: ChildProcess;
  /** The wait(2) status once it ended (exit code << 8, or the signal number). */
  status: number | undefined;
  readonly ended: Promise<number>;
}

export interface NestedSessions {
  launch(parentId: string, id: string, command: SessionCommand, running: readonly RunningTask[]): Promise<Reply>;
  wait(parentId: string, id: string): Promise<Reply>;
  /** Kill every live session (the agent stops). */
  killAll(): void;
  /** Live sessions (for tests and metrics). */
  live(): number;
}

const key = (parentId: string, id: string): string => `${parentId}.${id}`;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const dataRecord = (stream: 'STDOUT' | 'STDERR', b: Buffer): Buffer => encodeRecord({ type: 'DATA', data: { type: stream, data: b.toString('base64') } });

export function createNestedSessions(): NestedSessions {
  const sessions = new Map<string, Session>();
  const ended: string[] = [];

  const forget = (k: string): void => {
    ended.push(k);
    while (ended.length > ENDED_KEPT) sessions.delete(ended.shift()!);
  };

  return {
    async launch(parentId, id, command, running) {
      const k = key(parentId, id);
      if (sessions.has(k)) return text(`Nested container ${k} already exists\n`, 400);
      const task = running.find((t) => t.containerId === parentId);
      if (task === undefined || task.container === null) return text(`Container ${parentId} is not a running container of this agent\n`, 404);
      const shell = command.shell ?? true;
      const value = command.value ?? (shell ? undefined : command.arguments?.[0]);
      if (value === undefined || value === '') return text('launch_nested_container_session.command needs a value (the shell command, or the program)\n', 400);
      const exec = task.container.exec;
      const argv = exec.argv({ value, shell, ...(command.arguments !== undefined ? { arguments: command.arguments } : {}) });
      const child = spawn(argv[0]!, argv.slice(1), { cwd: exec.cwd, env: { ...exec.env, ...command.environment }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const started = await new Promise<Error | undefined>((resolve) => {
        child.once('spawn', () => resolve(undefined));
        child.once('error', (err) => resolve(err));
      });
      if (started !== undefined) return text(`Failed to launch the nested container ${k}: ${started.message}\n`, 500);
      let settle!: (status: number) => void;
      const session: Session = { child, status: undefined, ended: new Promise<number>((r) => (settle = r)) };
      sessions.set(k, session);
      // 'close': exited and both pipes drained, so every byte was handed to the stream first.
      child.once('close', (code, sig) => {
        killGroup(child); // whatever it left behind in its group
        const status = code !== null ? (code & 0xff) << 8 : signalNumber(sig);
        session.status = status;
        forget(k);
        settle(status);
      });
      return {
        status: 200,
        takeover: (res: ServerResponse) => {
          res.writeHead(200, { 'Content-Type': 'application/recordio', 'Message-Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
          res.flushHeaders();
          const send = (stream: 'STDOUT' | 'STDERR') => (b: Buffer) => {
            if (!res.destroyed) res.write(dataRecord(stream, b));
          };
          child.stdout!.on('data', send('STDOUT'));
          child.stderr!.on('data', send('STDERR'));
          // The client went away while it runs: the whole process group goes.
          res.once('close', () => {
            if (session.status === undefined) killGroup(child);
          });
          if (res.destroyed) killGroup(child);
          void session.ended.then(() => res.end());
        },
      };
    },

    async wait(parentId, id) {
      const k = key(parentId, id);
      const s = sessions.get(k);
      if (s === undefined) return text(`Nested container ${k} is not known to this agent\n`, 404);
      const status = await s.ended;
      return json({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { exit_status: status } });
    },

    killAll() {
      for (const s of sessions.values()) if (s.status === undefined) killGroup(s.child);
    },

    live() {
      let n = 0;
      for (const s of sessions.values()) if (s.status === undefined) n++;
      return n;
    },
  };
}

function signalNumber(sig: NodeJS.Signals | null): number {
  const n = sig === null ? undefined : (constants.signals as Record<string, number>)[sig];
  return n ?? 9;
}
