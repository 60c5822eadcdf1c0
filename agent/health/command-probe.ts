/**
 * A command check round: the check's command run inside the task's container (its cgroups, its
 * user, its environment plus the check's own variables, its sandbox as the working directory), in
 * a process group of its own so that an abort (timeout, stop) kills all of it. The result is the
 * exit code; a command killed by a signal, or one that could not be started, is an error.
 */
import { spawn } from 'node:child_process';
import type { CheckCommand } from '../../events/index.js';
import type { ContainerExec } from '../containerizer/index.js';
import type { Probe, ProbeResult } from './probe.js';

/** How much of the command's output is kept for the error message. */
const OUTPUT_KEPT = 512;

export function commandProbe(command: CheckCommand, exec: ContainerExec): Probe {
  return (signal) =>
    new Promise<ProbeResult>((resolve) => {
      const argv = exec.argv({ value: command.value, shell: command.shell, ...(command.arguments ? { arguments: command.arguments } : {}) });
      const [file, ...args] = argv;
      if (file === undefined) return resolve({ type: 'ERROR', message: 'the check command is empty' });
      let output = '';
      const child = spawn(file, args, {
        cwd: exec.cwd,
        env: { ...exec.env, ...command.environment },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      const keep = (b: Buffer): void => {
        if (output.length < OUTPUT_KEPT) output += b.toString('utf8').slice(0, OUTPUT_KEPT - output.length);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const killGroup = (): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const onAbort = (): void => killGroup();
      signal.addEventListener('abort', onAbort, { once: true });
      child.once('error', (err) => {
        signal.removeEventListener('abort', onAbort);
        resolve({ type: 'ERROR', message: `the check command could not be started: ${err.message}` });
      });
      child.once('exit', (code, sig) => {
        signal.removeEventListener('abort', onAbort);
        killGroup(); // whatever it left behind in its group
        const out = output.trim();
        if (code !== null) resolve({ type: 'COMMAND', exitCode: code, ...(out !== '' ? { output: out } : {}) });
        else resolve({ type: 'ERROR', message: `Command terminated with signal ${sig ?? 'unknown'}${out !== '' ? ` (output: ${out})` : ''}` });
      });
      if (signal.aborted) killGroup();
    });
}
