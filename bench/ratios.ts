import type { BenchResult } from './types.js';

/**
 * The proportions the performance goals are stated in, each measured within one run (the median of
 * the runs' own ratios): the pipeline's log events/s ÷ the raw pipelined publish rate of the same
 * server, and cold replay events/s ÷ the raw read of the same stream. A benchmark not run is absent.
 */
export function ratiosOf(results: readonly BenchResult[]): Record<string, number> {
  const pick = (bench: string, key: string): number | undefined => results.find((r) => r.name === bench)?.metrics[key]?.median;
  const out: Record<string, number> = {};
  const p = pick('pipeline', 'ratio: pipeline events/s ÷ raw msgs/s');
  if (p !== undefined) out.pipeline_vs_raw_publish = p;
  const r = pick('replay', 'replay / raw');
  if (r !== undefined) out.replay_vs_raw_read = r;
  return out;
}
