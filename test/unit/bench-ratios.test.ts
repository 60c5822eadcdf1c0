import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ratiosOf } from '../../bench/ratios.js';
import { metric } from '../../bench/stats.js';
import type { BenchResult } from '../../bench/types.js';

const result = (name: string, metrics: BenchResult['metrics']): BenchResult => ({ name, params: {}, metrics, notes: [], wallMs: 1 });

test('--json ratios: the medians of each run’s own ratio, for the benchmarks that ran', () => {
  const pipeline = result('pipeline', { 'ratio: pipeline events/s ÷ raw msgs/s': metric('ratio', [0.1, 0.3, 0.2]) });
  const replay = result('replay', { 'replay / raw': metric('ratio', [0.5, 0.45]) });
  assert.equal(ratiosOf([pipeline, replay]), { pipeline_vs_raw_publish: 0.2, replay_vs_raw_read: replay.metrics['replay / raw']!.median });
  assert.equal(ratiosOf([pipeline]), { pipeline_vs_raw_publish: 0.2 });
  assert.equal(ratiosOf([result('fold', {})]), {});
});

test.run();
