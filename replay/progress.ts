/**
 * Progress of a long replay: on a terminal, a bar with the rate and the time left, redrawn at most
 * ten times a second on one line of stderr and erased at the end; elsewhere (a pipe, a file, CI)
 * nothing. The final rate is for the caller to print either way (`rateLine`).
 */

export interface ProgressOutput {
  write(s: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export interface Progress {
  /** Called with every sequence read (cheap: the clock is read once per 1,024 calls). */
  tick(seq: number): void;
  /** Erase the bar; returns the events counted and the time taken. */
  done(): { events: number; ms: number };
}

const REDRAW_MS = 100;

export function startProgress(out: ProgressOutput | null, o: { label: string; from: number; to: number }): Progress {
  const started = performance.now();
  let events = 0;
  let drawn = false;
  let lastDraw = started;
  const span = Math.max(1, o.to - o.from + 1);
  const tty = out !== null && out.isTTY === true;
  const draw = (seq: number, now: number): void => {
    const done = Math.min(1, Math.max(0, (seq - o.from + 1) / span));
    const rate = events / Math.max((now - started) / 1000, 1e-3);
    const left = rate > 0 ? (o.to - seq) / rate : 0;
    const tail = ` ${(done * 100).toFixed(1).padStart(5)}%  ${fmt(seq)}/${fmt(o.to)}  ${fmt(Math.round(rate))} events/s  ${left >= 1 ? `${Math.ceil(left)} s left` : ''}`;
    const width = Math.max(10, Math.min(40, (out!.columns ?? 80) - tail.length - o.label.length - 4));
    const full = Math.round(done * width);
    out!.write(`\r${o.label} [${'#'.repeat(full)}${'.'.repeat(width - full)}]${tail}\u001b[K`);
    drawn = true;
  };
  return {
    tick(seq) {
      events++;
      if (!tty || (events & 1023) !== 0) return;
      const now = performance.now();
      if (now - lastDraw < REDRAW_MS) return;
      lastDraw = now;
      draw(seq, now);
    },
    done() {
      if (drawn) out!.write('\r\u001b[K');
      return { events, ms: performance.now() - started };
    },
  };
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** `folded 1,000,000 events (seq 1 → 1,000,000) in 7.9 s: 126,582 events/s`, for stderr. */
export function rateLine(verb: string, r: { events: number; ms: number }, extra = ''): string {
  const rate = Math.round((r.events / Math.max(r.ms, 1)) * 1000);
  const took = r.ms >= 10_000 ? `${(r.ms / 1000).toFixed(1)} s` : `${Math.round(r.ms)} ms`;
  return `${verb} ${fmt(r.events)} events${extra} in ${took}: ${fmt(rate)} events/s\n`;
}
