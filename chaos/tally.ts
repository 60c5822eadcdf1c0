/**
 * The workload's own account of its tasks, from what it launched and the status updates it got
 * (pure: fed events, asked for counts).
 *
 * - launched: distinct tasks the framework sent a launch for (a launch refused before it took
 *   effect, REASON_INVALID_OFFERS after a failover rescinded the offer, is sent again and counts once);
 * - finished: tasks that reached TASK_FINISHED;
 * - lost: tasks that ended in any other terminal state, or never ended;
 * - duplicated: tasks that ran in two containers (or on two agents), or finished twice with
 *   different update uuids (the same update delivered twice after a failover is not a duplicate).
 */
import type { TaskStatus } from '../events/index.js';
import { isTerminal } from '../events/index.js';

export interface TaskCounts {
  readonly launched: number;
  readonly finished: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Not terminal yet (counted as lost when the run ends). */
  readonly open: number;
  /** Launches refused before they took effect, and sent again. */
  readonly relaunched: number;
}

interface Track {
  terminal?: TaskStatus;
  readonly containers: Set<string>;
  readonly agents: Set<string>;
  readonly finishedUuids: Set<string>;
}

const RUNS: ReadonlySet<string> = new Set(['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING']);

export class TaskTally {
  private readonly tasks = new Map<string, Track>();
  private relaunches = 0;
  /** Terminal updates other than FINISHED, kept for the report. */
  readonly failures: TaskStatus[] = [];

  launched(taskId: string): void {
    if (!this.tasks.has(taskId)) this.tasks.set(taskId, { containers: new Set(), agents: new Set(), finishedUuids: new Set() });
  }

  /** Returns true when the update says the launch never took effect and the task should be sent again. */
  update(u: TaskStatus): boolean {
    const t = this.tasks.get(u.taskId);
    if (t === undefined) return false; // not ours
    if (RUNS.has(u.state)) {
      if (u.containerId !== undefined) t.containers.add(u.containerId);
      t.agents.add(u.agentId);
    }
    if (u.state === 'TASK_FINISHED') {
      t.finishedUuids.add(u.uuid ?? `no-uuid-${t.finishedUuids.size}`);
      t.terminal = u;
      return false;
    }
    if (!isTerminal(u.state)) return false;
    if (u.reason === 'REASON_INVALID_OFFERS' && t.terminal === undefined && t.agents.size === 0) {
      this.relaunches++;
      return true;
    }
    if (t.terminal === undefined) {
      t.terminal = u;
      this.failures.push(u);
    }
    return false;
  }

  isOpen(taskId: string): boolean {
    return this.tasks.get(taskId)?.terminal === undefined;
  }

  counts(): TaskCounts {
    let finished = 0;
    let failed = 0;
    let open = 0;
    let duplicated = 0;
    for (const t of this.tasks.values()) {
      if (t.terminal === undefined) open++;
      else if (t.terminal.state === 'TASK_FINISHED') finished++;
      else failed++;
      if (t.containers.size > 1 || t.agents.size > 1 || t.finishedUuids.size > 1) duplicated++;
    }
    return { launched: this.tasks.size, finished, lost: failed + open, duplicated, open, relaunched: this.relaunches };
  }
}
