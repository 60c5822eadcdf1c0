/**
 * One valid event of every type (and a few richer variants), built with the test builders, for
 * tests that must cover the whole catalogue (codec round trips, the canonical check).
 */
import type { ClusterEvent } from '../../events/index.js';
import {
  accepted,
  ack,
  agentDisconnected,
  agentRegistered,
  agentReregistered,
  agentRemoved,
  declined,
  frameworkDisconnected,
  frameworkRemoved,
  frameworkSubscribed,
  killRequested,
  leaderElected,
  offersCreated,
  offersRescinded,
  revived,
  sent,
  status,
  suppressed,
} from './events.js';

/** One valid event of each type. */
export function sampleEvents(): ClusterEvent[] {
  const launch = sent(
    {
      type: 'LaunchTasks',
      id: 'launch-x',
      agentId: 'a1' as never,
      agentSeq: 1,
      frameworkId: 'fw1' as never,
      framework: { name: 'f', user: 'u', checkpoint: false },
      tasks: [
        {
          taskId: 't1' as never,
          name: 't1',
          agentId: 'a1' as never,
          resources: [{ name: 'cpus', type: 'SCALAR', scalar: 1 }],
          command: { value: 'sleep 1', shell: true },
        },
      ],
    },
    3,
  );
  const kill = sent({ type: 'KillTask', id: 'kill-x', agentId: 'a1' as never, agentSeq: 2, frameworkId: 'fw1' as never, taskId: 't1' as never }, 3);
  const refused = sent(
    {
      type: 'AcceptRefused',
      id: 'refused-x',
      frameworkId: 'fw1' as never,
      acceptId: 'e9',
      code: 'OFFER_UNKNOWN',
      message: 'offer o9 is unknown',
      offerIds: ['o9' as never],
      tasks: [],
    },
    3,
  );
  return [
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-32000];disk(ads):10;x:{a,b}' }),
    agentReregistered({ agentId: 'a1', tasks: [{ frameworkId: 'fw1', taskId: 't1', state: 'RUNNING' }], lastCommandSeq: 3 }),
    agentDisconnected({ agentId: 'a1' }),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't.1', state: 'RUNNING', uuid: 'u1' }),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'LOST', epoch: 3, source: 'SOURCE_MASTER' }),
    frameworkSubscribed({ frameworkId: 'fw1', capabilities: ['GPU_RESOURCES'] }),
    accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1' }], refuseSeconds: 10 }),
    declined({ frameworkId: 'fw1', offerIds: ['o1', 'o2'] }),
    killRequested({ frameworkId: 'fw1', taskId: 't1' }),
    ack({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', uuid: 'u1' }),
    revived({ frameworkId: 'fw1' }),
    suppressed({ frameworkId: 'fw1' }),
    frameworkDisconnected({ frameworkId: 'fw1', epoch: 3 }),
    frameworkRemoved({ frameworkId: 'fw1' }),
    frameworkRemoved({ frameworkId: 'fw1', epoch: 3, reason: 'FAILOVER_TIMEOUT' }),
    leaderElected(3),
    offersCreated({ frameworkId: 'fw1', epoch: 3, offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096', expiresAt: 5 }),
    offersRescinded({ frameworkId: 'fw1', epoch: 3, offerIds: ['o1'] }),
    refused,
    launch,
    kill,
    agentRemoved({ agentId: 'a1', epoch: 3 }),
  ];
}

