/**
 * The golden logs (test/fixtures/golden, recorded from real runs by scripts/record-golden.ts) fold
 * to the state recorded with them, every time, from the start or through a snapshot; their events
 * of older schema versions still decode; the replay says what /master/state said during the run;
 * and every invariant holds. A change that makes the fold non-deterministic, or that stops it from
 * reading an old log, fails here.
 */
import { readFile } from 'node:fs/promises';
import { deserialize, serialize } from 'node:v8';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EVENT_VERSIONS } from '../../events/index.js';
import { encodeSnapshot, decodeSnapshot } from '../../kernel/shell/snapshot.js';
import { canonical, fileSource, foldTo, jsonlLine, readExportFile, verifySource } from '../../replay/index.js';
import {
  GOLDEN_DIR,
  clusterPart,
  firstDivergence,
  foldGolden,
  goldenNames,
  jsonDifferences,
  readGoldenSamples,
  readGoldenState,
  replayedMasterState,
} from '../../replay/golden.js';

const dir = GOLDEN_DIR;
const names = await goldenNames(dir);

const RERECORD = [
  'If the projection changed on purpose (the State shape or what the fold does), refold the golden logs with this build',
  '(the logs themselves must stay: they are the history that has to remain readable):',
  '    npx tsc -p tsconfig.json && node dist/scripts/record-golden.js --refold',
  'review the differences it prints, bump PROJECTION_VERSION in kernel/shell/snapshot.ts if the State shape changed, and commit',
  'the new *.state.json. If the change was not meant to alter the fold, the fold has become non-deterministic or no longer',
  'reads old logs the way it did: fix that instead (docs/operations.md, "Golden logs").',
].join('\n');

test('there are golden logs to replay', () => {
  assert.ok(names.length >= 1, `no golden logs in ${dir}`);
});

for (const name of names) {
  test(`${name}: folds to the state recorded with it`, async () => {
    const recorded = await readGoldenState(dir, name);
    const { golden } = await foldGolden(dir, name);
    const at = firstDivergence(recorded.trace, golden.trace);
    const d = jsonDifferences({ ...recorded, trace: [] }, { ...golden, trace: [] }, 15);
    if (at !== null || d.length > 0) {
      const entries = await readExportFile(join(dir, `${name}.jsonl`));
      const e = entries.find((x) => String(x.seq) === at);
      const where = at !== null ? `the fold first differs after seq ${at}${e?.decoded.ok ? ` (${e.decoded.event.type})` : ''}` : 'the fold differs only at the end';
      assert.unreachable(`golden log ${name} no longer folds as recorded: ${where}; final state differences (recorded ≠ now):\n  ${d.join('\n  ') || '(none)'}\n\n${RERECORD}`);
    }
  });

  test(`${name}: the fold is deterministic, and a snapshot halfway then the rest gives the same state`, async () => {
    const source = await fileSource(join(dir, `${name}.jsonl`));
    const head = await source.head();
    const once = canonical((await foldTo(source, { to: head.last })).state);
    const twice = canonical((await foldTo(source, { to: head.last })).state);
    assert.equal(twice, once, 'two folds of the same log differ');
    const mid = Math.floor(head.last / 2);
    const half = await foldTo(source, { to: mid });
    const snap = decodeSnapshot(deserialize(serialize(encodeSnapshot(half.state, mid, 0))) as Uint8Array);
    const rest = await foldTo(source, { to: head.last, from: { state: snap.state, seq: snap.seq } });
    assert.equal(canonical(rest.state), once, 'snapshot at the middle + the rest ≠ the whole fold');
  });

  test(`${name}: holds events of an older schema version, and they decode (upcast) like the rest`, async () => {
    const lines = (await readFile(join(dir, `${name}.jsonl`), 'utf8')).split('\n').filter((l) => l !== '');
    const entries = await readExportFile(join(dir, `${name}.jsonl`));
    let old = 0;
    lines.forEach((l, i) => {
      const data = (JSON.parse(l) as { data?: { type?: string; schemaVersion?: number } }).data;
      const current = data?.type !== undefined ? (EVENT_VERSIONS as Record<string, number>)[data.type] : undefined;
      if (current !== undefined && (data!.schemaVersion ?? current) < current) {
        old++;
        const d = entries[i]!.decoded;
        assert.ok(d.ok, `the version-${data!.schemaVersion} ${data!.type} at seq ${entries[i]!.seq} does not decode: ${d.ok ? '' : d.error.message}`);
        if (d.ok) assert.is(d.event.schemaVersion, current, 'upcast to the current version');
      }
    });
    assert.ok(old >= 1, `${name} must keep at least one event of an older schema version (re-recording must not lose it)`);
  });

  test(`${name}: the replay at each sampled moment says what /master/state said then`, async () => {
    const samples = await readGoldenSamples(dir, name);
    assert.ok(samples.length >= 1, 'no samples of /master/state');
    for (const s of samples) {
      const replayed = await replayedMasterState(dir, name, s.seq);
      const d = jsonDifferences(clusterPart(s.state), clusterPart(replayed));
      if (d.length > 0) assert.unreachable(`${name} at seq ${s.seq} (${s.label}): replay ≠ /master/state:\n  ${d.join('\n  ')}\n\n${RERECORD}`);
    }
  });

  test(`${name}: every invariant holds over its history`, async () => {
    const r = await verifySource(await fileSource(join(dir, `${name}.jsonl`)), { maxViolations: 10 });
    assert.equal(r.violations.map((v) => `${v.invariant} at seq ${v.seq}: ${v.message}`), []);
    assert.ok(r.events > 0);
  });

  test(`${name}: exporting what was read back gives the same lines (round trip)`, async () => {
    const lines = (await readFile(join(dir, `${name}.jsonl`), 'utf8')).split('\n').filter((l) => l !== '');
    const entries = await readExportFile(join(dir, `${name}.jsonl`));
    assert.equal(entries.map((e) => jsonlLine(e, { raw: true })), lines);
  });
}

test.run();
