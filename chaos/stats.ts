/** Percentiles of measured times (nearest rank, as most load tools report them). Pure. */

export interface Summary {
  readonly n: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** The nearest-rank percentile `p` (0 < p <= 100) of `xs`; null for no samples. */
export function percentile(xs: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`a percentile is in (0, 100] (got ${p})`);
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(xs: readonly number[]): Summary {
  return { n: xs.length, p50: percentile(xs, 50), p99: percentile(xs, 99), max: xs.length === 0 ? null : Math.max(...xs) };
}
