/**
 * Nested container sessions (Mesos's LAUNCH_NESTED_CONTAINER_SESSION, ATTACH_CONTAINER_INPUT,
 * ATTACH_CONTAINER_OUTPUT, WAIT_NESTED_CONTAINER / WAIT_CONTAINER): a command run inside a running
 * task's container (its cgroups, namespaces, user, environment and sandbox: the container's `exec`,
 * as command checks use it) in a process group of its own. Its stdout and stderr are streamed back
 * as RecordIO ProcessIO records on the launching connection (and on any ATTACH_CONTAINER_OUTPUT of
 * it) for as long as it runs; its stdin is a pipe that one ATTACH_CONTAINER_INPUT at a time may
 * write to (an empty DATA record closes it). When the launching client goes away before the command
 * ended, the whole group is killed. The exit status is kept (a bounded number of ended sessions) in
 * Mesos's form: a wait(2) status.
 *
 * With `tty` (Mesos's `container.tty_info`), the command runs on a pseudo-terminal: Node has none
 * built in, so the session is run by util-linux's `script` (`script -q -f -e -E always -c CMD
 * /dev/null`), which allocates the pty, copies our stdin pipe to it and its output to our stdout
 * pipe. Everything the command writes then comes as STDOUT (stdout and stderr are one terminal, as
 * in Mesos); a window size (at launch, or a TTY_INFO record later) is set on the terminal with
 * `stty`, which makes the kernel send the command SIGWINCH. An empty DATA does not close a
 * terminal's input (as in Mesos: the client sends ^D, EOT, as a terminal would).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants } from 'node:os';
import { z } from 'zod';
import { type Reply, json, text } from '../../kernel/shell/http/server.js';
import { RecordIoDecoder, RecordIoError, encodeBinaryRecord, encodeRecord } from '../../kernel/shell/scheduler-api/recordio.js';
import { encode as encodeProtobuf } from '../../proto/index.js';
import { isBase64 } from '../../kernel/shell/scheduler-api/wire.js';
import type { RunningTask } from '../task-runner.js';

/** How many ended sessions keep their exit status for WAIT_NESTED_CONTAINER. */
export const ENDED_KEPT = 256;
/** The largest ATTACH_CONTAINER_INPUT record taken (a stdin chunk, base64, in JSON). */
export const MAX_INPUT_RECORD_BYTES = 1 << 20;
/** A CONTROL HEARTBEAT on every output stream this often, so that idle sessions keep their connection. */
export const OUTPUT_HEARTBEAT_MS = 30_000;

export interface SessionCommand {
  readonly value?: string | undefined;
  readonly shell?: boolean | undefined;
  readonly arguments?: readonly string[] | undefined;
  readonly environment?: Readonly<Record<string, string>> | undefined;
}

/** Mesos's TTYInfo: a terminal, with its window size when given. */
export interface SessionTty {
  readonly rows?: number | undefined;
  readonly columns?: number | undefined;
}

type Stream = 'STDOUT' | 'STDERR';
/** The form of a stream's records: JSON, or binary agent.proto ProcessIO (Message-Accept / Message-Content-Type). */
export type RecordMedia = 'json' | 'protobuf';
type Sink = (stream: Stream, b: Buffer) => void;

interface Session {
  readonly key: string;
  readonly child: ChildProcess;
  readonly tty: boolean;
  /** The wait(2) status once it ended (exit code << 8, or the signal number). */
  status: number | undefined;
  readonly ended: Promise<number>;
  /** Where its output goes: the launching connection and every ATTACH_CONTAINER_OUTPUT. */
  readonly sinks: Set<Sink>;
  /** An ATTACH_CONTAINER_INPUT is connected (one at a time, as Mesos). */
  inputAttached: boolean;
  /** Resizes, one after another. */
  resizing: Promise<void>;
}

export interface NestedSessions {
  launch(parentId: string, id: string, command: SessionCommand, running: readonly RunningTask[], tty?: SessionTty, media?: RecordMedia): Promise<Reply>;
  /**
   * ATTACH_CONTAINER_INPUT: the rest of the request's RecordIO body (after the first record, the
   * CONTAINER_ID one) goes to the session's stdin. `decoder` holds the body's framing so far and
   * `pending` the records it decoded after the first. Resolves with the reply once the body ended
   * (200), a record was bad (400, the connection then closes) or the session ended (200). `toJson`
   * turns a record as decoded into its JSON form (a protobuf Call's; it throws on bad bytes).
   */
  attachInput(parentId: string, id: string, req: IncomingMessage, decoder: RecordIoDecoder, pending: readonly unknown[], toJson?: (record: unknown) => unknown): Promise<Reply>;
  /** ATTACH_CONTAINER_OUTPUT: the session's output from now on, until it ends. */
  attachOutput(parentId: string, id: string, media?: RecordMedia): Reply;
  /** WAIT_NESTED_CONTAINER (or, with `as`, WAIT_CONTAINER): the exit status once it ended. */
  wait(parentId: string, id: string, as?: 'WAIT_CONTAINER'): Promise<Reply>;
  /** Kill every live session (the agent stops). */
  killAll(): void;
  /** Live sessions (for tests and metrics). */
  live(): number;
}

const key = (parentId: string, id: string): string => `${parentId}.${id}`;

/** One ATTACH_CONTAINER_INPUT record after the first: Mesos's ProcessIO in an agent Call. */
const U32 = z.number().int().nonnegative().max(0xffffffff);
const InputRecord = z.object({
  type: z.literal('ATTACH_CONTAINER_INPUT', { error: "expected 'type' to be ATTACH_CONTAINER_INPUT (every record of this stream is one)" }),
  attach_container_input: z.object(
    {
      type: z.literal('PROCESS_IO', { error: "expected 'attach_container_input.type' to be PROCESS_IO (CONTAINER_ID comes only in the first record)" }),
      process_io: z.discriminatedUnion(
        'type',
        [
          z.object({
            type: z.literal('DATA'),
            data: z.object(
              {
                type: z.literal('STDIN', { error: "expected 'process_io.data.type' to be STDIN" }),
                data: z.string({ error: "expected 'process_io.data.data' (base64 bytes; empty: end of input)" }).refine(isBase64, 'is not base64'),
              },
              { error: "expected 'process_io.data' with the stdin bytes" },
            ),
          }),
          z.object({
            type: z.literal('CONTROL'),
            control: z.discriminatedUnion(
              'type',
              [
                z.object({
                  type: z.literal('TTY_INFO'),
                  tty_info: z.object({ window_size: z.object({ rows: U32, columns: U32 }, { error: "expected 'tty_info.window_size' with rows and columns" }) }),
                }),
                z.object({ type: z.literal('HEARTBEAT'), heartbeat: z.object({ interval: z.object({ nanoseconds: z.number() }).optional() }, { error: "expected 'process_io.control.heartbeat'" }) }),
              ],
              { error: "expected 'process_io.control.type' to be TTY_INFO or HEARTBEAT" },
            ),
          }),
        ],
        { error: "expected 'process_io.type' to be DATA or CONTROL" },
      ),
    },
    { error: "expected 'attach_container_input' with a PROCESS_IO" },
  ),
});

function problem(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ');
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The first child of `pid` (under `script`: the command's shell, the leader of the terminal's session). */
function firstChild(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first !== undefined && /^\d+$/.test(first) ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILL every process of session `sid` (a terminal's session: `script` puts the command in one of its own). */
function killSession(sid: number): void {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[3]) === sid) process.kill(Number(d), 'SIGKILL');
    } catch {
      // gone, or not ours
    }
  }
}

const firstExisting = (paths: readonly string[]): string | undefined => paths.find((p) => existsSync(p));

/** A word for sh: single-quoted. */
const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

const processIo = (media: RecordMedia, io: unknown): Buffer => (media === 'json' ? encodeRecord(io) : encodeBinaryRecord(encodeProtobuf('agentProcessIO', io)));
const dataRecord = (media: RecordMedia, stream: Stream, b: Buffer): Buffer => processIo(media, { type: 'DATA', data: { type: stream, data: b.toString('base64') } });
const heartbeatRecord = (media: RecordMedia): Buffer => processIo(media, { type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: OUTPUT_HEARTBEAT_MS * 1e6 } } } });

/** Stream a session's output to `res` until it ends (or `res` closes); `onClose` when the client went away first. */
function streamOutput(s: Session, res: ServerResponse, media: RecordMedia, onClose?: () => void): void {
  res.writeHead(200, { 'Content-Type': 'application/recordio', 'Message-Content-Type': media === 'json' ? 'application/json' : 'application/x-protobuf', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  const sink: Sink = (stream, b) => {
    if (!res.destroyed) res.write(dataRecord(media, stream, b));
  };
  s.sinks.add(sink);
  const beat = setInterval(() => {
    if (!res.destroyed) res.write(heartbeatRecord(media));
  }, OUTPUT_HEARTBEAT_MS);
  beat.unref();
  res.once('close', () => {
    clearInterval(beat);
    s.sinks.delete(sink);
    if (s.status === undefined) onClose?.();
  });
  if (res.destroyed && s.status === undefined) onClose?.();
  void s.ended.then(() => {
    clearInterval(beat);
    s.sinks.delete(sink);
    res.end();
  });
}

export function createNestedSessions(): NestedSessions {
  const sessions = new Map<string, Session>();
  const ended: string[] = [];

  const forget = (k: string): void => {
    ended.push(k);
    while (ended.length > ENDED_KEPT) sessions.delete(ended.shift()!);
  };

  /** The terminal's session leader (the command under `script`), once it exists. */
  const ttyLeader = (s: Session): number | undefined => (s.child.pid === undefined ? undefined : firstChild(s.child.pid));

  const kill = (s: Session): void => {
    if (s.tty) {
      const sid = ttyLeader(s);
      if (sid !== undefined) killSession(sid);
    }
    killGroup(s.child);
  };

  /** Set the terminal's window size (stty on the command's own stdin, seen through /proc). */
  function resize(s: Session, rows: number, columns: number): Promise<string | undefined> {
    const stty = firstExisting(['/usr/bin/stty', '/bin/stty']);
    if (stty === undefined) return Promise.resolve('stty(1) is not installed on this agent');
    const run = s.resizing.then(
      () =>
        new Promise<string | undefined>((resolve) => {
          const leader = ttyLeader(s);
          if (leader === undefined) return resolve(undefined); // not started yet, or ended: nothing to resize
          const p = spawn(stty, ['-F', `/proc/${leader}/fd/0`, 'rows', String(rows), 'cols', String(columns)], { stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          p.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
          p.once('error', (e) => resolve(`Unable to set the window size: ${e.message}`));
          p.once('close', (code) => resolve(code === 0 || s.status !== undefined ? undefined : `Unable to set the window size: ${err.trim() || `stty exited with ${code}`}`));
        }),
    );
    s.resizing = run.then(() => undefined);
    return run;
  }

  return {
    async launch(parentId, id, command, running, tty, media = 'json') {
      const k = key(parentId, id);
      if (sessions.has(k)) return text(`Nested container ${k} already exists\n`, 400);
      const task = running.find((t) => t.containerId === parentId);
      if (task === undefined || task.container === null) return text(`Container ${parentId} is not a running container of this agent\n`, 404);
      const shell = command.shell ?? true;
      const value = command.value ?? (shell ? undefined : command.arguments?.[0]);
      if (value === undefined || value === '') return text('launch_nested_container_session.command needs a value (the shell command, or the program)\n', 400);
      const exec = task.container.exec;
      const argv = exec.argv({ value, shell, ...(command.arguments !== undefined ? { arguments: command.arguments } : {}) });
      const env: Record<string, string> = { ...exec.env, ...command.environment };
      let program = argv[0]!;
      let args = argv.slice(1);
      if (tty !== undefined) {
        const script = firstExisting(['/usr/bin/script', '/bin/script']);
        if (script === undefined) return text('A tty (container.tty_info) needs script(1) from util-linux on the agent, which is not installed; launch without tty_info\n', 501);
        // script runs `$SHELL -c CMD`: /bin/sh, which puts the command's own SHELL back before exec.
        const shellVar = env.SHELL !== undefined ? `SHELL=${shq(env.SHELL)}; export SHELL; ` : 'unset SHELL; ';
        const size = tty.rows !== undefined && tty.columns !== undefined ? `stty rows ${tty.rows} cols ${tty.columns} 2>/dev/null; ` : '';
        args = ['-q', '-f', '-e', '-E', 'always', '-c', `${shellVar}${size}exec ${argv.map(shq).join(' ')}`, '/dev/null'];
        program = script;
        env.SHELL = '/bin/sh';
      }
      const child = spawn(program, args, { cwd: exec.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const started = await new Promise<Error | undefined>((resolve) => {
        child.once('spawn', () => resolve(undefined));
        child.once('error', (err) => resolve(err));
      });
      if (started !== undefined) return text(`Failed to launch the nested container ${k}: ${started.message}\n`, 500);
      // A write after the command closed its stdin (EPIPE) is the input's problem, not the agent's.
      child.stdin!.on('error', () => undefined);
      let settle!: (status: number) => void;
      const session: Session = {
        key: k,
        child,
        tty: tty !== undefined,
        status: undefined,
        ended: new Promise<number>((r) => (settle = r)),
        sinks: new Set(),
        inputAttached: false,
        resizing: Promise.resolve(),
      };
      sessions.set(k, session);
      const out = (stream: Stream) => (b: Buffer) => {
        for (const sink of session.sinks) sink(stream, b);
      };
      child.stdout!.on('data', out('STDOUT'));
      child.stderr!.on('data', out('STDERR'));
      // 'close': exited and both pipes drained, so every byte was handed to the streams first.
      child.once('close', (code, sig) => {
        killGroup(child); // whatever it left behind in its group
        const status = code !== null ? (code & 0xff) << 8 : signalNumber(sig);
        session.status = status;
        child.stdin!.destroy();
        forget(k);
        settle(status);
      });
      return {
        status: 200,
        // The client went away while it runs: the whole process group (and terminal session) goes.
        takeover: (res: ServerResponse) => streamOutput(session, res, media, () => kill(session)),
      };
    },

    attachInput(parentId, id, req, decoder, pending, toJson = (r) => r) {
      const k = key(parentId, id);
      const s = sessions.get(k);
      const refuse = (r: Reply): Promise<Reply> => {
        req.resume();
        return Promise.resolve({ ...r, headers: { ...r.headers, Connection: 'close' } });
      };
      if (s === undefined) return refuse(text(`Nested container ${k} is not known to this agent (launch it with LAUNCH_NESTED_CONTAINER_SESSION first)\n`, 404));
      if (s.status !== undefined) return refuse(text(`Nested container ${k} has ended; its input cannot be attached\n`, 404));
      if (s.inputAttached) return refuse(text('Multiple input connections are not allowed: another ATTACH_CONTAINER_INPUT is attached to this container\n', 409));
      s.inputAttached = true;
      const stdin = s.child.stdin!;
      return new Promise<Reply>((resolve) => {
        let done = false;
        /** Records are taken in order: a resize finishes before the input after it is written. */
        let chain = Promise.resolve(true);
        /** Answer; `close`: the rest of the body is not read, and the connection closes after the answer. */
        const finish = (r: Reply, close = r.status !== 200): void => {
          if (done) return;
          done = true;
          s.inputAttached = false;
          req.off('data', onData);
          req.off('end', onEnd);
          req.off('close', onEnd);
          if (close) {
            req.resume();
            resolve({ ...r, headers: { ...r.headers, Connection: 'close' } });
          } else resolve(r);
        };
        /** One record: false when it ended the attachment. */
        const take = async (record: unknown): Promise<boolean> => {
          if (done) return false;
          let raw: unknown;
          try {
            raw = toJson(record);
          } catch (e) {
            finish(text(`Invalid ATTACH_CONTAINER_INPUT record: ${(e as Error).message}\n`, 400));
            return false;
          }
          const r = InputRecord.safeParse(raw);
          if (!r.success) {
            finish(text(`Invalid ATTACH_CONTAINER_INPUT record: ${problem(r.error)}\n`, 400));
            return false;
          }
          const io = r.data.attach_container_input.process_io;
          if (io.type === 'CONTROL') {
            if (io.control.type === 'TTY_INFO') {
              if (!s.tty) {
                finish(text(`Nested container ${k} has no tty: a TTY_INFO record cannot apply (launch it with container.tty_info)\n`, 400));
                return false;
              }
              const { rows, columns } = io.control.tty_info.window_size;
              const err = await resize(s, rows, columns);
              if (err !== undefined) {
                finish(text(`${err}\n`, 400));
                return false;
              }
            }
            return true; // HEARTBEAT: nothing to do
          }
          const bytes = Buffer.from(io.data.data, 'base64');
          if (bytes.length === 0) {
            // End of input. A terminal stays open: its client sends EOT (^D), as a terminal would.
            if (!s.tty) stdin.end();
            return true;
          }
          if (stdin.writableEnded || stdin.destroyed) {
            finish(text(`The input of nested container ${k} was closed already (an empty DATA record ended it)\n`, 400));
            return false;
          }
          if (!stdin.write(bytes)) await new Promise<void>((ok) => {
            const go = (): void => {
              stdin.off('drain', go);
              stdin.off('close', go);
              ok();
            };
            stdin.on('drain', go);
            stdin.on('close', go);
          });
          return true;
        };
        const takeAll = (records: readonly unknown[]): void => {
          for (const rec of records) chain = chain.then((ok) => (ok ? take(rec) : false));
        };
        const onData = (chunk: Buffer): void => {
          let records: unknown[];
          try {
            records = decoder.push(chunk);
          } catch (e) {
            finish(text(`Failed to read the ATTACH_CONTAINER_INPUT stream: ${e instanceof RecordIoError || e instanceof Error ? e.message : String(e)}\n`, 400));
            return;
          }
          if (records.length === 0) return;
          // Read on once these are taken (the command's stdin drained): no more is buffered than a chunk.
          req.pause();
          takeAll(records);
          void chain.then((ok) => {
            if (ok && !done) req.resume();
          });
        };
        const onEnd = (): void => {
          void chain.then((ok) => {
            if (!ok || done) return;
            try {
              decoder.end();
            } catch (e) {
              finish(text(`Failed to read the ATTACH_CONTAINER_INPUT stream: ${(e as Error).message}\n`, 400));
              return;
            }
            finish({ status: 200, text: '' });
          });
        };
        takeAll(pending);
        req.on('data', onData);
        req.on('end', onEnd);
        req.on('close', onEnd);
        // The session ended: the input is done with (Mesos answers 200 then, even before the client's EOF).
        void s.ended.then(() => finish({ status: 200, text: '' }, true));
      });
    },

    attachOutput(parentId, id, media = 'json') {
      const k = key(parentId, id);
      const s = sessions.get(k);
      if (s === undefined) return text(`Nested container ${k} is not known to this agent\n`, 404);
      if (s.status !== undefined) return text(`Nested container ${k} has ended; there is no more output to attach to\n`, 404);
      return { status: 200, takeover: (res: ServerResponse) => streamOutput(s, res, media) };
    },

    async wait(parentId, id, as) {
      const k = key(parentId, id);
      const s = sessions.get(k);
      if (s === undefined) return text(`Nested container ${k} is not known to this agent\n`, 404);
      const status = await s.ended;
      return as === 'WAIT_CONTAINER'
        ? json({ type: 'WAIT_CONTAINER', wait_container: { exit_status: status } })
        : json({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { exit_status: status } });
    },

    killAll() {
      for (const s of sessions.values()) if (s.status === undefined) kill(s);
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
