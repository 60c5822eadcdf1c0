/**
 * Counters Mesos's master keeps per framework (`master/frameworks/<name>/<id>/calls/…`, `events/…`,
 * `offers/…`, `operations/…`, `tasks/terminal/…`) and per operation type (`master/operations/…`),
 * counted from the cluster log as the follower folds it. Every master folds the same log, so a
 * standby's counts equal the leader's for what both folded; like Mesos's, they start at zero when the
 * process starts (here: at the snapshot it started from).
 */
import { type ClusterEvent, isTerminal } from '../../../events/index.js';

/** Mesos's scheduler call names, as its per-framework `calls/<name>` keys spell them. */
export const CALL_NAMES = [
  'accept', 'accept_inverse_offers', 'acknowledge', 'acknowledge_operation_status', 'decline', 'decline_inverse_offers',
  'kill', 'message', 'reconcile', 'reconcile_operations', 'request', 'revive', 'shutdown', 'subscribe', 'suppress', 'teardown', 'update_framework',
] as const;
export const EVENT_NAMES = ['error', 'failure', 'heartbeat', 'inverse_offers', 'message', 'offers', 'rescind', 'rescind_inverse_offer', 'subscribed', 'update', 'update_operation_status'] as const;
export const OPERATION_NAMES = ['create', 'create_disk', 'destroy', 'destroy_disk', 'grow_volume', 'launch', 'launch_group', 'reserve', 'shrink_volume', 'unreserve'] as const;
export const TERMINAL_NAMES = ['task_dropped', 'task_error', 'task_failed', 'task_finished', 'task_gone', 'task_gone_by_operator', 'task_killed', 'task_lost'] as const;

export interface FrameworkTally {
  readonly calls: Record<string, number>;
  readonly events: Record<string, number>;
  readonly offers: { sent: number; accepted: number; declined: number; rescinded: number };
  readonly operations: Record<string, number>;
  readonly terminal: Record<string, number>;
}

export interface MetricsTally {
  onEvent(e: ClusterEvent): void;
  framework(id: string): FrameworkTally | undefined;
  /** Operations accepted, cluster-wide, by Mesos's lower-case type name (all finish when accepted here). */
  readonly operations: Readonly<Record<string, number>>;
  /** Every framework's tally (removed ones too: Mesos's master/messages_* count them). */
  frameworks(): Iterable<FrameworkTally>;
  /** Agents removed, by the AgentRemoved reason. */
  readonly agentRemovals: Readonly<Record<string, number>>;
}

/** Terminal tasks remembered to ignore re-sent terminal updates of (re-sends come soon after). */
const DONE_BOUND = 100_000;

const zeros = (names: readonly string[]): Record<string, number> => Object.fromEntries(names.map((n) => [n, 0]));

export function createMetricsTally(): MetricsTally {
  const byFw = new Map<string, FrameworkTally>();
  /** Tasks whose terminal update was counted, newest last (a re-sent one counts once); bounded. */
  const done = new Set<string>();
  const operations = zeros(OPERATION_NAMES);
  const agentRemovals: Record<string, number> = {};
  const fw = (id: string): FrameworkTally => {
    let t = byFw.get(id);
    if (t === undefined) {
      t = { calls: zeros(CALL_NAMES), events: zeros(EVENT_NAMES), offers: { sent: 0, accepted: 0, declined: 0, rescinded: 0 }, operations: zeros(OPERATION_NAMES), terminal: zeros(TERMINAL_NAMES) };
      byFw.set(id, t);
    }
    return t;
  };
  return {
    operations,
    agentRemovals,
    framework: (id) => byFw.get(id),
    frameworks: () => byFw.values(),
    onEvent(e) {
      switch (e.type) {
        case 'FrameworkSubscribed': {
          const t = fw(e.frameworkId);
          t.calls['subscribe']!++;
          t.events['subscribed']!++;
          return;
        }
        case 'OffersAccepted': {
          const t = fw(e.frameworkId);
          t.calls['accept']!++;
          t.offers.accepted += e.offerIds.length;
          for (const op of e.operations) {
            const name = op.type.toLowerCase();
            t.operations[name] = (t.operations[name] ?? 0) + 1;
            operations[name] = (operations[name] ?? 0) + 1;
          }
          return;
        }
        case 'OffersDeclined': {
          const t = fw(e.frameworkId);
          t.calls['decline']!++;
          t.offers.declined += e.offerIds.length;
          return;
        }
        case 'TaskKillRequested':
          fw(e.frameworkId).calls['kill']!++;
          return;
        case 'StatusAcknowledged':
          fw(e.frameworkId).calls['acknowledge']!++;
          return;
        case 'OffersRevived':
          fw(e.frameworkId).calls['revive']!++;
          return;
        case 'OffersSuppressed':
          fw(e.frameworkId).calls['suppress']!++;
          return;
        case 'FrameworkRemoved':
          if (e.reason === 'TEARDOWN') fw(e.frameworkId).calls['teardown']!++;
          return;
        case 'OffersCreated': {
          const t = fw(e.frameworkId);
          t.events['offers']!++;
          t.offers.sent += e.offers.length;
          return;
        }
        case 'OffersRescinded': {
          const t = fw(e.frameworkId);
          t.events['rescind']! += e.offerIds.length;
          t.offers.rescinded += e.offerIds.length;
          return;
        }
        case 'TaskStatusUpdated': {
          const s = e.status;
          const t = fw(s.frameworkId);
          t.events['update']!++;
          const key = `${s.frameworkId} ${s.taskId}`;
          if (!isTerminal(s.state) || done.has(key)) return;
          const name = `task_${s.state.slice('TASK_'.length).toLowerCase()}`;
          t.terminal[name] = (t.terminal[name] ?? 0) + 1;
          done.add(key);
          if (done.size > DONE_BOUND) done.delete(done.values().next().value!);
          return;
        }
        case 'AgentRemoved':
          agentRemovals[e.reason] = (agentRemovals[e.reason] ?? 0) + 1;
          return;
        default:
          return;
      }
    },
  };
}
