/**
 * A forged log (test/fixtures/forged, made from the golden log `cluster` by scripts/forge-golden.ts:
 * a launch no accept stands behind, a status update from another agent than the task's, a decision
 * of an epoch never elected, a missing sequence) is caught by `replay verify`, each forgery where it
 * was slipped in and nothing else; the golden log it was made from verifies clean.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileSource, verifySource } from '../../replay/index.js';
import { GOLDEN_DIR } from '../../replay/golden.js';

const dir = join('test', 'fixtures', 'forged');
const REMAKE = 'remake it with: npx tsc -p tsconfig.json && node dist/scripts/forge-golden.js';

test('verify finds every forgery of the forged log, where it was slipped in, and nothing else', async () => {
  const expected = JSON.parse(await readFile(join(dir, 'forged.expected.json'), 'utf8')) as { kind: string; seq: number; what: string }[];
  assert.ok(expected.length >= 4, `the fixture lists what was forged (${REMAKE})`);
  const r = await verifySource(await fileSource(join(dir, 'forged.jsonl')), { maxViolations: 20 });
  const found = r.violations.map((v) => `${v.invariant}@${v.seq}`).sort();
  assert.equal(found, expected.map((f) => `${f.kind}@${f.seq}`).sort(), `violations: ${r.violations.map((v) => `${v.invariant} at ${v.seq}: ${v.message}`).join('\n  ')}`);
  const launch = r.violations.find((v) => v.invariant === 'UNBACKED_LAUNCH')!;
  assert.match(launch.message, /launch-forged of forged-1 .* has no accepted offer behind it/);
});

test('the golden log the forgeries were slipped into verifies clean', async () => {
  const r = await verifySource(await fileSource(join(GOLDEN_DIR, 'cluster.jsonl')), { maxViolations: 20 });
  assert.equal(r.violations, []);
});

test.run();
