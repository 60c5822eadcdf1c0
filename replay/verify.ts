/**
 * Invariants over the whole history, checked while folding the log with the kernel's own `evolve`
 * (always from the first event: a snapshot would hide what came before it).
 *
 * - OVER_COMMIT: no agent ever holds more (used + offered) than it has, after any event.
 * - OFFERED_TWICE: no resource is in two outstanding offers at once, or offered while a task holds
 *   it (ports and sets compared item by item; scalars are covered by OVER_COMMIT).
 * - ILLEGAL_TRANSITION: the states an agent reports for a task follow Mesos's task state machine
 *   (nothing after a terminal state; never back to STARTING once RUNNING; never STAGING), and so do
 *   the states the fold gives a task (the master's own write-offs included).
 * - LAUNCHED_TWICE: no task is in two launch commands that took effect, or runs in two containers.
 * - LAUNCH_NOT_DELIVERED: every task an accepted launch created reached its agent (the agent
 *   reported it) or was written off by the master (lost, unreachable, killed with its framework)
 *   — checked at the end for launches older than `graceMs` (all of them with `quiescent`).
 * - STALE_EPOCH_EFFECT: a decision of a stale epoch changed nothing in the fold (the state is
 *   compared before and after it), and no agent ran a task that only a stale command launched.
 * - UNACKNOWLEDGED: every status update with a uuid was acknowledged, or can still be (its task
 *   is live and still awaits it); updates of a removed framework need none. With
 *   `quiescent`, pending ones count too.
 * - NOT_TERMINAL (with `quiescent`): every task is terminal.
 *
 * Provenance (a forged event that got into the log is found):
 * - UNBACKED_LAUNCH: every launch command that took effect is one the fold owed — an accepted
 *   offer's launch, exactly as the fold drafted it (same id, agent, agentSeq, framework, tasks and
 *   their commands) — or a repeat of one; a launch no accept stands behind, or one that changes
 *   what was accepted, is flagged.
 * - NOT_LEASE_HOLDER: every decision carries the epoch of the election in force where it sits. A
 *   decision of an epoch no LeaderElected stands behind (higher than the current one, or one never
 *   elected) is flagged; one of a deposed epoch only if it comes later than `staleGraceMs` after the
 *   election that deposed it (a late write in flight when the lead changed hands is expected).
 * - STATUS_FROM_STRANGER: every status update about a task comes from the agent the task was
 *   launched on (the agent named by the subject it was appended on, `cl.agent.<id>.status.*`).
 * - SEQUENCE_GAP: the log starts at sequence 1 and no sequence is missing (a purge, a deleted
 *   message, a truncated export).
 */
import { serialize } from 'node:v8';
import type { AgentId, ClusterEvent, Resources, TaskKey, TaskStateName } from '../events/index.js';
import { epochOf, isTerminal, operationTasks, taskKey } from '../events/index.js';
import { evolve as kernelEvolve, initialState } from '../kernel/core/fold/index.js';
import * as R from '../kernel/core/resources.js';
import type { State } from '../kernel/core/state.js';
import { type Bus, headSeq } from '../kernel/shell/bus.js';
import { type LogSource, busSource } from './source.js';
import { type ProgressOutput, startProgress } from './progress.js';

export type InvariantName =
  | 'OVER_COMMIT'
  | 'OFFERED_TWICE'
  | 'ILLEGAL_TRANSITION'
  | 'LAUNCHED_TWICE'
  | 'LAUNCH_NOT_DELIVERED'
  | 'STALE_EPOCH_EFFECT'
  | 'UNACKNOWLEDGED'
  | 'NOT_TERMINAL'
  | 'UNBACKED_LAUNCH'
  | 'NOT_LEASE_HOLDER'
  | 'STATUS_FROM_STRANGER'
  | 'SEQUENCE_GAP';

export const INVARIANTS: readonly InvariantName[] = [
  'OVER_COMMIT',
  'OFFERED_TWICE',
  'ILLEGAL_TRANSITION',
  'LAUNCHED_TWICE',
  'LAUNCH_NOT_DELIVERED',
  'STALE_EPOCH_EFFECT',
  'UNACKNOWLEDGED',
  'NOT_TERMINAL',
  'UNBACKED_LAUNCH',
  'NOT_LEASE_HOLDER',
  'STATUS_FROM_STRANGER',
  'SEQUENCE_GAP',
];

/** Where an entry sits in the log, besides its sequence (what a source knows of it). */
export interface EntryMeta {
  /** The subject it was appended on. */
  readonly subject?: string;
  /** When the log stored it (ms since the epoch; 0 or absent: unknown). */
  readonly storedAt?: number;
}

/** A JSON text with object keys sorted, so that two equal values compare equal whatever their key order. */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

/**
 * What a launch command must match of the launch the fold drafted: where it goes, in which order,
 * for whom, and what it runs. (`role` is left out: older builds did not write it, and the agent
 * does not act on it.)
 */
function launchBody(e: Record<string, unknown>): string {
  return canonicalJson([e.id, e.agentId, e.agentSeq, e.frameworkId, e.framework, e.executor ?? null, e.tasks]);
}

export interface Violation {
  readonly invariant: InvariantName;
  /** The sequence at which it shows (the end of the log for end-of-log checks). */
  readonly seq: number;
  readonly message: string;
  /** Earlier sequences involved (e.g. the first launch of a task launched twice). */
  readonly related: readonly number[];
}

export interface VerifyReport {
  readonly events: number;
  readonly lastSeq: number;
  readonly staleDecisionsIgnored: number;
  /** The sequences of the first stale decisions (context for an auditor). */
  readonly staleDecisionSeqs: readonly number[];
  readonly tasksSeen: number;
  /** Updates awaiting acknowledgement at the end (not violations unless quiescent). */
  readonly pendingAcknowledgements: number;
  /** Launches younger than the grace period at the end, not yet delivered (not violations unless quiescent). */
  readonly launchesInFlight: number;
  readonly violations: readonly Violation[];
  /** Stopped at the first violation (the rest of the log was not read). */
  readonly stoppedEarly: boolean;
  readonly state: State;
}

export interface VerifyOptions {
  /** The run is over: every task must be terminal, every update acknowledged, every launch delivered. */
  readonly quiescent?: boolean;
  /** Stop collecting after this many violations (default 50). */
  readonly maxViolations?: number;
  /** A launch may be in flight this long (event time) before the end of the log (default 5 min). */
  readonly graceMs?: number;
  /** The fold to check (tests pass a broken one to prove the checks bite). */
  readonly evolve?: (s: State, e: ClusterEvent) => State;
  /** Compare the whole state around this many stale decisions (then a cheaper summary; default 100). */
  readonly fullStaleChecks?: number;
  /** A deposed leader's decision may land this long after the election that deposed it (default 30 s). */
  readonly staleGraceMs?: number;
}

interface TaskTrack {
  launchSeq?: number;
  lastAgentState?: TaskStateName;
  lastAgentSeq?: number;
  containers: Map<string, number>;
}

interface Launch {
  readonly seq: number;
  readonly time: number;
  readonly agentId: AgentId;
  commandSeq?: number;
}

const RUNNING_OR_LATER: ReadonlySet<TaskStateName> = new Set(['TASK_RUNNING', 'TASK_KILLING']);

/** Mesos's task state machine, as an agent reports it. */
export function agentTransitionLegal(from: TaskStateName | undefined, to: TaskStateName): boolean {
  if (to === 'TASK_STAGING') return false;
  if (from === undefined || from === to) return true;
  if (isTerminal(from)) return false;
  if (RUNNING_OR_LATER.has(from) && to === 'TASK_STARTING') return false;
  return true;
}

/**
 * The same, for the states the master records: it may also write a task off (UNREACHABLE, LOST)
 * and bring it back when its agent returns with the truth.
 */
export function foldTransitionLegal(from: TaskStateName, to: TaskStateName): boolean {
  if (from === to) return true;
  if (from === 'TASK_UNREACHABLE' || from === 'TASK_LOST') return to !== 'TASK_STAGING';
  return agentTransitionLegal(from, to);
}

/** What two lists have in common in their ranges and sets (scalars are not compared). */
function overlap(a: Resources, b: Resources): string[] {
  const out: string[] = [];
  for (const x of a) {
    if (x.type === 'SCALAR') continue;
    for (const y of b) {
      if (y.type !== x.type || R.resourceKey(x) !== R.resourceKey(y)) continue;
      if (x.type === 'RANGES' && y.type === 'RANGES') {
        for (const [b1, e1] of x.ranges) for (const [b2, e2] of y.ranges) if (b1 <= e2 && b2 <= e1) out.push(`${x.name} [${Math.max(b1, b2)}-${Math.min(e1, e2)}]`);
      } else if (x.type === 'SET' && y.type === 'SET') {
        const ys = new Set(y.set);
        for (const item of x.set) if (ys.has(item)) out.push(`${x.name} {${item}}`);
      }
    }
  }
  return out;
}

export class Verifier {
  private state: State = initialState();
  private readonly tasks = new Map<TaskKey, TaskTrack>();
  /** Tasks created by accepted launches, not yet delivered or written off. */
  private readonly undelivered = new Map<TaskKey, Launch>();
  /** Tasks named only by a stale launch command that the fold did not owe. */
  private readonly staleOnly = new Map<TaskKey, number>();
  /** Updates with a uuid not yet acknowledged: uuid → where. */
  private readonly unacked = new Map<string, { seq: number; key: TaskKey }>();
  private readonly violations: Violation[] = [];
  private readonly staleSeqs: number[] = [];
  private staleChecked = 0;
  private events = 0;
  private lastSeq = 0;
  private lastTime = 0;
  /** The next sequence expected (gaps). */
  private nextSeq = 1;
  /** Launches the fold drafted for accepts, not yet seen sent: id → body. */
  private readonly drafted = new Map<string, string>();
  /** Launch ids seen sent as drafted (a repeat of one is not a forgery). */
  private readonly launchesSent = new Set<string>();
  /** Every election that raised the epoch: epoch → when it was stored, and when the next one deposed it. */
  private readonly elections = new Map<number, { at: number; endedAt?: number }>();
  private readonly evolve: (s: State, e: ClusterEvent) => State;

  constructor(private readonly o: VerifyOptions = {}) {
    this.evolve = o.evolve ?? kernelEvolve;
  }

  /** The state folded so far (read only: the verifier folds on into it). */
  get folded(): State {
    return this.state;
  }

  /** Violations so far. */
  get count(): number {
    return this.violations.length;
  }

  private track(k: TaskKey): TaskTrack {
    let t = this.tasks.get(k);
    if (t === undefined) {
      t = { containers: new Map() };
      this.tasks.set(k, t);
    }
    return t;
  }

  private violate(v: Violation): void {
    if (this.violations.length < (this.o.maxViolations ?? 50)) this.violations.push(v);
  }

  /** An entry that is not an event (malformed): only its place in the sequence is checked. */
  skip(seq: number): void {
    this.sequence(seq);
    this.lastSeq = seq;
  }

  private sequence(seq: number): void {
    if (seq > this.nextSeq) {
      this.violate({
        invariant: 'SEQUENCE_GAP',
        seq,
        message: seq - 1 === this.nextSeq ? `sequence ${this.nextSeq} is missing from the log` : `sequences ${this.nextSeq}..${seq - 1} are missing from the log (${seq - this.nextSeq} messages)`,
        related: [],
      });
    }
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
  }

  feed(seq: number, e: ClusterEvent, meta: EntryMeta = {}): void {
    this.sequence(seq);
    this.events++;
    this.lastSeq = seq;
    if (e.time > this.lastTime) this.lastTime = e.time;
    const before = this.state;
    // The fold updates the state in place: what is needed of it from before is read now.
    const epochBefore = before.epoch;
    const epoch = epochOf(e);
    const effective = epoch === undefined || (e.type === 'LeaderElected' ? e.epoch > before.epoch : epoch === before.epoch);
    const owed = e.type === 'LaunchTasks' && before.outbox.get(e.id)?.type === 'LaunchTasks';

    // --- before folding: what the event claims, against the state it meets
    this.provenance(seq, e, before, effective, meta);
    if (e.type === 'LaunchTasks') {
      for (const info of e.tasks) {
        const k = taskKey(e.frameworkId, info.taskId);
        if (effective && owed) {
          const t = this.track(k);
          if (t.launchSeq !== undefined) {
            this.violate({ invariant: 'LAUNCHED_TWICE', seq, message: `task ${info.taskId} of ${e.frameworkId} is in a second launch command`, related: [t.launchSeq] });
          } else t.launchSeq = seq;
          const u = this.undelivered.get(k);
          if (u !== undefined) u.commandSeq = seq;
          this.staleOnly.delete(k);
        } else if (!effective && !owed && !before.tasks.has(k)) {
          // A deposed leader's command for a task this log never created.
          this.staleOnly.set(k, seq);
        }
      }
    }
    if (e.type === 'TaskStatusUpdated' && e.epoch === undefined) this.agentReport(seq, e, before);
    if (e.type === 'AgentReregistered') for (const r of e.tasks) this.undelivered.delete(taskKey(r.frameworkId, r.taskId));
    if (e.type === 'StatusAcknowledged') {
      const p = this.unacked.get(e.uuid);
      if (p !== undefined && p.key === taskKey(e.frameworkId, e.taskId)) this.unacked.delete(e.uuid);
    }

    // Task states the fold may change, and tasks an accept may create.
    const watched = this.watchedTasks(e, before);
    const statesBefore = watched.map((k) => before.tasks.get(k)?.state);
    const created = e.type === 'OffersAccepted' ? e.operations.flatMap((op) => operationTasks(op).map((t) => taskKey(e.frameworkId, t.taskId))).filter((k) => !before.tasks.has(k)) : [];
    const agentsToCheck = [...touchedAgents(e, before)];
    const validBefore = before.counters.validStatusUpdates;
    const staleImage = !effective && this.staleChecked < (this.o.fullStaleChecks ?? 100) ? serialize(before) : null;
    const staleSummary = !effective && staleImage === null ? summary(before) : null;

    this.state = this.evolve(before, e);
    const after = this.state;

    // --- after folding
    if (!effective) {
      if (this.staleSeqs.length < 20) this.staleSeqs.push(seq);
      // Nothing but the counter of ignored decisions may move.
      after.counters.staleDecisionsIgnored--;
      const same = staleImage !== null ? Buffer.from(staleImage).equals(serialize(after)) : staleSummary === summary(after);
      after.counters.staleDecisionsIgnored++;
      if (staleImage !== null) this.staleChecked++;
      if (!same) {
        this.violate({ invariant: 'STALE_EPOCH_EFFECT', seq, message: `${e.type} of epoch ${epoch} changed the state although epoch ${before.epoch === after.epoch ? after.epoch : `${before.epoch}`} leads`, related: [] });
      }
    }
    watched.forEach((k, i) => {
      const from = statesBefore[i];
      const t = after.tasks.get(k) ?? undefined;
      const to = t?.state ?? this.completedState(after, k);
      if (from !== undefined && to !== undefined && !foldTransitionLegal(from, to)) {
        this.violate({ invariant: 'ILLEGAL_TRANSITION', seq, message: `the fold moved task ${k} ${from} → ${to}`, related: [] });
      }
      // Written off by the master (not an agent report): the launch is accounted for.
      if (to !== undefined && to !== from && e.type !== 'TaskStatusUpdated' && (isTerminal(to) || to === 'TASK_UNREACHABLE')) this.undelivered.delete(k);
    });
    for (const k of created) {
      const t = after.tasks.get(k);
      if (t !== undefined) this.undelivered.set(k, { seq, time: e.time, agentId: t.agentId });
    }
    if (e.type === 'TaskStatusUpdated' && e.epoch === undefined && e.status.uuid !== undefined && after.counters.validStatusUpdates > validBefore) {
      // Applied by the fold (not a retry, not refused): it awaits an acknowledgement.
      this.unacked.set(e.status.uuid, { seq, key: taskKey(e.status.frameworkId, e.status.taskId) });
    }
    if (e.type === 'FrameworkRemoved' && effective) {
      // Nobody is left to acknowledge them.
      for (const [uuid, p] of this.unacked) if (p.key.startsWith(`${e.frameworkId}/`)) this.unacked.delete(uuid);
    }

    for (const agentId of agentsToCheck) {
      const a = after.agents.get(agentId);
      if (a === undefined) continue;
      const held = R.add(a.used, a.offered);
      if (!R.contains(a.resources, held)) {
        this.violate({ invariant: 'OVER_COMMIT', seq, message: `agent ${agentId} holds ${R.format(held)} of ${R.format(a.resources)}`, related: [] });
      }
    }
    if (e.type === 'OffersCreated' && effective) this.offeredTwice(seq, e, after);
    if (e.type === 'OffersAccepted') {
      // The launches this accept owes, as drafted: what a launch command must be to be backed by it.
      for (let i = 0; ; i++) {
        const id = i === 0 ? `launch-${e.id}` : `launch-${e.id}-${i}`;
        const d = after.outbox.get(id);
        if (d?.type !== 'LaunchTasks') break;
        if (!this.drafted.has(id) && !this.launchesSent.has(id)) this.drafted.set(id, launchBody(d as unknown as Record<string, unknown>));
      }
    }
    if (e.type === 'LeaderElected' && effective) {
      const at = meta.storedAt !== undefined && meta.storedAt > 0 ? meta.storedAt : e.time;
      const prev = this.elections.get(epochBefore);
      if (prev !== undefined) prev.endedAt = at;
      this.elections.set(e.epoch, { at });
    }
  }

  /** Who may have appended this event, by its epoch, its subject and what it claims. */
  private provenance(seq: number, e: ClusterEvent, before: State, effective: boolean, meta: EntryMeta): void {
    const epoch = epochOf(e);
    if (epoch !== undefined && e.type !== 'LeaderElected' && !effective) {
      const elected = this.elections.get(epoch);
      if (epoch > before.epoch || elected === undefined) {
        this.violate({ invariant: 'NOT_LEASE_HOLDER', seq, message: `${e.type} ${e.id} carries epoch ${epoch}, which no LeaderElected in the log stands behind (epoch ${before.epoch} leads)`, related: [] });
      } else {
        const at = meta.storedAt !== undefined && meta.storedAt > 0 ? meta.storedAt : e.time;
        const late = elected.endedAt !== undefined ? at - elected.endedAt : 0;
        if (late > (this.o.staleGraceMs ?? 30_000)) {
          this.violate({
            invariant: 'NOT_LEASE_HOLDER',
            seq,
            message: `${e.type} ${e.id} of epoch ${epoch} came ${Math.round(late / 1000)} s after that leader was deposed (epoch ${before.epoch} leads): not a late write in flight`,
            related: [],
          });
        }
      }
    }
    if (e.type === 'LaunchTasks' && effective) {
      const body = this.drafted.get(e.id);
      if (body !== undefined && body === launchBody(e as unknown as Record<string, unknown>)) {
        this.drafted.delete(e.id);
        this.launchesSent.add(e.id);
      } else if (!(body === undefined && this.launchesSent.has(e.id))) {
        this.violate({
          invariant: 'UNBACKED_LAUNCH',
          seq,
          message:
            body === undefined
              ? `launch ${e.id} of ${e.tasks.map((t) => t.taskId).join(', ')} on agent ${e.agentId} has no accepted offer behind it`
              : `launch ${e.id} on agent ${e.agentId} is not the launch its accept owed (its tasks, commands or place differ)`,
          related: [],
        });
      }
    }
    if (e.type === 'TaskStatusUpdated' && e.epoch === undefined) {
      const s = e.status;
      const from = meta.subject !== undefined ? agentOfSubject(meta.subject) : s.agentId;
      const t = before.tasks.get(taskKey(s.frameworkId, s.taskId));
      if (t !== undefined && (from !== t.agentId || s.agentId !== t.agentId)) {
        this.violate({
          invariant: 'STATUS_FROM_STRANGER',
          seq,
          message: `a ${s.state} of task ${s.taskId} of ${s.frameworkId}, which runs on agent ${t.agentId}, came from ${from === undefined ? `subject ${meta.subject}` : `agent ${from}`}`,
          related: this.tasks.get(taskKey(s.frameworkId, s.taskId))?.launchSeq !== undefined ? [this.tasks.get(taskKey(s.frameworkId, s.taskId))!.launchSeq!] : [],
        });
      }
    }
  }

  private agentReport(seq: number, e: Extract<ClusterEvent, { type: 'TaskStatusUpdated' }>, before: State): void {
    const s = e.status;
    const k = taskKey(s.frameworkId, s.taskId);
    const stale = this.staleOnly.get(k);
    if (stale !== undefined && !before.tasks.has(k)) {
      this.violate({ invariant: 'STALE_EPOCH_EFFECT', seq, message: `agent ${s.agentId} reports task ${s.taskId} of ${s.frameworkId}, which only a stale leader's command launched`, related: [stale] });
      this.staleOnly.delete(k);
    }
    const known = before.tasks.get(k);
    // Unknown, or from another agent than the task's (STATUS_FROM_STRANGER): the fold ignores it, and so do the agent's tracks.
    if (known === undefined || known.agentId !== s.agentId) return;
    this.undelivered.delete(k);
    const t = this.track(k);
    if (s.containerId !== undefined && !t.containers.has(s.containerId)) {
      const first = t.containers.size === 0 ? undefined : [...t.containers.values()][0];
      if (first !== undefined) this.violate({ invariant: 'LAUNCHED_TWICE', seq, message: `task ${s.taskId} of ${s.frameworkId} runs in a second container ${s.containerId}`, related: [first] });
      t.containers.set(s.containerId, seq);
    }
    const isRetry = s.uuid !== undefined && known.statuses.some((r) => r.uuid === s.uuid);
    if (isRetry) return;
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

  /** Tasks whose state this event may change. */
  private watchedTasks(e: ClusterEvent, s: State): TaskKey[] {
    switch (e.type) {
      case 'TaskStatusUpdated':
        return e.epoch === undefined ? [taskKey(e.status.frameworkId, e.status.taskId)] : [];
      case 'AgentRemoved':
      case 'AgentReregistered':
        return [...(s.agents.get(e.agentId)?.taskKeys ?? [])];
      case 'FrameworkRemoved':
        return [...(s.frameworks.get(e.frameworkId)?.taskKeys ?? [])];
      default:
        return [];
    }
  }

  /** The state of a task that has just left the live set (it is last in its framework's completed list). */
  private completedState(s: State, k: TaskKey): TaskStateName | undefined {
    const fw = k.slice(0, k.indexOf('/'));
    const f = s.frameworks.get(fw as never) ?? s.completedFrameworks.at(-1);
    return f?.completedTasks.findLast((t) => t.key === k)?.state;
  }

  private offeredTwice(seq: number, e: Extract<ClusterEvent, { type: 'OffersCreated' }>, s: State): void {
    for (const agentId of new Set(e.offers.map((o) => o.agentId))) {
      const a = s.agents.get(agentId);
      if (a === undefined) continue;
      const offers = [...a.offerIds].flatMap((id) => {
        const o = s.offers.get(id);
        return o ? [o] : [];
      });
      const fresh = offers.filter((o) => o.createdAt === e.time && e.offers.some((x) => x.offerId === o.id));
      for (const o of fresh) {
        const withUsed = overlap(o.resources, a.used);
        if (withUsed.length > 0) this.violate({ invariant: 'OFFERED_TWICE', seq, message: `offer ${o.id} on agent ${agentId} holds ${withUsed.join(', ')}, which tasks already use`, related: [] });
        for (const other of offers) {
          if (other.id === o.id) continue;
          const both = overlap(o.resources, other.resources);
          if (both.length > 0) this.violate({ invariant: 'OFFERED_TWICE', seq, message: `offers ${other.id} and ${o.id} on agent ${agentId} both hold ${both.join(', ')}`, related: [] });
        }
      }
    }
  }

  /** The report as of what was fed so far, while feeding may go on (its end-of-log checks are not kept). */
  reportSoFar(): VerifyReport {
    const kept = this.violations.length;
    const r = this.finish();
    this.violations.length = kept;
    return r;
  }

  finish(): VerifyReport {
    const s = this.state;
    const end = this.lastSeq;
    const grace = this.o.graceMs ?? 5 * 60_000;
    let inFlight = 0;
    for (const [k, l] of this.undelivered) {
      if (this.o.quiescent || this.lastTime - l.time > grace) {
        const state = s.tasks.get(k)?.state;
        this.violate({
          invariant: 'LAUNCH_NOT_DELIVERED',
          seq: end,
          message: `task ${k} (launched at seq ${l.seq} on agent ${l.agentId}) never reached its agent${l.commandSeq === undefined ? ' (its launch command is not in the log)' : ''} and was not written off${state ? `; it is still ${state}` : ''}`,
          related: [l.seq, ...(l.commandSeq !== undefined ? [l.commandSeq] : [])],
        });
      } else inFlight++;
    }
    let pending = 0;
    for (const [uuid, p] of this.unacked) {
      const t = s.tasks.get(p.key);
      const stillAcknowledgeable = t !== undefined && t.unacknowledged.includes(uuid);
      if (stillAcknowledgeable && !this.o.quiescent) {
        pending++;
        continue;
      }
      this.violate({
        invariant: 'UNACKNOWLEDGED',
        seq: end,
        message: stillAcknowledgeable ? `update ${uuid} of task ${p.key} was never acknowledged (the run is over)` : `update ${uuid} of task ${p.key} was never acknowledged and no longer can be`,
        related: [p.seq],
      });
    }
    if (this.o.quiescent) {
      for (const t of s.tasks.values()) {
        if (!isTerminal(t.state)) this.violate({ invariant: 'NOT_TERMINAL', seq: end, message: `task ${t.taskId} of ${t.frameworkId} is still ${t.state}`, related: [] });
      }
    }
    return {
      events: this.events,
      lastSeq: this.lastSeq,
      staleDecisionsIgnored: s.counters.staleDecisionsIgnored,
      staleDecisionSeqs: [...this.staleSeqs],
      tasksSeen: this.tasks.size,
      pendingAcknowledgements: pending,
      launchesInFlight: inFlight,
      violations: [...this.violations],
      stoppedEarly: false,
      state: s,
    };
  }
}

/** The agent an agent's report was appended by (`cl.agent.<id>.…`), from its subject. */
function agentOfSubject(subject: string): AgentId | undefined {
  const t = subject.split('.');
  return t[0] === 'cl' && t[1] === 'agent' && t[2] !== undefined ? (t[2] as AgentId) : undefined;
}

/** A cheap summary of a state, for stale decisions past the full comparisons. */
function summary(s: State): string {
  let used = 0;
  for (const a of s.agents.values()) used += a.used.length * 31 + a.offered.length * 17 + a.commandSeq;
  return JSON.stringify([s.epoch, s.counters, s.offers.size, s.tasks.size, s.outbox.size, s.frameworks.size, s.agents.size, used]);
}

/** The agents whose holdings an event can change, read from the state before it is folded. */
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
      return [...before.agents.keys()];
    default:
      return [];
  }
}

export interface VerifyRun {
  /** Stop at the first violation seen while reading (default false: read everything). */
  readonly stopAtFirst?: boolean;
  readonly toSeq?: number;
  readonly progress?: ProgressOutput | null;
}

/** Verify the log of a source from its first event (or up to `toSeq`), reading only. */
export async function verifySource(source: LogSource, o: VerifyOptions & VerifyRun = {}): Promise<VerifyReport & { malformed: number; ms: number }> {
  const started = performance.now();
  const v = new Verifier(o);
  let malformed = 0;
  const head = await source.head();
  const to = Math.min(o.toSeq ?? head.last, head.last);
  const progress = startProgress(o.progress ?? null, { label: 'verifying', from: 1, to });
  let stopped = false;
  if (to > 0) {
    for await (const entry of source.read({ from: 1, to })) {
      progress.tick(entry.seq);
      if (entry.decoded.ok) v.feed(entry.seq, entry.decoded.event, { subject: entry.subject, storedAt: entry.storedAt });
      else {
        v.skip(entry.seq);
        malformed++;
      }
      if (o.stopAtFirst === true && v.count > 0) {
        stopped = true;
        break;
      }
    }
  }
  progress.done();
  const report = v.finish();
  return { ...report, stoppedEarly: stopped, malformed, ms: performance.now() - started };
}

/** Verify the whole log (or up to `toSeq`) of a connected bus, reading only. */
export async function verifyLog(bus: Bus, o: VerifyOptions & { toSeq?: number } = {}): Promise<VerifyReport & { malformed: number }> {
  const head = await headSeq(bus.jsm);
  return verifySource(busSource(bus, 'bus', null), { ...o, toSeq: Math.min(o.toSeq ?? head, head) });
}
