import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterEvent } from '../../events/index.js';
import { Verifier, agentTransitionLegal } from '../../replay/verify.js';
import { accepted, ack, agentRegistered, agentReregistered, frameworkSubscribed, leaderElected, offersCreated, resetIds, sent, status } from '../helpers/events.js';
import { given, owed } from '../helpers/events.js';

test.before.each(() => resetIds());

/** A clean history: an offer, a launch, STARTING → RUNNING → FINISHED, all acknowledged. */
function cleanRun(): ClusterEvent[] {
  const events: ClusterEvent[] = [
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    accepted({ id: 'acc1', frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:2;mem:1024' }] }),
  ];
  const [launch] = owed(given(...events), 'LaunchTasks');
  events.push(sent(launch!, 1));
  for (const [state, uuid] of [['STARTING', 'u1'], ['RUNNING', 'u2'], ['FINISHED', 'u3']] as const) {
    events.push(status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state, uuid, containerId: 'c1' }));
    events.push(ack({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', uuid }));
  }
  return events;
}

const verify = (events: ClusterEvent[], quiescent = true) => {
  const v = new Verifier({ quiescent });
  events.forEach((e, i) => v.feed(i + 1, e));
  return v.finish();
};

test('a clean history holds every invariant, quiescent included', () => {
  const r = verify(cleanRun());
  assert.equal(r.violations, []);
  assert.is(r.tasksSeen, 1);
});

test('an agent that comes back smaller than what its tasks hold is an over-commit', () => {
  const events = cleanRun().slice(0, 8); // t1 is RUNNING
  events.push(agentReregistered({ agentId: 'a1', resources: 'cpus:1;mem:4096', tasks: [{ frameworkId: 'fw1', taskId: 't1', state: 'RUNNING' }], lastCommandSeq: 1 }));
  const r = verify(events, false);
  assert.is(r.violations[0]?.invariant, 'OVER_COMMIT');
  assert.is(r.violations[0]?.seq, 9);
  assert.match(r.violations[0]!.message, /agent a1 holds cpus:2;mem:1024 of cpus:1;mem:4096/);
});

test('an illegal transition reported by an agent is caught with both sequences', () => {
  const live = cleanRun().slice(0, 11); // up to FINISHED (seq 11), not yet acknowledged: the task is still known
  live.push(status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u9', containerId: 'c1' }));
  const r = verify(live, false);
  assert.is(r.violations.length, 1);
  assert.is(r.violations[0]?.invariant, 'ILLEGAL_TRANSITION');
  assert.match(r.violations[0]!.message, /TASK_FINISHED → TASK_RUNNING/);
  assert.equal(r.violations[0]?.related, [11]);
});

test('a task run in a second container is launched twice', () => {
  const events = cleanRun().slice(0, 7); // STARTING in c1
  events.push(status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'STARTING', uuid: 'u5', containerId: 'c2' }));
  const r = verify(events, false);
  assert.is(r.violations[0]?.invariant, 'LAUNCHED_TWICE');
  assert.match(r.violations[0]!.message, /second container c2/);
});

test('quiescent: live tasks and unacknowledged updates are reported', () => {
  const r = verify(cleanRun().slice(0, 9), true); // RUNNING reported, not yet acknowledged
  const kinds = r.violations.map((v) => v.invariant).sort();
  assert.equal(kinds, ['NOT_TERMINAL', 'UNACKNOWLEDGED']);
});

test('Mesos task state machine as agents report it', () => {
  assert.ok(agentTransitionLegal(undefined, 'TASK_STARTING'));
  assert.ok(agentTransitionLegal('TASK_STARTING', 'TASK_RUNNING'));
  assert.ok(agentTransitionLegal('TASK_RUNNING', 'TASK_KILLING'));
  assert.ok(agentTransitionLegal('TASK_RUNNING', 'TASK_FINISHED'));
  assert.not.ok(agentTransitionLegal('TASK_FINISHED', 'TASK_RUNNING'));
  assert.not.ok(agentTransitionLegal('TASK_RUNNING', 'TASK_STARTING'));
  assert.not.ok(agentTransitionLegal(undefined, 'TASK_STAGING'));
});

test.run();
