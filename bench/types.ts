/** What every benchmark returns, and what it is given. */
import type { Metric } from './stats.js';

export interface BenchResult {
  readonly name: string;
  /** The inputs that decide the numbers (sizes, windows, runs, seeds). */
  readonly params: Record<string, unknown>;
  /** Keyed by a short label, in the order they should be printed. */
  readonly metrics: Record<string, Metric>;
  /** Observations worth reading beside the numbers (printed under the table). */
  readonly notes: readonly string[];
  /** Diagnostics for the JSON file (latencies, counters, samples of queues). */
  readonly details?: Record<string, unknown>;
  /** Wall time of the whole benchmark, set-up and checks included. */
  readonly wallMs: number;
}

export interface BenchContext {
  /** A progress line on stderr (stdout carries only the table). */
  progress(msg: string): void;
}

/** A check of a benchmark's own result failed: its numbers are not to be trusted. */
export class SanityError extends Error {
  override readonly name = 'SanityError';
}
