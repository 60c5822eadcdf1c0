/** Pieces shared by the subcommands: common flags, and graceful shutdown on signals. */
import type { FlagSpec } from '../flags.js';
import { LOG_LEVELS } from '../log.js';

export const NATS_FLAG: FlagSpec = {
  name: 'nats',
  type: 'string',
  required: true,
  placeholder: 'url',
  help: 'NATS server URL(s), comma separated, e.g. nats://127.0.0.1:4222',
};
export const LOG_LEVEL_FLAG: FlagSpec = { name: 'log-level', type: 'string', default: 'info', choices: LOG_LEVELS, help: 'Log level (logs go to stderr)' };

/**
 * Run `stop` once on SIGINT, SIGTERM, or when the parent that spawned us with an IPC channel goes
 * away (so `mesos dev` never leaves a child behind, even when it is killed itself).
 */
export function onShutdown(stop: (why: string) => Promise<void>): void {
  let stopping = false;
  const run = (why: string): void => {
    if (stopping) return;
    stopping = true;
    stop(why)
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
        process.exit(1);
      });
  };
  process.once('SIGINT', () => run('SIGINT'));
  process.once('SIGTERM', () => run('SIGTERM'));
  if (process.channel) process.once('disconnect', () => run('parent exited'));
}
