/**
 * `mesos replay verify` against a real nats-server: hand-made histories appended to the cluster
 * stream, each with one injected violation — an over-commit, an illegal transition, an agent
 * acting on a stale leader's command — are caught with the sequences that show them (exit 1); the
 * clean history holds (exit 0). The bus is secured: each event is appended with the credentials of
 * the party that writes it in a real cluster (the agent its reports, the master its decisions), and
 * `mesos replay verify` reads with the auditor's.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterEvent } from '../../events/index.js';
import { agentReregistered, leaderElected, offersCreated, resetIds, status } from '../helpers/events.js';
import { cleanTaskRun, ghostLaunch } from '../helpers/histories.js';
import { appendAsAuthors, withSecureNats } from '../helpers/nats.js';

const MESOS = fileURLToPath(new URL('../../cli/mesos.js', import.meta.url));
const mesos = (...args: string[]) => spawnSync(process.execPath, [MESOS, ...args], { encoding: 'utf8', timeout: 60_000 });
const log = pino({ level: 'silent' });

test.before.each(() => resetIds());


/** Append `events` to the cluster stream of a fresh nats-server and run `mesos replay verify` on it. */
async function verifyOnNats(events: ClusterEvent[], ...flags: string[]) {
  const nats = await withSecureNats();
  try {
    await appendAsAuthors(nats, events, log);
    return mesos('replay', 'verify', '--nats', nats.url, '--creds', nats.creds('auditor', 'auditor'), ...flags);
  } finally {
    await nats.stop();
  }
}

test('a clean history: all invariants hold, exit 0 (quiescent too)', async () => {
  const r = await verifyOnNats(cleanTaskRun(), '--quiescent');
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /all invariants hold: 12 events to seq 12/);
});

test('an injected over-commit: an agent back with less than its running task holds', async () => {
  const events = cleanTaskRun().slice(0, 8); // t1 RUNNING (seq 8)
  events.push(agentReregistered({ agentId: 'a1', resources: 'cpus:1;mem:4096', tasks: [{ frameworkId: 'fw1', taskId: 't1', state: 'RUNNING' }], lastCommandSeq: 1 }));
  const r = await verifyOnNats(events);
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^OVER_COMMIT at seq 9: agent a1 holds cpus:2;mem:1024 of cpus:1;mem:4096/m);
  assert.match(r.stdout, /stopped at the first violation/);
});

test('an injected illegal transition: RUNNING reported after FINISHED, with both sequences', async () => {
  const events = cleanTaskRun().slice(0, 11); // FINISHED at seq 11, not yet acknowledged
  events.push(status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u9', containerId: 'c1' }));
  const r = await verifyOnNats(events);
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^ILLEGAL_TRANSITION at seq 12 \(see seq 11\): task t1 of fw1 went TASK_FINISHED → TASK_RUNNING/m);
});

test('an injected stale-epoch decision: the fold ignores it (counted); an agent that acted on it is caught', async () => {
  const base = cleanTaskRun().slice(0, 4);
  const ignored = [...base, leaderElected(2), offersCreated({ frameworkId: 'fw1', offerId: 'late', agentId: 'a1', resources: 'cpus:1', epoch: 1 })];
  const ok = await verifyOnNats(ignored);
  assert.is(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /1 stale decisions ignored \(first at seq 6\)/);

  const acted = [
    ...base,
    leaderElected(2),
    ghostLaunch(1),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 'ghost', state: 'RUNNING', uuid: 'g1' }),
  ];
  const r = await verifyOnNats(acted, '--json');
  assert.is(r.status, 1, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout) as { holds: boolean; violations: Array<{ invariant: string; seq: number; related: number[]; message: string }> };
  assert.is(j.holds, false);
  const v = j.violations[0]!;
  assert.equal([v.invariant, v.seq, v.related], ['STALE_EPOCH_EFFECT', 7, [6]]);
  assert.match(v.message, /agent a1 reports task ghost of fw1, which only a stale leader's command launched/);
});

test('--all lists every violation; --to checks a prefix', async () => {
  const events = cleanTaskRun().slice(0, 11);
  events.push(status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u9', containerId: 'c1' }));
  events.push(status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'STARTING', uuid: 'u10', containerId: 'c2' }));
  const nats = await withSecureNats();
  try {
    await appendAsAuthors(nats, events, log);
    const auditor = nats.creds('auditor', 'auditor');
    const all = mesos('replay', 'verify', '--nats', nats.url, '--creds', auditor, '--all');
    assert.is(all.status, 1);
    assert.match(all.stdout, /ILLEGAL_TRANSITION at seq 12/);
    assert.match(all.stdout, /LAUNCHED_TWICE at seq 13 .*second container c2/);
    assert.match(all.stdout, /3 violation\(s\)/);
    const prefix = mesos('replay', 'verify', '--nats', nats.url, '--creds', auditor, '--to', '11');
    assert.is(prefix.status, 0, prefix.stdout);
  } finally {
    await nats.stop();
  }
});

test.run();
