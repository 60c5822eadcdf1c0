/**
 * The operator stream's events, derived from the fold (kernel/shell/operator-api/stream-events.ts):
 * given a log, when each event is folded, then these Mesos events — and a view seeded from the
 * state at any point derives the same events from there on as one that followed from the start.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterEvent } from '../../events/index.js';
import { evolve, initialState } from '../../kernel/core/fold/index.js';
import { cloneState } from '../../kernel/core/state.js';
import { deriveEvents, emptyView, seedView, type OperatorEvent } from '../../kernel/shell/operator-api/stream-events.js';
import {
  accepted,
  ack,
  agentRegistered,
  agentRemoved,
  frameworkDisconnected,
  frameworkRemoved,
  frameworkSubscribed,
  leaderElected,
  offersCreated,
  resetIds,
  status,
} from '../helpers/events.js';

const U = { u1: '00000000-0000-4000-8000-000000000001', u1b: '00000000-0000-4000-8000-000000000002', u2: '00000000-0000-4000-8000-000000000003', u9: '00000000-0000-4000-8000-000000000009' };

test.before.each(() => resetIds());

function history(): ClusterEvent[] {
  return [
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    accepted({ id: 'acc1', frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:1024' }, { taskId: 't2', agentId: 'a1', resources: 'cpus:1;mem:1024' }] }),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: U.u1 }),
    // The same state again (a re-sent update): no event.
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: U.u1b }),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't2', state: 'FINISHED', uuid: U.u2 }),
    // Acknowledging the terminal update completes the task: no event.
    ack({ frameworkId: 'fw1', agentId: 'a1', taskId: 't2', uuid: U.u2 }),
    frameworkDisconnected({ frameworkId: 'fw1' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    agentRemoved({ agentId: 'a2', reason: 'OPERATOR' }),
    frameworkRemoved({ frameworkId: 'fw1' }),
  ];
}

/** The events derived for each event of `log`, folded from the start. */
function run(log: ClusterEvent[]): OperatorEvent[][] {
  let s = initialState();
  const v = seedView(s);
  return log.map((e) => {
    s = evolve(s, e);
    return deriveEvents(v, e, s);
  });
}

const brief = (e: OperatorEvent): string => {
  const x = e as Record<string, any>;
  switch (e.type) {
    case 'TASK_ADDED':
      return `TASK_ADDED ${x.task_added.task.task_id.value} ${x.task_added.task.state}`;
    case 'TASK_UPDATED':
      return `TASK_UPDATED ${x.task_updated.status.task_id.value} ${x.task_updated.state}`;
    case 'AGENT_ADDED':
      return `AGENT_ADDED ${x.agent_added.agent.agent_info.id.value}`;
    case 'AGENT_REMOVED':
      return `AGENT_REMOVED ${x.agent_removed.agent_id.value}`;
    case 'FRAMEWORK_ADDED':
      return `FRAMEWORK_ADDED ${x.framework_added.framework.framework_info.id.value} active=${x.framework_added.framework.active}`;
    case 'FRAMEWORK_UPDATED':
      return `FRAMEWORK_UPDATED ${x.framework_updated.framework.framework_info.id.value} active=${x.framework_updated.framework.active}`;
    case 'FRAMEWORK_REMOVED':
      return `FRAMEWORK_REMOVED ${x.framework_removed.framework_info.id.value}`;
  }
};

test('given a history, the stream says what changed, in Mesos’s events, in order', () => {
  const out = run(history()).map((evs) => evs.map(brief));
  assert.equal(out, [
    [],
    ['AGENT_ADDED a1'],
    ['AGENT_ADDED a2'],
    ['FRAMEWORK_ADDED fw1 active=true'],
    [],
    ['TASK_ADDED t1 TASK_STAGING', 'TASK_ADDED t2 TASK_STAGING'],
    ['TASK_UPDATED t1 TASK_RUNNING'],
    [],
    ['TASK_UPDATED t2 TASK_FINISHED'],
    [],
    ['FRAMEWORK_UPDATED fw1 active=false'],
    ['FRAMEWORK_UPDATED fw1 active=true'],
    ['AGENT_REMOVED a2'],
    ['TASK_UPDATED t1 TASK_KILLED', 'FRAMEWORK_REMOVED fw1'],
  ]);
});

test('TASK_UPDATED carries the framework, the state and the status as Mesos’s TaskStatus', () => {
  const out = run(history()).flat();
  const u = out.find((e) => e.type === 'TASK_UPDATED') as Record<string, any>;
  assert.equal(u.task_updated.framework_id, { value: 'fw1' });
  assert.is(u.task_updated.state, 'TASK_RUNNING');
  assert.is(u.task_updated.status.state, 'TASK_RUNNING');
  assert.equal(u.task_updated.status.agent_id, { value: 'a1' });
  assert.ok(typeof u.task_updated.status.uuid === 'string' && u.task_updated.status.uuid !== '', 'the update’s uuid');
  assert.ok(typeof u.task_updated.status.timestamp === 'number');
});

test('a view seeded from the state at any point derives the same events from there on (a standby started from a snapshot)', () => {
  const log = history();
  const full = run(log);
  for (let k = 0; k <= log.length; k++) {
    let s = initialState();
    for (const e of log.slice(0, k)) s = evolve(s, e);
    const v = seedView(cloneState(s));
    const rest = log.slice(k).map((e) => {
      s = evolve(s, e);
      return deriveEvents(v, e, s);
    });
    assert.equal(rest, full.slice(k), `seeded after ${k} events`);
  }
});

test('an empty view is told about everything that exists once something touches it', () => {
  let s = initialState();
  for (const e of history().slice(0, 7)) s = evolve(s, e);
  const v = emptyView();
  const e = status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'FAILED', uuid: U.u9 });
  s = evolve(s, e);
  // t1 was never told: it is added (in its current state), not updated.
  assert.equal(deriveEvents(v, e, s).map(brief), ['TASK_ADDED t1 TASK_FAILED']);
});

test.run();
