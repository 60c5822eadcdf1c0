/** Loggers for components run inside a benchmark: silent, or keeping what they say for the report. */
import { pino, type Logger } from 'pino';

export const silentLogger = (): Logger => pino({ level: 'silent' });

export interface CapturedLog {
  readonly log: Logger;
  /** Lines per message text (`msg`), e.g. { 'outbox send failed; will retry': 3 }. */
  readonly counts: Map<string, number>;
  /** The first lines, verbatim (JSON), for the report. */
  readonly first: string[];
  total(): number;
}

/** A logger at `level` whose lines are counted and partly kept, never printed. */
export function capturingLogger(level: 'warn' | 'info' | 'debug' = 'warn', keep = 20): CapturedLog {
  const counts = new Map<string, number>();
  const first: string[] = [];
  let total = 0;
  const sink = {
    write(line: string): void {
      total++;
      let msg = '?';
      try {
        msg = String((JSON.parse(line) as { msg?: unknown }).msg ?? '?');
      } catch {
        msg = line.slice(0, 80);
      }
      counts.set(msg, (counts.get(msg) ?? 0) + 1);
      if (first.length < keep) first.push(line.trim().slice(0, 600));
    },
  };
  return { log: pino({ level, base: null }, sink), counts, first, total: () => total };
}
