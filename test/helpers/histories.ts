/** Small hand-made histories shared by the invariant tests (unit and through the CLI). */
import type { ClusterEvent } from '../../events/index.js';
import { accepted, ack, agentRegistered, frameworkSubscribed, given, leaderElected, offersCreated, owed, sent, status } from './events.js';

/**
 * A clean run (seq 1..12): an election, agent a1, framework fw1, offer o1, the accept of t1 (seq 5),
 * its launch command (6), STARTING (7) → RUNNING (9) → FINISHED (11), each acknowledged.
 */
export function cleanTaskRun(): ClusterEvent[] {
  const events: ClusterEvent[] = [
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    accepted({ id: 'acc1', frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:2;mem:1024' }] }),
  ];
  events.push(sent(owed(given(...events), 'LaunchTasks')[0]!, 1));
  for (const [state, uuid] of [['STARTING', 'u1'], ['RUNNING', 'u2'], ['FINISHED', 'u3']] as const) {
    events.push(status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state, uuid, containerId: 'c1' }));
    events.push(ack({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', uuid }));
  }
  return events;
}

/** A deposed leader's launch command (epoch `epoch`) for task `ghost` of fw1 on a1, which no accept created. */
export const ghostLaunch = (epoch: number): ClusterEvent =>
  sent(
    {
      type: 'LaunchTasks',
      id: 'launch-ghost',
      agentId: 'a1' as never,
      agentSeq: 1,
      frameworkId: 'fw1' as never,
      framework: { name: 'f', user: 'u', checkpoint: false },
      tasks: [{ taskId: 'ghost' as never, name: 'ghost', agentId: 'a1' as never, resources: [{ name: 'cpus', type: 'SCALAR', scalar: 1 }], command: { value: 'true', shell: true } }],
    },
    epoch,
  );
