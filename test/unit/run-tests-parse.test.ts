import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { judge, parseUvuSummary, stripAnsi } from '../../scripts/run-tests.js';

test('parses a plain uvu summary', () => {
  const out = 'suite  • • •   (3 / 3)\n\n  Total:     3\n  Passed:    3\n  Skipped:   0\n  Duration:  1.23ms\n\n';
  assert.equal(parseUvuSummary(out), { total: 3, passed: 3, skipped: 0 });
});

test('parses a summary with ANSI colour codes', () => {
  const out =
    '\u001b[2m  Total:     \u001b[22m\u001b[1m5\u001b[22m\n' +
    '\u001b[32m\u001b[2m  Passed:    \u001b[22m\u001b[1m3\u001b[22m\u001b[39m\n' +
    '\u001b[2m  Skipped:   \u001b[22m\u001b[1m1\u001b[22m\n' +
    '\u001b[2m  Duration:  \u001b[22m\u001b[1m4.00ms\u001b[22m\n';
  assert.equal(parseUvuSummary(out), { total: 5, passed: 3, skipped: 1 });
  assert.not.match(stripAnsi(out), '\u001b');
});

test('no summary -> undefined', () => {
  assert.is(parseUvuSummary(''), undefined);
  assert.is(parseUvuSummary('Error: boom\n    at x (file.js:1:1)\n'), undefined);
  assert.is(parseUvuSummary('  Total:     3\n'), undefined);
});

test('missing Skipped line counts as 0; CRLF is fine', () => {
  assert.equal(parseUvuSummary('  Total:     2\r\n  Passed:    1\r\n'), { total: 2, passed: 1, skipped: 0 });
});

test('several summaries in one file are added up', () => {
  const one = '  Total:     2\n  Passed:    2\n  Skipped:   0\n';
  const two = '  Total:     4\n  Passed:    1\n  Skipped:   1\n';
  assert.equal(parseUvuSummary(one + two), { total: 6, passed: 3, skipped: 1 });
});

test('judge: failures, crashes and timeouts', () => {
  const sum = (t: number, p: number, s: number): string => `  Total:     ${t}\n  Passed:    ${p}\n  Skipped:   ${s}\n`;
  assert.equal(judge(sum(3, 3, 0), 0, false), { passed: 3, failed: 0, skipped: 0, ok: true });
  assert.equal(judge(sum(4, 2, 1), 1, false), { passed: 2, failed: 1, skipped: 1, ok: false });
  assert.equal(judge('crash', 1, false), { passed: 0, failed: 1, skipped: 0, ok: false });
  assert.equal(judge('', null, true), { passed: 0, failed: 1, skipped: 0, ok: false });
  // all tests passed but the process exited non-zero (e.g. an unhandled rejection after the run)
  assert.equal(judge(sum(2, 2, 0), 1, false), { passed: 2, failed: 1, skipped: 0, ok: false });
  // exited 0 but printed no summary
  assert.equal(judge('nothing', 0, false), { passed: 0, failed: 1, skipped: 0, ok: false });
});

test.run();
