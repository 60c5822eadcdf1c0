/**
 * Records the golden logs of test/fixtures/golden (see replay/golden.ts for the files).
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/record-golden.js [--name NAME] [--dir DIR]
 *       Run a small real cluster (test/helpers/live-run.ts: nats-server, two master processes with
 *       a kill -9 failover, two agents, a framework, a framework writing version-1 events,
 *       malformed messages), sample /master/state during the run, then export the log as stored
 *       and the state its fold gives. Before writing anything it checks that the replay agrees
 *       with every sample and that every invariant holds; otherwise it writes nothing and says why.
 *
 *   node dist/scripts/record-golden.js --refold [--dir DIR]
 *       Keep the logs (they are the history that must stay readable) and rewrite only
 *       NAME.state.json from this build's fold: for a change of the projection made on purpose.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { EVENT_VERSIONS } from '../events/index.js';
import { fileSource, jsonlLine, natsSource, verifySource } from '../replay/index.js';
import { GOLDEN_DIR, clusterPart, foldGolden, goldenNames, jsonDifferences, readGoldenState, replayedMasterState, writeGoldenState } from '../replay/golden.js';
import { runLiveCluster } from '../test/helpers/live-run.js';

const say = (s: string): void => void process.stderr.write(`record-golden: ${s}\n`);

async function refold(dir: string): Promise<number> {
  for (const name of await goldenNames(dir)) {
    const before = await readGoldenState(dir, name).catch(() => null);
    const { golden } = await foldGolden(dir, name);
    await writeGoldenState(dir, name, golden);
    const diff = before === null ? ['(new)'] : jsonDifferences(before, golden, 20);
    say(`${name}: ${diff.length === 0 ? 'unchanged' : `rewritten; differences:\n  ${diff.join('\n  ')}`}`);
  }
  return 0;
}

async function record(dir: string, name: string): Promise<number> {
  const log = pino({ level: process.env.MESOS_TEST_LOG ?? 'silent' });
  const run = await runLiveCluster({ log, say });
  try {
    await run.stopCluster();
    say('cluster stopped; exporting the log as stored');
    const source = await natsSource(run.natsUrl, log, run.auditorCreds);
    const lines: string[] = [];
    try {
      const head = await source.head();
      for await (const e of source.read({ from: 1, to: head.last })) lines.push(jsonlLine(e, { raw: true }));
    } finally {
      await source.close();
    }
    // Written to a scratch name first: the checks below read it back as the tests will.
    const scratch = `${name}.recording`;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${scratch}.jsonl`), `${lines.join('\n')}\n`);
    const problems: string[] = [];
    const old = lines.filter((l) => {
      const d = (JSON.parse(l) as { data?: { type?: string; schemaVersion?: number } }).data;
      return d?.type !== undefined && d.type in EVENT_VERSIONS && (d.schemaVersion ?? 0) < EVENT_VERSIONS[d.type as keyof typeof EVENT_VERSIONS];
    });
    if (old.length === 0) problems.push('the log holds no event of an older schema version');
    for (const s of run.samples) {
      const replayed = await replayedMasterState(dir, scratch, s.seq);
      const d = jsonDifferences(clusterPart(s.state), clusterPart(replayed));
      if (d.length > 0) problems.push(`the replay at seq ${s.seq} (${s.label}) differs from /master/state:\n    ${d.join('\n    ')}`);
    }
    const v = await verifySource(await fileSource(join(dir, `${scratch}.jsonl`)), { maxViolations: 20 });
    for (const x of v.violations) problems.push(`invariant ${x.invariant} at seq ${x.seq}: ${x.message}`);
    const { golden } = await foldGolden(dir, scratch);
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, `${scratch}.jsonl`));
    if (problems.length > 0) {
      say(`NOT recorded:\n  ${problems.join('\n  ')}`);
      return 1;
    }
    await writeFile(join(dir, `${name}.jsonl`), `${lines.join('\n')}\n`);
    await writeGoldenState(dir, name, golden);
    await writeFile(join(dir, `${name}.samples.json`), `${JSON.stringify(run.samples, null, 1)}\n`);
    say(`recorded ${name}: ${lines.length} entries (${old.length} of an older schema version, ${golden.malformed} malformed), ${run.samples.length} samples of /master/state, into ${dir}`);
    return 0;
  } finally {
    await run.stop();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { name: { type: 'string', default: 'cluster' }, dir: { type: 'string', default: GOLDEN_DIR }, refold: { type: 'boolean', default: false } } });
  return values.refold ? refold(values.dir!) : record(values.dir!, values.name!);
}

main().then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    say(`failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
