/**
 * Snapshots: the leader writes the projection every N events; a master that starts cold loads the
 * newest one and folds only the rest, and ends with exactly the state of the leader.
 */
import { randomUUID } from 'node:crypto';
import { serialize } from 'node:v8';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SCHEMA_VERSION, asAgentId } from '../../events/index.js';
import { type Bus, append, headSeq } from '../../kernel/shell/bus.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { decodeSnapshot, encodeSnapshot, SnapshotError } from '../../kernel/shell/snapshot.js';
import { openSnapshotReader, openSnapshotStore } from '../../kernel/shell/master/snapshots.js';
import { initialState } from '../../kernel/core/state.js';
import { stateToJson } from '../../replay/index.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

let nats: SecureTestNats;
const log = testLog();
const masters: MasterHandle[] = [];
/** Each master with credentials of its own. */
const opts = () => ({ nats: nats.url, creds: nats.creds('master', `m-${randomUUID()}`), port: 0, allocationIntervalMs: 50, snapshotEveryEvents: 10, agentPingTimeoutMs: 60_000 });

test.before(async () => {
  nats = await withSecureNats();
});

test.after(async () => {
  for (const m of masters) await m.stop().catch(() => undefined);
  await nats.stop();
});

test('a cold master starts from the newest snapshot and reaches the leader\'s state exactly', async () => {
  const a = await startMaster(opts(), log);
  masters.push(a);
  await waitFor(() => a.isLeader(), 'the master to lead');
  // 40 agents register, each with its own credentials (each costs a JWT issued and a signed
  // connect: ~0.15 s of CPU), 8 at a time; the auditor reads the head.
  const bus = await nats.bus('auditor', 'reader', log);
  try {
    const register = async (i: number): Promise<void> => {
      const agentId = asAgentId(`agent-${i}`);
      const agent: Bus = await nats.bus('agent', agentId, log);
      try {
        await append(agent.js, {
          type: 'AgentRegistered',
          schemaVersion: SCHEMA_VERSION,
          id: randomUUID(),
          time: Date.now(),
          agentId,
          hostname: `h${i}`,
          port: 0,
          resources: [{ name: 'cpus', type: 'SCALAR', scalar: 4 }, { name: 'mem', type: 'SCALAR', scalar: 4096 }],
          attributes: [{ name: 'rack', type: 'TEXT', text: `r${i % 3}` }],
          version: 't',
          isolation: 'none',
        });
      } finally {
        await agent.close();
      }
    };
    for (let i = 0; i < 40; i += 8) await Promise.all(Array.from({ length: 8 }, (_, k) => register(i + k)));
    const head = await headSeq(bus.jsm);
    await waitFor(() => a.seq() >= head, 'the leader to fold everything');
    // Snapshots are written by a thread of the leader's own, folding the log on its side.
    await waitFor(async () => {
      const m = (await (await fetch(`${a.url}/metrics/snapshot`)).json()) as Record<string, number>;
      // One every 10 events from wherever the writer started: the last is within 10 of the head.
      return (m['log/snapshot_written_seq'] ?? 0) > head - 10 || undefined;
    }, 'the leader to write a snapshot of nearly everything', 15_000, 50);
    const b = await startMaster(opts(), log);
    masters.push(b);
    await b.caughtUp;
    const m = (await (await fetch(`${b.url}/metrics/snapshot`)).json()) as Record<string, number>;
    assert.ok((m['log/snapshot_loaded_seq'] ?? 0) >= 10, `the cold master started from a snapshot (seq ${m['log/snapshot_loaded_seq']})`);
    assert.ok((m['log/snapshot_loaded_seq'] ?? 0) <= head);
    await waitFor(() => b.seq() === a.seq(), 'both masters at the same sequence');
    assert.equal(stateToJson(b.state()), stateToJson(a.state()));
    assert.is(b.state().agents.size, 40);
  } finally {
    await bus.close();
  }
});

test('the store keeps the newest snapshots and a few spread over history; the read-only reader sees the same', async () => {
  const other = await withSecureNats();
  // The master writes snapshots; the auditor (`replay state --at`) reads them.
  const bus = await other.bus('master', 'm1', log);
  const auditor = await other.bus('auditor', 'reader', log);
  try {
    assert.is(await openSnapshotReader(auditor, log), null, 'no bucket yet: no reader, and nothing created');
    const store = await openSnapshotStore(bus, 1, log, { newest: 2, spread: 4 });
    for (let i = 1; i <= 40; i++) await store.write(initialState(), i * 10);
    const seqs = await store.seqs();
    assert.ok(seqs.length <= 6, `kept ${seqs.join(',')}`);
    assert.equal(seqs.slice(0, 2), [400, 390]);
    assert.ok(seqs.some((s) => s <= 100), `the early history keeps one (${seqs.join(',')})`);
    const reader = await openSnapshotReader(auditor, log);
    assert.ok(reader !== null);
    assert.equal(await reader.seqs(), seqs);
    assert.is((await reader.latest())?.seq, 400, 'a cold master still gets the newest');
    const before = seqs.filter((s) => s <= 255)[0]!;
    assert.is((await reader.latest(255))?.seq, before, 'the nearest at or before a point');
  } finally {
    await bus.close();
    await auditor.close();
    await other.stop();
  }
});

test('a snapshot of another projection version, or garbage, is refused with a typed error', () => {
  const good = encodeSnapshot(initialState(), 7, 1);
  assert.is(decodeSnapshot(good).seq, 7);
  try {
    decodeSnapshot(new Uint8Array([1, 2, 3]));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, SnapshotError);
  }
  try {
    decodeSnapshot(encodeForVersion(99));
    assert.unreachable();
  } catch (e) {
    assert.is((e as SnapshotError).code, 'OTHER_VERSION');
  }
});

function encodeForVersion(version: number): Uint8Array {
  return serialize({ format: 'mesos-ts-snapshot', version, seq: 1, takenAt: 0, state: initialState() });
}

test.run();
