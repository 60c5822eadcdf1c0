import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterEvent } from '../../events/index.js';
import { evolve } from '../../kernel/core/fold/index.js';
import type { State } from '../../kernel/core/state.js';
import { Verifier, type VerifyOptions, agentTransitionLegal, foldTransitionLegal } from '../../replay/verify.js';
import {
  accepted,
  agentRegistered,
  agentRemoved,
  agentReregistered,
  frameworkRemoved,
  frameworkSubscribed,
  leaderElected,
  offersCreated,
  resetIds,
  status,
} from '../helpers/events.js';
import { cleanTaskRun, ghostLaunch } from '../helpers/histories.js';

test.before.each(() => resetIds());


const verify = (events: ClusterEvent[], quiescent = true, o: VerifyOptions = {}) => {
  const v = new Verifier({ quiescent, ...o });
  events.forEach((e, i) => v.feed(i + 1, e));
  return v.finish();
};

test('a clean history holds every invariant, quiescent included', () => {
  const r = verify(cleanTaskRun());
  assert.equal(r.violations, []);
  assert.is(r.tasksSeen, 1);
});

test('an agent that comes back smaller than what its tasks hold is an over-commit', () => {
  const events = cleanTaskRun().slice(0, 8); // t1 is RUNNING
  events.push(agentReregistered({ agentId: 'a1', resources: 'cpus:1;mem:4096', tasks: [{ frameworkId: 'fw1', taskId: 't1', state: 'RUNNING' }], lastCommandSeq: 1 }));
  const r = verify(events, false);
  assert.is(r.violations[0]?.invariant, 'OVER_COMMIT');
  assert.is(r.violations[0]?.seq, 9);
  assert.match(r.violations[0]!.message, /agent a1 holds cpus:2;mem:1024 of cpus:1;mem:4096/);
});

test('an illegal transition reported by an agent is caught with both sequences', () => {
  const live = cleanTaskRun().slice(0, 11); // up to FINISHED (seq 11), not yet acknowledged: the task is still known
  live.push(status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u9', containerId: 'c1' }));
  const r = verify(live, false);
  assert.is(r.violations.length, 1);
  assert.is(r.violations[0]?.invariant, 'ILLEGAL_TRANSITION');
  assert.match(r.violations[0]!.message, /TASK_FINISHED → TASK_RUNNING/);
  assert.equal(r.violations[0]?.related, [11]);
});

test('a task run in a second container is launched twice', () => {
  const events = cleanTaskRun().slice(0, 7); // STARTING in c1
  events.push(status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'STARTING', uuid: 'u5', containerId: 'c2' }));
  const r = verify(events, false);
  assert.is(r.violations[0]?.invariant, 'LAUNCHED_TWICE');
  assert.match(r.violations[0]!.message, /second container c2/);
});

test('quiescent: live tasks and unacknowledged updates are reported', () => {
  const r = verify(cleanTaskRun().slice(0, 9), true); // RUNNING reported, not yet acknowledged
  const kinds = r.violations.map((v) => v.invariant).sort();
  assert.equal(kinds, ['NOT_TERMINAL', 'UNACKNOWLEDGED']);
});

test('not quiescent: an update still awaiting its acknowledgement is pending, not a violation', () => {
  const r = verify(cleanTaskRun().slice(0, 9), false);
  assert.equal(r.violations, []);
  assert.is(r.pendingAcknowledgements, 1);
});

test('an update never acknowledged keeps its task awaiting it: pending while the run goes on, a violation once it is over', () => {
  const events = cleanTaskRun();
  // Drop the acknowledgement of RUNNING (seq 10): FINISHED is acknowledged, the task waits for RUNNING's.
  events.splice(9, 1);
  const going = verify(events, false);
  assert.equal(going.violations, []);
  assert.is(going.pendingAcknowledgements, 1);
  const over = verify(events, true);
  assert.equal(over.violations.map((v) => v.invariant), ['UNACKNOWLEDGED']);
  assert.equal(over.violations[0]?.related, [9]);
  assert.match(over.violations[0]!.message, /u2 .* never acknowledged \(the run is over\)/);
});

test('an update that can no longer be acknowledged (so many came after it that its record is gone) is a violation with its sequence', () => {
  const events = cleanTaskRun().slice(0, 9); // ... STARTING acknowledged, RUNNING (u2, seq 9) not
  // Health updates, none acknowledged: the task keeps its 10 latest statuses, and u2 falls out.
  for (let i = 0; i < 12; i++) events.push(status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: `h${i}`, healthy: i % 2 === 0 }));
  const r = verify(events, false);
  const gone = r.violations.filter((v) => v.message.includes('no longer can be'));
  assert.ok(gone.length >= 1);
  assert.equal(gone[0]?.related, [9]);
  assert.match(gone[0]!.message, /u2 .* never acknowledged and no longer can be/);
});

test('the updates of a framework torn down need no acknowledgement', () => {
  const events = cleanTaskRun().slice(0, 9);
  events.push(frameworkRemoved({ frameworkId: 'fw1' }));
  const r = verify(events, false);
  assert.equal(r.violations, []);
});

test('a stale-epoch decision injected into the log has no effect: it is counted, and the invariant holds', () => {
  const events = cleanTaskRun().slice(0, 4); // elected 1, agent, framework, offer o1
  events.push(leaderElected(2));
  // The deposed leader (epoch 1) still offers the same resources.
  events.push(offersCreated({ frameworkId: 'fw1', offerId: 'stale-o', agentId: 'a1', resources: 'cpus:4;mem:4096', epoch: 1 }));
  events.push(accepted({ frameworkId: 'fw1', offerIds: ['stale-o'], tasks: [{ taskId: 't9', agentId: 'a1', resources: 'cpus:1' }] }));
  const r = verify(events, false);
  assert.equal(r.violations, []);
  assert.is(r.staleDecisionsIgnored, 1);
  assert.equal(r.staleDecisionSeqs, [6]);
});

test('a fold that lets a stale-epoch decision through is caught: STALE_EPOCH_EFFECT at its sequence', () => {
  const events = cleanTaskRun().slice(0, 4);
  events.push(leaderElected(2));
  events.push(offersCreated({ frameworkId: 'fw1', offerId: 'stale-o', agentId: 'a1', resources: 'cpus:4;mem:4096', epoch: 1 }));
  // A broken fold without fencing: it folds the stale offer as if it were current.
  const unfenced = (s: State, e: ClusterEvent): State => {
    if (e.type === 'OffersCreated' && e.epoch !== s.epoch) {
      const before = s.counters.staleDecisionsIgnored;
      const out = evolve(s, { ...e, epoch: s.epoch });
      out.counters.staleDecisionsIgnored = before + 1;
      return out;
    }
    return evolve(s, e);
  };
  const r = verify(events, false, { evolve: unfenced });
  assert.ok(r.violations.some((v) => v.invariant === 'STALE_EPOCH_EFFECT' && v.seq === 6), JSON.stringify(r.violations));
});

test('an agent that runs a task only a stale leader told it to launch is a stale-epoch effect, with both sequences', () => {
  const events = cleanTaskRun().slice(0, 4);
  events.push(leaderElected(2));
  // The old leader's command for a task no accept created (it never was owed).
  events.push(
    ghostLaunch(1),
  );
  events.push(status({ frameworkId: 'fw1', agentId: 'a1', taskId: 'ghost', state: 'RUNNING', uuid: 'g1' }));
  const r = verify(events, false);
  assert.is(r.violations[0]?.invariant, 'STALE_EPOCH_EFFECT');
  assert.is(r.violations[0]?.seq, 7);
  assert.equal(r.violations[0]?.related, [6]);
});

test('a launch that never reached its agent is reported once it is older than the grace period; a written-off one is not', () => {
  const events = cleanTaskRun().slice(0, 5); // accepted, LaunchTasks never appended
  const young = verify(events, false);
  assert.equal(young.violations, []);
  assert.is(young.launchesInFlight, 1);
  const late = [...events, agentRegistered({ agentId: 'a2', time: events[4]!.time + 10 * 60_000 })];
  const r = verify(late, false);
  assert.is(r.violations[0]?.invariant, 'LAUNCH_NOT_DELIVERED');
  assert.match(r.violations[0]!.message, /its launch command is not in the log/);
  assert.equal(r.violations[0]?.related, [5]);
  // The master wrote it off (its agent was removed): accounted for.
  const writtenOff = [...events, agentRemoved({ agentId: 'a1' }), agentRegistered({ agentId: 'a2', time: events[4]!.time + 10 * 60_000 })];
  assert.equal(verify(writtenOff, false).violations, []);
});

test('the same ports in two outstanding offers are offered twice', () => {
  const events: ClusterEvent[] = [
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-31010]' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    frameworkSubscribed({ frameworkId: 'fw2' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:1;ports:[31000-31005]' }),
    offersCreated({ frameworkId: 'fw2', offerId: 'o2', agentId: 'a1', resources: 'cpus:1;ports:[31000-31010]' }),
  ];
  // The kernel's fold refuses the second offer (not available): no violation.
  assert.equal(verify(events, false).violations, []);
  // A fold whose availability check forgets ranges lets it through: caught.
  const sloppy = (s: State, e: ClusterEvent): State => {
    if (e.type !== 'OffersCreated') return evolve(s, e);
    const a = s.agents.get('a1' as never)!;
    const saved = a.offered;
    a.offered = [];
    const out = evolve(s, e);
    const o = out.offers.get('o2' as never);
    a.offered = o !== undefined ? [...saved, ...o.resources] : saved;
    return out;
  };
  const r = verify(events, false, { evolve: sloppy });
  const v = r.violations.find((x) => x.invariant === 'OFFERED_TWICE');
  assert.ok(v, JSON.stringify(r.violations));
  assert.is(v!.seq, 6);
  assert.match(v!.message, /offers o1 and o2 on agent a1 both hold ports \[31000-31005\]/);
});

test('a fold that moves a task out of a terminal state is caught, not only an agent that reports one', () => {
  const events = cleanTaskRun().slice(0, 11); // FINISHED at seq 11, not yet acknowledged
  events.push(agentReregistered({ agentId: 'a1', tasks: [{ frameworkId: 'fw1', taskId: 't1', state: 'RUNNING' }], lastCommandSeq: 1 }));
  assert.equal(verify(events, false).violations.filter((v) => v.invariant === 'ILLEGAL_TRANSITION'), []);
  const reviving = (s: State, e: ClusterEvent): State => {
    const out = evolve(s, e);
    if (e.type === 'AgentReregistered') for (const t of out.tasks.values()) t.state = 'TASK_RUNNING';
    return out;
  };
  const r = verify(events, false, { evolve: reviving });
  assert.ok(r.violations.some((v) => v.invariant === 'ILLEGAL_TRANSITION' && v.seq === 12 && /the fold moved task fw1\/t1 TASK_FINISHED → TASK_RUNNING/.test(v.message)), JSON.stringify(r.violations));
});

test('the master may write a task off and bring it back', () => {
  assert.ok(foldTransitionLegal('TASK_RUNNING', 'TASK_UNREACHABLE'));
  assert.ok(foldTransitionLegal('TASK_UNREACHABLE', 'TASK_RUNNING'));
  assert.ok(foldTransitionLegal('TASK_LOST', 'TASK_RUNNING'));
  assert.not.ok(foldTransitionLegal('TASK_FINISHED', 'TASK_RUNNING'));
  assert.not.ok(foldTransitionLegal('TASK_UNREACHABLE', 'TASK_STAGING'));
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

// ---------------------------------------------------------------------------------------------
// Provenance: who may have appended an event

test('a launch the fold never owed, or one that changes what was accepted, is unbacked; a repeat of a sent one is not', () => {
  const run = cleanTaskRun();
  const launch = run[5] as Extract<ClusterEvent, { type: 'LaunchTasks' }>;
  // Sent twice (a re-send past the duplicate window): fine.
  const repeated = [...run.slice(0, 6), { ...launch, time: launch.time + 1 }, ...run.slice(6)];
  assert.equal(verify(repeated).violations, []);
  // The same id, with another command: the fold marks it sent, the agent would run it.
  const tampered = [...run.slice(0, 5), { ...launch, tasks: [{ ...launch.tasks[0]!, command: { value: 'rm -rf /', shell: true } }] }];
  const t = verify(tampered, false);
  assert.equal(t.violations.map((v) => [v.invariant, v.seq]), [['UNBACKED_LAUNCH', 6]]);
  assert.match(t.violations[0]!.message, /not the launch its accept owed/);
  // A launch with the current epoch that no accept created.
  const ghost = [...run.slice(0, 4), ghostLaunch(1)];
  const g = verify(ghost, false);
  assert.equal(g.violations.map((v) => [v.invariant, v.seq]), [['UNBACKED_LAUNCH', 5]]);
  assert.match(g.violations[0]!.message, /launch-ghost of ghost on agent a1 has no accepted offer behind it/);
});

test('a decision of an epoch never elected is not the lease holder\'s; a deposed leader\'s late write is, within the grace', () => {
  const base = cleanTaskRun().slice(0, 4);
  const forged = verify([...base, offersCreated({ frameworkId: 'fw1', offerId: 'o9', agentId: 'a1', resources: 'cpus:1', epoch: 3 })], false);
  assert.equal(forged.violations.map((v) => [v.invariant, v.seq]), [['NOT_LEASE_HOLDER', 5]]);
  assert.match(forged.violations[0]!.message, /epoch 3, which no LeaderElected in the log stands behind \(epoch 1 leads\)/);
  const elected = [...base, leaderElected(2)];
  const late = (afterMs: number) =>
    verify([...elected, offersCreated({ frameworkId: 'fw1', offerId: 'o9', agentId: 'a1', resources: 'cpus:1', epoch: 1, time: elected.at(-1)!.time + afterMs })], false, { staleGraceMs: 10_000 });
  assert.equal(late(2_000).violations, [], 'a write in flight when the lead changed hands');
  assert.equal(late(60_000).violations.map((v) => v.invariant), ['NOT_LEASE_HOLDER']);
  assert.match(late(60_000).violations[0]!.message, /came 60 s after that leader was deposed/);
});

test('a status update about a task from another agent than the one it runs on is flagged, and does not count as the agent\'s', () => {
  const run = cleanTaskRun().slice(0, 8); // t1 RUNNING on a1
  run.push(agentRegistered({ agentId: 'a2', resources: 'cpus:1;mem:128' }));
  run.push(status({ frameworkId: 'fw1', agentId: 'a2', taskId: 't1', state: 'FAILED', uuid: 'x1' }));
  run.push(...cleanTaskRun().slice(8));
  const r = verify(run, false);
  assert.equal(r.violations.map((v) => [v.invariant, v.seq]), [['STATUS_FROM_STRANGER', 10]]);
  assert.match(r.violations[0]!.message, /runs on agent a1, came from agent a2/);
  // Judged by the subject it was appended on, too.
  const v = new Verifier({});
  run.slice(0, 9).forEach((e, i) => v.feed(i + 1, e));
  v.feed(10, cleanTaskRun()[8]!, { subject: 'cl.agent.a2.status.fw1' });
  assert.equal(v.finish().violations.map((x) => x.invariant), ['STATUS_FROM_STRANGER']);
});

test('a missing sequence, or a log that does not start at 1, is a gap', () => {
  const v = new Verifier({});
  const run = cleanTaskRun();
  v.feed(1, run[0]!);
  v.skip(2);
  v.feed(5, run[1]!);
  const r = v.finish();
  assert.equal(r.violations.map((x) => [x.invariant, x.seq, x.message]), [['SEQUENCE_GAP', 5, 'sequences 3..4 are missing from the log (2 messages)']]);
  const w = new Verifier({});
  w.feed(3, run[0]!);
  assert.equal(w.finish().violations.map((x) => x.message), ['sequences 1..2 are missing from the log (2 messages)']);
});

test.run();
