/** One pino root logger per process, to stderr. Secrets in a task's environment never reach it (events/secrets.ts). */
import { pino, type Logger } from 'pino';
import { withSecretsMasked } from '../events/index.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** What every root logger is made with: secret environments masked in every line. */
export const LOG_OPTIONS = { formatters: { log: (o: Record<string, unknown>) => withSecretsMasked(o) } } as const;

export function createLogger(level: string, name: string): Logger {
  return pino({ name, level, base: { pid: process.pid }, ...LOG_OPTIONS }, pino.destination({ fd: 2, sync: false }));
}
