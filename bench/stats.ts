/**
 * Small statistics for benchmark samples: median and spread over several runs, percentiles of
 * latency samples. Nothing here knows what is measured.
 */

/** A measured quantity over several runs. */
export interface Metric {
  readonly unit: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** (max − min) / median, as a fraction (0.05 = 5 %). */
  readonly spread: number;
  readonly runs: number;
  /** Every run's value, in the order measured. */
  readonly samples: readonly number[];
  /** Higher is better (a rate) or lower is better (a time). */
  readonly better: 'higher' | 'lower';
  readonly note?: string;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

export function metric(unit: string, samples: readonly number[], opts: { better?: 'higher' | 'lower'; note?: string } = {}): Metric {
  if (samples.length === 0) throw new Error(`metric in ${unit}: no samples`);
  const med = median(samples);
  const min = Math.min(...samples);
  const max = Math.max(...samples);
  return {
    unit,
    median: med,
    min,
    max,
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    spread: med === 0 ? 0 : (max - min) / Math.abs(med),
    runs: samples.length,
    samples: [...samples],
    better: opts.better ?? 'higher',
    ...(opts.note !== undefined ? { note: opts.note } : {}),
  };
}

/** Latency samples (ms) summarised per run: p50, p90, p99 and max. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export function latencySummary(xs: readonly number[]): LatencySummary {
  return {
    count: xs.length,
    p50: percentile(xs, 50),
    p90: percentile(xs, 90),
    p99: percentile(xs, 99),
    max: xs.length === 0 ? Number.NaN : xs.reduce((a, b) => (b > a ? b : a), -Infinity),
  };
}
