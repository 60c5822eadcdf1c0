/**
 * GET_LOGGING_LEVEL and SET_LOGGING_LEVEL: Mesos's levels are glog verbosity (0 is the normal
 * output, higher is more); here they change the level of the master's pino logger, which every
 * component logger of the master inherits (pino children read their level through the parent
 * unless given their own). 0 is the level the master started with, 1 is `debug`, 2 and more are
 * `trace`. As in Mesos, a level holds for the given duration, then the original level returns.
 */
import type { Logger } from 'pino';

export interface LoggingLevel {
  /** The verbosity now in force (0 once a set level expired). */
  get(): number;
  set(verbosity: number, durationMs: number): void;
  close(): void;
}

const PINO_ORDER = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export function pinoLevelFor(base: string, verbosity: number): string {
  if (verbosity <= 0) return base;
  const wanted = verbosity === 1 ? 'debug' : 'trace';
  const b = PINO_ORDER.indexOf(base as (typeof PINO_ORDER)[number]);
  // A base that is already as verbose (or 'silent', which stays silent only at 0) gives way to the wanted one.
  return b >= PINO_ORDER.indexOf(wanted) ? base : wanted;
}

export function createLoggingLevel(log: Logger): LoggingLevel {
  const base = log.level;
  let verbosity = 0;
  let timer: NodeJS.Timeout | null = null;
  const apply = (v: number): void => {
    verbosity = v;
    log.level = pinoLevelFor(base, v);
  };
  return {
    get: () => verbosity,
    set(v, durationMs) {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      apply(v);
      log.info({ verbosity: v, level: log.level, durationMs }, 'logging level set');
      if (v !== 0) {
        timer = setTimeout(() => {
          timer = null;
          apply(0);
          log.info({ level: log.level }, 'logging level reverted');
        }, durationMs);
        timer.unref();
      }
    },
    close() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
