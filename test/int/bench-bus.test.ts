/**
 * The benchmarks' bus (bench/bus.ts): secured by default, anonymous clients refused, each party's
 * credentials as the cluster's; the two bench-only identities can do their one job and no more:
 * the history writer appends anywhere under the log's subjects, the pong responder only answers
 * agents' pings (it may not append to the log).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { type BenchBus, parseAuthMode, startBenchNats } from '../../bench/bus.js';
import { type AgentId, subjects } from '../../events/index.js';
import { agentRegistered, leaderElected } from '../helpers/events.js';
import { append, connectBus, ensureStream, headSeq } from '../../kernel/shell/bus.js';
import { testLog } from '../helpers/cluster.js';

const log = testLog();

async function rejects(p: Promise<unknown>, what: string): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  assert.unreachable(`${what} was allowed`);
  throw new Error('unreachable');
}

test('secured by default: anonymous refused; history writer appends; the pong responder answers pings and may not append', async () => {
  const nb: BenchBus = await startBenchNats();
  try {
    assert.ok(nb.secure);
    await rejects(connect({ servers: nb.url, timeout: 2000 }), 'an anonymous connection');

    const writer = await connectBus({ servers: nb.url, name: 'writer', log, ...nb.historyWriter() });
    await ensureStream(writer.jsm);
    // A synthetic history: a decision and an agent's fact, which no single real party may both append.
    await append(writer.js, leaderElected(1, { id: `le-${randomUUID()}`, time: Date.now() }));
    const agentId = `a-${randomUUID().slice(0, 8)}` as AgentId;
    await append(writer.js, agentRegistered({ agentId, time: Date.now(), id: `reg-${randomUUID()}` }));
    assert.is(await headSeq(writer.jsm), 2);

    const pongs = await connectBus({ servers: nb.url, name: 'pongs', log, ...nb.pongResponder() });
    const sub = pongs.nc.subscribe(subjects.agentPing('*' as AgentId), { callback: (_e, m) => void m.respond(new TextEncoder().encode('pong')) });
    await pongs.nc.flush();
    const master = await connectBus({ servers: nb.url, name: 'master', log, ...nb.as('master', 'bench-master') });
    const reply = await master.nc.request(subjects.agentPing(agentId), new Uint8Array(), { timeout: 5000 });
    assert.is(new TextDecoder().decode(reply.data), 'pong');
    const e = await rejects(append(pongs.js, agentRegistered({ agentId, time: Date.now(), id: `reg-${randomUUID()}` }), { timeoutMs: 3000 }), 'an append by the pong responder');
    assert.match(`${e.message} ${String((e.cause as Error | undefined)?.message ?? '')}`, /permission|authoriz/i);
    assert.is(await headSeq(writer.jsm), 2, 'nothing was appended by the pong responder');
    sub.unsubscribe();
    for (const b of [writer, pongs, master]) await b.close();
  } finally {
    await nb.stop();
  }
});

test('--auth off is an open bus, asked for by name; --auth takes on, off, both', async () => {
  const nb = await startBenchNats({ auth: false });
  try {
    assert.not.ok(nb.secure);
    assert.equal(nb.as('master', 'm'), {});
    const nc = await connect({ servers: nb.url, timeout: 2000 });
    await nc.close();
  } finally {
    await nb.stop();
  }
  assert.is(parseAuthMode(undefined, (m) => new Error(m)), 'on');
  assert.is(parseAuthMode('both', (m) => new Error(m)), 'both');
  assert.throws(() => parseAuthMode('maybe', (m) => new Error(m)), /--auth must be on, off or both/);
});

test.run();
