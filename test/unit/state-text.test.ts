/**
 * kernel/shell/http/state-text.ts: `/master/state` from kept pieces is, byte for byte, the JSON of
 * `masterStateJson`, at every point of whole logs (each task's and agent's piece made again only
 * when it changed), and the HTTP shell sends a `pieces` body whole, with the right length.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:http';
import { pino } from 'pino';
import { evolve, initialState } from '../../kernel/core/fold/index.js';
import { masterStateJson, type MasterIdentity } from '../../kernel/shell/http/state-json.js';
import { masterStateText } from '../../kernel/shell/http/state-text.js';
import { PIECES_CHUNK, startHttpApi } from '../../kernel/shell/http/server.js';
import type { State } from '../../kernel/core/state.js';
import { fileSource } from '../../replay/index.js';
import { GOLDEN_DIR } from '../../replay/golden.js';
import { generateLog } from '../../bench/synthetic-log.js';
import { cleanTaskRun } from '../helpers/histories.js';
import { agentDeactivated, agentReactivated, agentRegistered, drainStarted, frameworkSubscribed, given, when } from '../helpers/events.js';
import type { ClusterEvent } from '../../events/index.js';
import { join } from 'node:path';

const me: MasterIdentity = { id: 'm1', hostname: 'h1', ip: '127.0.0.1', port: 5050, version: '1.11.0', startTime: 1_700_000_000_000, electedTime: 1_700_000_001_000, flags: { port: '5050' } };

function same(state: State, where: string): void {
  const want = JSON.stringify(masterStateJson(state, me));
  const got = masterStateText(state, me).join('');
  if (got !== want) {
    let i = 0;
    while (i < want.length && got[i] === want[i]) i++;
    assert.unreachable(`${where}: differs at ${i}: want …${want.slice(Math.max(0, i - 60), i + 60)}… got …${got.slice(Math.max(0, i - 60), i + 60)}…`);
  }
}

test('the text equals masterStateJson after every event of the golden log', async () => {
  const source = await fileSource(join(GOLDEN_DIR, 'cluster.jsonl'));
  const head = await source.head();
  const s = initialState();
  let n = 0;
  for await (const e of source.read({ from: 1, to: head.last })) {
    if (!e.decoded.ok) continue;
    evolve(s, e.decoded.event);
    same(s, `golden seq ${e.seq}`);
    n++;
  }
  assert.ok(n > 50, `${n} events`);
});

test('the text equals masterStateJson along a synthetic log of launches, statuses and acknowledgements', () => {
  const log = generateLog({ events: 5_000, agents: 20, frameworks: 3, seed: 7 });
  const s = initialState();
  log.events.forEach((e: ClusterEvent, i: number) => {
    evolve(s, e);
    if (i % 53 === 0) same(s, `synthetic event ${i + 1}`);
  });
  same(s, 'synthetic end');
  assert.ok(s.tasks.size + [...s.frameworks.values()].reduce((n, f) => n + f.completedTasks.length, 0) > 100);
});

test('changes made in place are seen: a task\'s state, a drain becoming DRAINED, deactivation', () => {
  const events = cleanTaskRun();
  const s = given(...events.slice(0, 7)); // t1 STARTING
  same(s, 'starting');
  when(s, ...events.slice(7, 9)); // RUNNING
  same(s, 'running');
  when(s, drainStarted({ agentId: 'a1' }));
  same(s, 'draining');
  for (const e of events.slice(9)) {
    // FINISHED releases the resources; its acknowledgement then only turns the drain DRAINED.
    when(s, e);
    same(s, `after ${e.type}`);
  }
  assert.is(s.agents.get('a1' as never)?.drain?.state, 'DRAINED');
  same(s, 'drained');
  when(s, agentRegistered({ agentId: 'a2', resources: 'cpus:1;mem:128' }), agentDeactivated({ agentId: 'a2' }));
  same(s, 'deactivated');
  when(s, agentReactivated({ agentId: 'a2' }), frameworkSubscribed({ frameworkId: 'fw2' }));
  same(s, 'reactivated');
});

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; chunked: boolean; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, chunked: res.headers['transfer-encoding'] === 'chunked', body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a pieces body is sent whole, chunked, multi-byte characters intact; JSONP; HEAD', async () => {
  // Several chunks' worth, with multi-byte characters across the chunk boundaries.
  const pieces = ['{"x":['];
  for (let i = 0; i < 40_000; i++) pieces.push(i === 0 ? '' : ',', JSON.stringify({ i, name: `tâche-${i}-✓`, pad: 'p'.repeat(64) }));
  pieces.push(']}');
  const text = pieces.join('');
  assert.ok(text.length > 2 * PIECES_CHUNK, 'more than two chunks');
  const api = await startHttpApi({ ip: '127.0.0.1', port: 0, log: pino({ level: 'silent' }), routes: [{ method: 'GET', path: '/big', handler: () => ({ status: 200, pieces }) }] });
  try {
    const r = await get(api.port, '/big');
    assert.is(r.status, 200);
    assert.ok(r.chunked);
    assert.is(r.body.toString('utf8'), text);
    assert.is((JSON.parse(r.body.toString('utf8')) as { x: unknown[] }).x.length, 40_000);
    const p = await get(api.port, '/big?jsonp=cb');
    assert.is(p.body.toString('utf8'), `cb(${text});`);
    const h = await get(api.port, '/big', 'HEAD');
    assert.is(h.status, 200);
    assert.is(h.body.length, 0);
  } finally {
    await api.close();
  }
});

test.run();
