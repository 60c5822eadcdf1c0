// The leader's re-delivery schedule of unacknowledged updates, as given(events) / when / then.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedeliverySchedule } from '../../kernel/shell/master/redelivery.js';
import { evolve } from '../../kernel/core/fold/index.js';
import type { ClusterEvent } from '../../events/index.js';
import type { State } from '../../kernel/core/state.js';
import { ExecutorId } from '../../events/index.js';
import { statusToMesos } from '../../kernel/shell/scheduler-api/convert/index.js';
import { accepted, ack, agentRegistered, frameworkDisconnected, frameworkRemoved, frameworkSubscribed, given, leaderElected, offersCreated, resetIds, status } from '../helpers/events.js';

const MIN = 10_000;
const MAX = 60_000;

function launched(): State {
  resetIds();
  return given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1' }),
    frameworkSubscribed({ frameworkId: 'f1' }),
    offersCreated({ frameworkId: 'f1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    accepted({ frameworkId: 'f1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1' }] }),
  );
}

/** Fold and tell the schedule, at time `now`. */
function fold(s: State, sched: RedeliverySchedule, now: number, ...events: ClusterEvent[]): void {
  for (const e of events) {
    evolve(s, e);
    sched.noteEvent(e, s, now);
  }
}

test('given an unacknowledged update, then it is due after MIN, then after 2·MIN, 4·MIN… up to MAX', () => {
  const s = launched();
  const sched = new RedeliverySchedule({ minMs: MIN, maxMs: MAX });
  fold(s, sched, 0, status({ frameworkId: 'f1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u1' }));
  assert.equal(sched.due(s, MIN - 1), []);
  const first = sched.due(s, MIN);
  assert.is(first.length, 1);
  assert.is(first[0]!.frameworkId, 'f1');
  assert.equal([first[0]!.status.uuid, first[0]!.status.state, first[0]!.status.taskId], ['u1', 'TASK_RUNNING', 't1']);
  // next: 2·MIN later, then 4·MIN, then capped at MAX
  let t = MIN;
  const gaps: number[] = [];
  for (let i = 0; i < 4; i++) {
    let next = t + 1000;
    while (sched.due(s, next).length === 0) next += 1000;
    gaps.push(next - t);
    t = next;
  }
  assert.equal(gaps, [2 * MIN, 4 * MIN, MAX, MAX]);
});

test('as Mesos, only the oldest unacknowledged update of a task is delivered again; when it is acknowledged the schedule restarts for the next; when all are, nothing is due', () => {
  const s = launched();
  const sched = new RedeliverySchedule({ minMs: MIN, maxMs: MAX });
  fold(s, sched, 0, status({ frameworkId: 'f1', agentId: 'a1', taskId: 't1', state: 'STARTING', uuid: 'u1' }));
  fold(s, sched, 5_000, status({ frameworkId: 'f1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u2' }));
  assert.equal(sched.due(s, MIN).map((d) => d.status.uuid), ['u1'], 'a newer update waits until the one before it is acknowledged');
  fold(s, sched, 12_000, ack({ frameworkId: 'f1', agentId: 'a1', taskId: 't1', uuid: 'u1' }));
  assert.equal(sched.due(s, 12_000 + MIN - 1), [], 'restarted for u2 when u1 was acknowledged');
  assert.equal(sched.due(s, 12_000 + MIN).map((d) => d.status.uuid), ['u2']);
  fold(s, sched, 40_000, ack({ frameworkId: 'f1', agentId: 'a1', taskId: 't1', uuid: 'u2' }));
  assert.equal(sched.due(s, 10 * MAX), []);
  assert.is(sched.size(), 0);
});

test('a disconnected framework is not sent to (its schedule waits); a removed one is forgotten', () => {
  const s = launched();
  const sched = new RedeliverySchedule({ minMs: MIN, maxMs: MAX });
  fold(s, sched, 0, status({ frameworkId: 'f1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u1' }), frameworkDisconnected({ frameworkId: 'f1' }));
  assert.equal(sched.due(s, MIN), []);
  assert.is(sched.size(), 1);
  fold(s, sched, MIN, frameworkRemoved({ frameworkId: 'f1' }));
  assert.is(sched.size(), 0);
});

test('a new leader seeds the schedule from the state: every unacknowledged update due after MIN', () => {
  const s = launched();
  evolve(s, status({ frameworkId: 'f1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u1' }));
  const sched = new RedeliverySchedule({ minMs: MIN, maxMs: MAX });
  sched.seed(s, 100);
  assert.equal(sched.due(s, 100 + MIN - 1), []);
  assert.equal(sched.due(s, 100 + MIN).map((d) => d.status.uuid), ['u1']);
});


test('a re-delivered update is the update as first sent: same uuid, timestamp, executor_id, container_status, check and health (byte-identical JSON)', () => {
  const s = launched();
  const sched = new RedeliverySchedule({ minMs: MIN, maxMs: MAX });
  const e = status({ frameworkId: 'f1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: '6f1c2d3e-0000-4000-8000-00000000abcd', containerId: 'c-77', healthy: true, message: 'up' });
  const first: typeof e = { ...e, status: { ...e.status, executorId: ExecutorId.parse('ex-9') } };
  fold(s, sched, 0, first);
  const again = sched.due(s, MIN);
  assert.is(again.length, 1);
  assert.equal(again[0]!.status, first.status);
  assert.is(JSON.stringify(statusToMesos(again[0]!.status)), JSON.stringify(statusToMesos(first.status)));
});

test.run();
