// The log guard's verdict on a stream, given its info and what the master started on: every way a
// log can stop holding what a master folded, and the healthy cases that must not trip it.
import type { StreamInfo } from '@nats-io/jetstream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type LogBaseline, baselineOf, judgeStream } from '../../kernel/shell/master/log-guard.js';

const info = (o: { created?: string; first: number; last: number; messages?: number; deleted?: number }): StreamInfo =>
  ({
    created: o.created ?? '2026-01-01T00:00:00Z',
    config: {},
    state: { first_seq: o.first, last_seq: o.last, messages: o.messages ?? Math.max(0, o.last - o.first + 1), ...(o.deleted ? { num_deleted: o.deleted } : {}) },
  }) as unknown as StreamInfo;

const base: LogBaseline = baselineOf(info({ first: 1, last: 100 }));
const code = (i: StreamInfo | null, folded: number, snapshotSeq = 0, b = base) => judgeStream(i, b, folded, snapshotSeq, 0)?.code ?? null;

test('a log that keeps growing from where it started is fine', () => {
  assert.is(code(info({ first: 1, last: 100 }), 100), null);
  assert.is(code(info({ first: 1, last: 250 }), 120), null);
  // A master started on a fresh, empty stream.
  const empty = baselineOf(info({ first: 0, last: 0, messages: 0 }));
  assert.is(empty.firstSeq, 1);
  assert.is(code(info({ first: 1, last: 5 }), 5, 0, empty), null);
  // Started from a snapshot at 90 on a log that still holds everything after it.
  assert.is(code(info({ first: 1, last: 100 }), 100, 90), null);
});

test('gone, re-created, purged, truncated, behind', () => {
  assert.is(code(null, 100), 'STREAM_GONE');
  assert.is(code(info({ created: '2026-02-02T00:00:00Z', first: 1, last: 500 }), 100), 'STREAM_RECREATED');
  assert.is(code(info({ first: 101, last: 100, messages: 0 }), 100), 'HISTORY_REMOVED', 'purged empty');
  assert.is(code(info({ first: 40, last: 100 }), 100), 'HISTORY_REMOVED', 'purged up to 39');
  assert.is(code(info({ first: 1, last: 100, deleted: 3 }), 100), 'HISTORY_REMOVED', 'messages deleted');
  assert.is(code(info({ first: 1, last: 80 }), 100), 'LOG_BEHIND');
  // Started from the beginning (or a snapshot at 30) on a log that starts at 50.
  const late = baselineOf(info({ first: 50, last: 100 }));
  assert.is(code(info({ first: 50, last: 100 }), 100, 0, late), 'HISTORY_REMOVED');
  assert.is(code(info({ first: 50, last: 100 }), 100, 30, late), 'HISTORY_REMOVED');
  assert.is(code(info({ first: 50, last: 100 }), 100, 49, late), null, 'a snapshot covering what the log no longer holds');
});

test('the reason says what happened and what to do', () => {
  const f = judgeStream(info({ first: 1, last: 80 }), base, 100, 0, 7)!;
  assert.match(f.message, /ends at sequence 80, behind the 100/);
  assert.match(f.message, /restart the masters/);
  assert.is(f.at, 7);
});

test.run();
