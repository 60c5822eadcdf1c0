/**
 * Talking to a freshly spawned supervisor: the task's pid it reports on fd 3, waiting until the task
 * leads its own session, and the sandbox's output files it is given.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { readProcStat } from '../isolation/proc.js';

export /** Wait until `pid` leads its own session (or is gone). */
async function waitForOwnSession(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    const s = await readProcStat(pid);
    if (s === undefined || s.session === pid || s.state === 'Z') return;
    if (Date.now() > deadline) throw new Error(`the task (pid ${pid}) did not start its own session within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay)); // kept referenced: the launch is awaited
  }
}

export async function openAppend(file: string): Promise<FileHandle> {
  return open(file, 'a', 0o644);
}

export /** The task's pid, as the supervisor writes it on fd 3 (a line), or an error if it died first. */
function readPidPipe(stream: Readable | null | undefined, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (stream === null || stream === undefined) {
      reject(new Error('no pipe to the supervisor'));
      return;
    }
    let text = '';
    const done = (err: Error | null, pid?: number): void => {
      clearTimeout(timer);
      stream.removeAllListeners('data');
      stream.destroy();
      if (err !== null) reject(err);
      else resolve(pid!);
    };
    const timer = setTimeout(() => done(new Error(`the supervisor did not report the task's pid within ${timeoutMs} ms`)), timeoutMs);
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        const pid = Number(text.slice(0, nl).trim());
        done(Number.isInteger(pid) && pid > 1 ? null : new Error(`the supervisor reported a bad pid ${JSON.stringify(text.slice(0, nl))}`), pid);
      }
    });
    stream.once('end', () => done(new Error('the supervisor exited before starting the task')));
    stream.once('error', (e) => done(e));
  });
}
