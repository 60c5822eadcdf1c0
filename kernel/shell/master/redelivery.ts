/**
 * Re-delivery of unacknowledged status updates, by the leader.
 *
 * In Mesos the agent keeps an update and re-sends it to the framework, with backoff (10 s doubling
 * to 10 min), until the framework acknowledges it. Here the log keeps the update, and a framework
 * reads it from there once; if it does not acknowledge it (it missed it, crashed before acting on
 * it, or lost it in a failover), the leader delivers it again — the oldest unacknowledged update
 * of each task, exactly as it was first sent (as Mesos, a task's next update is sent only once the
 * one before it is acknowledged) — on the same backoff: first `minMs` after
 * the oldest was folded, then twice as long each time, up to `maxMs`. Re-delivery is not a fact: nothing is
 * appended to the log. An HTTP framework gets an UPDATE on its subscription stream; a native SDK
 * framework gets the status on `live.fw.<frameworkId>.update` (core NATS, not stored), which the
 * SDK merges into `updates$`. A new update of the task, or its acknowledgement, resets or ends the
 * schedule. A new leader starts every schedule afresh (from the state it folded).
 *
 * The schedule is pure bookkeeping (`noteEvent`, `due`); the leader's shell calls `due` on a timer
 * and sends.
 */
import type { ClusterEvent, FrameworkId, TaskKey, TaskStatus } from '../../../events/index.js';
import { taskKey } from '../../../events/index.js';
import type { State, TaskState } from '../../core/state.js';

/** Mesos's agent: STATUS_UPDATE_RETRY_INTERVAL_MIN / _MAX. */
export const DEFAULT_RETRY_MIN_MS = 10_000;
export const DEFAULT_RETRY_MAX_MS = 600_000;

export interface RedeliveryOptions {
  readonly minMs: number;
  readonly maxMs: number;
}

interface Entry {
  /** The oldest unacknowledged update when the schedule was (re)started: a change restarts it. */
  uuid: string;
  dueAt: number;
  intervalMs: number;
}

/** The updates of a task that await their acknowledgement, oldest first, as the framework was told them. */
export function unacknowledgedStatuses(t: TaskState): TaskStatus[] {
  const out: TaskStatus[] = [];
  for (const uuid of t.unacknowledged) {
    const r = t.statuses.find((x) => x.uuid === uuid);
    if (r !== undefined) out.push(statusOf(t, r));
  }
  return out;
}

function statusOf(t: TaskState, r: TaskState['statuses'][number]): TaskStatus {
  return {
    agentId: t.agentId,
    frameworkId: t.frameworkId,
    taskId: t.taskId,
    ...(r.executorId !== undefined ? { executorId: r.executorId } : t.executorId !== undefined ? { executorId: t.executorId } : {}),
    state: r.state,
    source: r.source,
    timestamp: r.timestamp,
    uuid: r.uuid,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.message !== undefined ? { message: r.message } : {}),
    ...(r.healthy !== undefined ? { healthy: r.healthy } : {}),
    ...(r.checkStatus !== undefined ? { checkStatus: r.checkStatus } : {}),
    ...(r.containerId !== undefined ? { containerId: r.containerId } : {}),
  };
}

export class RedeliverySchedule {
  private readonly entries = new Map<TaskKey, Entry>();

  constructor(private readonly o: RedeliveryOptions) {}

  /** Start over from a state (a new leader): every unacknowledged update is due after minMs. */
  seed(state: State, now: number): void {
    this.entries.clear();
    for (const t of state.tasks.values()) {
      const oldest = t.unacknowledged[0];
      if (oldest !== undefined) this.entries.set(t.key, { uuid: oldest, dueAt: now + this.o.minMs, intervalMs: this.o.minMs });
    }
  }

  /** After `e` was folded into `state`. */
  noteEvent(e: ClusterEvent, state: State, now: number): void {
    if (e.type === 'TaskStatusUpdated' || e.type === 'StatusAcknowledged') {
      const key = e.type === 'TaskStatusUpdated' ? taskKey(e.status.frameworkId, e.status.taskId) : taskKey(e.frameworkId, e.taskId);
      const t = state.tasks.get(key);
      const oldest = t?.unacknowledged[0];
      if (oldest === undefined) {
        this.entries.delete(key);
        return;
      }
      const cur = this.entries.get(key);
      if (cur === undefined || cur.uuid !== oldest) this.entries.set(key, { uuid: oldest, dueAt: now + this.o.minMs, intervalMs: this.o.minMs });
    } else if (e.type === 'FrameworkRemoved') {
      for (const key of [...this.entries.keys()]) if (key.startsWith(`${e.frameworkId}/`)) this.entries.delete(key);
    }
  }

  /**
   * The updates due now, each with its framework; their next time is pushed back (doubling up to
   * maxMs). Entries whose task was acknowledged or is gone are dropped. Frameworks that are not
   * connected (INACTIVE) are skipped without pushing back (they get everything when they return).
   */
  due(state: State, now: number): Array<{ frameworkId: FrameworkId; status: TaskStatus }> {
    const out: Array<{ frameworkId: FrameworkId; status: TaskStatus }> = [];
    for (const [key, e] of this.entries) {
      if (e.dueAt > now) continue;
      const t = state.tasks.get(key);
      if (t === undefined || t.unacknowledged[0] !== e.uuid) {
        this.entries.delete(key);
        continue;
      }
      if (state.frameworks.get(t.frameworkId)?.status !== 'ACTIVE') continue;
      const statuses = unacknowledgedStatuses(t);
      if (statuses.length === 0) {
        this.entries.delete(key);
        continue;
      }
      // As Mesos: only the oldest is owed now; the next goes out when this one is acknowledged.
      out.push({ frameworkId: t.frameworkId, status: statuses[0]! });
      e.intervalMs = Math.min(e.intervalMs * 2, this.o.maxMs);
      e.dueAt = now + e.intervalMs;
    }
    return out;
  }

  size(): number {
    return this.entries.size;
  }
}
