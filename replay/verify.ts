/**
 * Invariants over the whole history, checked while folding the log with the kernel's own `evolve`:
 *
 * - OVER_COMMIT: no agent ever has more used + offered than it has (after every event).
 * - LAUNCHED_TWICE: no task is in two launch commands that took effect, and no agent ran a task in
 *   two containers (two different container ids reported for it).
 * - ILLEGAL_TRANSITION: the states an agent reports for a task follow Mesos's task state machine
 *   (nothing after a terminal state; never back to STARTING once RUNNING; never STAGING).
 * - LAUNCH_NOT_DELIVERED (at the end): every task the master created reached its agent (some agent
 *   status) or was written off by the master.
 * - With `quiescent` (a run that is over): NOT_TERMINAL for tasks still live, UNACKNOWLEDGED for
 *   updates never acknowledged.
 *
 * Decisions of a stale epoch are counted (the fold ignores them; that is the fencing invariant).
 * The first violations are reported with the sequence numbers that show them.
 */
import type { AgentId, ClusterEvent, TaskKey, TaskStateName } from '../events/index.js';
import { epochOf, isTerminal, taskKey } from '../events/index.js';
import { evolve, initialState } from '../kernel/projection.js';
import * as R from '../kernel/resources.js';
import type { State } from '../kernel/state.js';
import { type Bus, headSeq, readLog } from '../kernel/bus.js';

export type InvariantName = 'OVER_COMMIT' | 'LAUNCHED_TWICE' | 'ILLEGAL_TRANSITION' | 'LAUNCH_NOT_DELIVERED' | 'NOT_TERMINAL' | 'UNACKNOWLEDGED';

export interface Violation {
  readonly invariant: InvariantName;
  /** The sequence at which it shows (0 for end-of-log checks). */
  readonly seq: number;
  readonly message: string;
  /** Earlier sequences involved (e.g. the first launch of a task launched twice). */
  readonly related: readonly number[];
}

export interface VerifyReport {
  readonly events: number;
  readonly lastSeq: number;
  readonly staleDecisionsIgnored: number;
  readonly tasksSeen: number;
  readonly violations: readonly Violation[];
  readonly state: State;
}

export interface VerifyOptions {
  /** The run is over: every task must be terminal and every update acknowledged. */
  readonly quiescent?: boolean;
  /** Stop collecting after this many violations. */
  readonly maxViolations?: number;
}

interface TaskTrack {
  launchSeq?: number;
  lastAgentState?: TaskStateName;
  lastAgentSeq?: number;
  containers: Map<string, number>;
  reachedAgent: boolean;
}

const RUNNING_OR_LATER: ReadonlySet<TaskStateName> = new Set(['TASK_RUNNING', 'TASK_KILLING']);

export function agentTransitionLegal(from: TaskStateName | undefined, to: TaskStateName): boolean {
  if (to === 'TASK_STAGING') return false;
  if (from === undefined || from === to) return true;
  if (isTerminal(from)) return false;
  if (RUNNING_OR_LATER.has(from) && to === 'TASK_STARTING') return false;
  return true;
}

export class Verifier {
  private state: State = initialState();
  private readonly tasks = new Map<TaskKey, TaskTrack>();
  private readonly violations: Violation[] = [];
  private events = 0;
  private lastSeq = 0;

  constructor(private readonly o: VerifyOptions = {}) {}

  private track(k: TaskKey): TaskTrack {
    let t = this.tasks.get(k);
    if (t === undefined) {
      t = { containers: new Map(), reachedAgent: false };
      this.tasks.set(k, t);
    }
    return t;
  }

  private violate(v: Violation): void {
    if (this.violations.length < (this.o.maxViolations ?? 50)) this.violations.push(v);
  }

  feed(seq: number, e: ClusterEvent): void {
    this.events++;
    this.lastSeq = seq;
    const before = this.state;
    const epoch = epochOf(e);
    const effective = epoch === undefined || (e.type === 'LeaderElected' ? e.epoch > before.epoch : epoch === before.epoch);
    const outboxHad = e.type === 'LaunchTasks' && before.outbox.get(e.id)?.type === 'LaunchTasks';

    if (e.type === 'LaunchTasks' && effective && outboxHad) {
      for (const info of e.tasks) {
        const t = this.track(taskKey(e.frameworkId, info.taskId));
        if (t.launchSeq !== undefined) {
          this.violate({ invariant: 'LAUNCHED_TWICE', seq, message: `task ${info.taskId} of ${e.frameworkId} is in a second launch command`, related: [t.launchSeq] });
        } else t.launchSeq = seq;
      }
    }
    if (e.type === 'TaskStatusUpdated' && e.epoch === undefined) {
      const s = e.status;
      const k = taskKey(s.frameworkId, s.taskId);
      if (before.tasks.has(k)) {
        const t = this.track(k);
        t.reachedAgent = true;
        if (s.containerId !== undefined) {
          const first = t.containers.size === 0 ? undefined : [...t.containers.values()][0];
          if (!t.containers.has(s.containerId)) {
            if (first !== undefined) this.violate({ invariant: 'LAUNCHED_TWICE', seq, message: `task ${s.taskId} of ${s.frameworkId} runs in a second container ${s.containerId}`, related: [first] });
            t.containers.set(s.containerId, seq);
          }
        }
        const isRetry = s.uuid !== undefined && before.tasks.get(k)!.statuses.some((r) => r.uuid === s.uuid);
        if (!isRetry) {
          if (!agentTransitionLegal(t.lastAgentState, s.state)) {
            this.violate({
              invariant: 'ILLEGAL_TRANSITION',
              seq,
              message: `task ${s.taskId} of ${s.frameworkId} went ${t.lastAgentState} → ${s.state}`,
              related: t.lastAgentSeq !== undefined ? [t.lastAgentSeq] : [],
            });
          }
          t.lastAgentState = s.state;
          t.lastAgentSeq = seq;
        }
      }
    }

    this.state = evolve(this.state, e);

    for (const agentId of touchedAgents(e, before)) {
      const a = this.state.agents.get(agentId);
      if (a === undefined) continue;
      const held = R.add(a.used, a.offered);
      if (!R.contains(a.resources, held)) {
        this.violate({ invariant: 'OVER_COMMIT', seq, message: `agent ${agentId} holds ${R.format(held)} of ${R.format(a.resources)}`, related: [] });
      }
    }
  }

  finish(): VerifyReport {
    const s = this.state;
    for (const [k, t] of s.tasks) {
      const tr = this.tasks.get(k);
      const writtenOff = t.statuses.some((r) => r.source === 'SOURCE_MASTER' && r.state !== 'TASK_STAGING');
      if (!(tr?.reachedAgent ?? false) && !writtenOff && t.launchSeq <= (s.agents.get(t.agentId)?.commandSeq ?? 0) && this.o.quiescent) {
        this.violate({ invariant: 'LAUNCH_NOT_DELIVERED', seq: 0, message: `task ${t.taskId} of ${t.frameworkId} never reached agent ${t.agentId}`, related: tr?.launchSeq !== undefined ? [tr.launchSeq] : [] });
      }
      if (this.o.quiescent && !isTerminal(t.state)) {
        this.violate({ invariant: 'NOT_TERMINAL', seq: 0, message: `task ${t.taskId} of ${t.frameworkId} is still ${t.state}`, related: [] });
      }
      if (this.o.quiescent && t.unacknowledged !== null) {
        this.violate({ invariant: 'UNACKNOWLEDGED', seq: 0, message: `the ${t.state} update of task ${t.taskId} (${t.frameworkId}) was never acknowledged`, related: [] });
      }
    }
    return {
      events: this.events,
      lastSeq: this.lastSeq,
      staleDecisionsIgnored: s.counters.staleDecisionsIgnored,
      tasksSeen: this.tasks.size,
      violations: [...this.violations],
      state: s,
    };
  }
}

/** The agents whose holdings an event can change (all of them for the few that touch many). */
function touchedAgents(e: ClusterEvent, before: State): Iterable<AgentId> {
  switch (e.type) {
    case 'OffersCreated':
      return e.offers.map((o) => o.agentId);
    case 'OffersAccepted':
    case 'OffersDeclined':
    case 'OffersRescinded':
      return e.offerIds.flatMap((id) => {
        const o = before.offers.get(id);
        return o ? [o.agentId] : [];
      });
    case 'TaskStatusUpdated':
      return [e.status.agentId];
    case 'AgentRegistered':
    case 'AgentReregistered':
    case 'AgentRemoved':
    case 'AgentDisconnected':
      return [e.agentId];
    case 'StatusAcknowledged':
      return [e.agentId];
    case 'FrameworkRemoved':
    case 'FrameworkDisconnected':
    case 'FrameworkSubscribed': {
      const f = before.frameworks.get(e.frameworkId);
      if (f === undefined) return [];
      const agents = new Set<AgentId>();
      for (const id of f.offerIds) {
        const o = before.offers.get(id);
        if (o) agents.add(o.agentId);
      }
      for (const k of f.taskKeys) {
        const t = before.tasks.get(k);
        if (t) agents.add(t.agentId);
      }
      return agents;
    }
    case 'LeaderElected':
      return before.agents.keys();
    default:
      return [];
  }
}

/** Verify the whole log (or up to `toSeq`), reading only. */
export async function verifyLog(bus: Bus, o: VerifyOptions & { toSeq?: number } = {}): Promise<VerifyReport & { malformed: number }> {
  const v = new Verifier(o);
  let malformed = 0;
  const head = await headSeq(bus.jsm);
  const to = Math.min(o.toSeq ?? head, head);
  if (to > 0) {
    for await (const entry of readLog(bus, { fromSeq: 1, toSeq: to })) {
      if (entry.decoded.ok) v.feed(entry.seq, entry.decoded.event);
      else malformed++;
      if (entry.seq >= to) break;
    }
  }
  return { ...v.finish(), malformed };
}
