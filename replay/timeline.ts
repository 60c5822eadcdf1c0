/**
 * The timeline of one task, agent or framework: every event that touched it, with its sequence,
 * the time the log stored it, what it says, and what it did to the thing.
 *
 * Two ways to find them:
 * - fold-aware (the default): the log is folded with `evolve`, and an event is on the timeline if
 *   it names the thing, or if it changed it through the state (the agent removal that made a task
 *   unreachable, the teardown that killed it, the election that rescinded an agent's offers). Each
 *   line says what changed (a task's state, an agent's used resources …), or that the event had no
 *   effect (a stale decision, a refused accept, an update the fold ignored).
 * - direct (`--direct`): only the events on the subjects that carry the id — an agent's facts and
 *   commands, a framework's calls, what it is told and its tasks' statuses — read through a
 *   filtered consumer, so the server skips the rest and a long log is read in a moment; no fold,
 *   so no effects and nothing reached through the state.
 */
import { type AgentId, type ClusterEvent, type FrameworkId, type TaskKey, epochOf, subjects } from '../events/index.js';
import * as R from '../kernel/core/resources.js';
import { initialState } from '../kernel/core/fold/index.js';
import type { State } from '../kernel/core/state.js';
import { describe } from './describe.js';
import { findFramework, findTask } from './lookup.js';
import type { Entry } from './source.js';
import { splitTaskKey, touches } from './touches.js';

export type TimelineTarget =
  | { readonly kind: 'task'; readonly taskId: string; readonly frameworkId?: string | undefined }
  | { readonly kind: 'agent'; readonly agentId: string }
  | { readonly kind: 'framework'; readonly frameworkId: string };

export interface TimelineLine {
  readonly seq: number;
  readonly storedAt: number;
  /** The event's own time (its appender's clock). */
  readonly time: number;
  readonly subject: string;
  readonly type: ClusterEvent['type'];
  readonly summary: string;
  /** The event names the thing (false: it reached it through the state). */
  readonly direct: boolean;
  /** What it did to the thing (fold-aware only; empty: no visible effect). */
  readonly effects: readonly string[];
  /** Why it had no effect, when the fold ignored it. */
  readonly ignored?: string;
  /** The task key, on a task timeline (a task id may exist in several frameworks). */
  readonly task?: string;
  readonly event: ClusterEvent;
}

export const describeTarget = (t: TimelineTarget): string =>
  t.kind === 'task' ? `task ${t.taskId}${t.frameworkId ? ` of framework ${t.frameworkId}` : ''}` : t.kind === 'agent' ? `agent ${t.agentId}` : `framework ${t.frameworkId}`;

type Snap = Record<string, string>;

function snapTask(s: State, k: TaskKey): Snap | null {
  const t = findTask(s, k);
  if (t === undefined) return null;
  return {
    state: t.state,
    agent: t.agentId,
    live: s.tasks.has(k) ? 'live' : 'completed',
    resources: t.holdsResources ? 'held' : 'released',
    awaiting: t.unacknowledged.join(','),
  };
}

function snapAgent(s: State, id: AgentId): Snap | null {
  const a = s.agents.get(id);
  if (a === undefined) return null;
  return {
    status: a.status,
    resources: R.format(a.resources),
    used: R.isEmpty(a.used) ? '(none)' : R.format(a.used),
    offered: R.isEmpty(a.offered) ? '(none)' : R.format(a.offered),
    tasks: String(a.taskKeys.size),
    'last command': String(a.commandSeq),
  };
}

function snapFramework(s: State, id: FrameworkId): Snap | null {
  const f = findFramework(s, id);
  if (f === undefined) return null;
  return {
    status: f.status,
    suppressed: String(f.suppressed),
    roles: f.info.roles.join(','),
    used: R.isEmpty(f.used) ? '(none)' : R.format(f.used),
    offered: R.isEmpty(f.offered) ? '(none)' : R.format(f.offered),
    'live tasks': String(f.taskKeys.size),
    offers: String(f.offerIds.size),
    filters: String(f.filters.size),
  };
}

const shortId = (id: string): string => (/^[0-9a-f-]{36}$/.test(id) ? `${id.slice(0, 8)}…` : id);

function appeared(what: TimelineTarget['kind'], s: Snap): string {
  if (what === 'task') return `created: ${s.state} on agent ${s.agent}`;
  if (what === 'agent') return `registered: ${s.status}, ${s.resources}`;
  return `subscribed: ${s.status}, roles ${s.roles}`;
}

function changes(before: Snap | null, after: Snap | null, what: TimelineTarget['kind']): string[] {
  if (before === null && after === null) return [];
  if (before === null) return [appeared(what, after!)];
  if (after === null) return [`no longer kept by the fold`];
  const out: string[] = [];
  for (const k of Object.keys(after)) {
    const [b, a] = [before[k]!, after[k]!];
    if (b === a) continue;
    if (k === 'awaiting') out.push(a === '' ? 'acknowledged' : `awaits acknowledgement of ${shortId(a)}`);
    else if (k === 'live') out.push(a === 'completed' ? 'moved to the completed tasks' : 'live again');
    else if (k === 'resources' && what === 'task') out.push(a === 'released' ? 'its resources released' : 'its resources held again');
    else out.push(`${k} ${b || '(none)'} → ${a || '(none)'}`);
  }
  return out;
}

/** Why the fold ignores a decision of another epoch (checked before folding it). */
function staleness(s: State, e: ClusterEvent): string | undefined {
  const epoch = epochOf(e);
  if (epoch === undefined) return undefined;
  if (e.type === 'LeaderElected') return e.epoch <= s.epoch ? `ignored: epoch ${e.epoch} does not raise the current ${s.epoch}` : undefined;
  return epoch !== s.epoch ? `ignored: a decision of epoch ${epoch} while epoch ${s.epoch} leads` : undefined;
}

/** Fold-aware matching: feed it every entry with the state before and after folding it. */
export class TimelineCollector {
  readonly lines: TimelineLine[] = [];
  /** Task keys matched so far (a task id may exist in several frameworks). */
  readonly tasksSeen = new Set<string>();
  private pending: Array<{ key: string; direct: boolean; before: Snap | null }> = [];
  private stale: string | undefined;

  constructor(private readonly target: TimelineTarget) {}

  private matches(s: State, e: ClusterEvent): Array<{ key: string; direct: boolean }> {
    const t = touches(s, e);
    switch (this.target.kind) {
      case 'agent': {
        const d = t.agents.get(this.target.agentId as AgentId);
        return d === undefined ? [] : [{ key: this.target.agentId, direct: d }];
      }
      case 'framework': {
        const d = t.frameworks.get(this.target.frameworkId as FrameworkId);
        return d === undefined ? [] : [{ key: this.target.frameworkId, direct: d }];
      }
      case 'task': {
        const out: Array<{ key: string; direct: boolean }> = [];
        for (const [k, direct] of t.tasks) {
          const { frameworkId, taskId } = splitTaskKey(k);
          if (taskId === this.target.taskId && (this.target.frameworkId === undefined || frameworkId === this.target.frameworkId)) out.push({ key: k, direct });
        }
        return out;
      }
    }
  }

  private snap(s: State, key: string): Snap | null {
    return this.target.kind === 'task' ? snapTask(s, key as TaskKey) : this.target.kind === 'agent' ? snapAgent(s, key as AgentId) : snapFramework(s, key as FrameworkId);
  }

  before(_entry: Entry, s: State): void {
    const e = (_entry.decoded as { event: ClusterEvent }).event;
    this.pending = this.matches(s, e).map((m) => ({ ...m, before: this.snap(s, m.key) }));
    this.stale = this.pending.length > 0 ? staleness(s, e) : undefined;
  }

  after(entry: Entry, s: State): void {
    if (this.pending.length === 0) return;
    const e = (entry.decoded as { event: ClusterEvent }).event;
    for (const p of this.pending) {
      const effects = this.stale !== undefined ? [] : changes(p.before, this.snap(s, p.key), this.target.kind);
      if (!p.direct && effects.length === 0) continue;
      if (this.target.kind === 'task') this.tasksSeen.add(p.key);
      this.lines.push(
        lineOf(entry, e, {
          direct: p.direct,
          effects,
          ...(this.stale !== undefined ? { ignored: this.stale } : effects.length === 0 ? { ignored: 'no effect' } : {}),
          ...(this.target.kind === 'task' ? { task: p.key } : {}),
        }),
      );
    }
    this.pending = [];
  }
}

/** The subjects that carry the id, for `--direct` (a task needs its framework). */
export function directSubjects(t: TimelineTarget): string[] {
  switch (t.kind) {
    case 'agent':
      return [subjects.reportsOf(t.agentId as AgentId), subjects.commandsOf(t.agentId as AgentId), subjects.sys('agent-removed')];
    case 'framework':
      return [subjects.callsOf(t.frameworkId as FrameworkId), subjects.toldTo(t.frameworkId as FrameworkId), subjects.statusesOf(t.frameworkId as FrameworkId)];
    case 'task': {
      const fw = t.frameworkId as FrameworkId;
      return [subjects.callsOf(fw), subjects.toldTo(fw), subjects.statusesOf(fw), subjects.allCommands];
    }
  }
}

const EMPTY = initialState();

/** Direct matching: does this event (on one of `directSubjects`) name the thing? */
export function directLine(t: TimelineTarget, entry: Entry): TimelineLine | null {
  if (!entry.decoded.ok) return null;
  const e = entry.decoded.event;
  const named = touches(EMPTY, e);
  let task: string | undefined;
  if (t.kind === 'agent' && !named.agents.has(t.agentId as AgentId)) return null;
  if (t.kind === 'framework' && !named.frameworks.has(t.frameworkId as FrameworkId)) return null;
  if (t.kind === 'task') {
    task = [...named.tasks.keys()].find((k) => {
      const x = splitTaskKey(k);
      return x.taskId === t.taskId && x.frameworkId === t.frameworkId;
    });
    if (task === undefined) return null;
  }
  return lineOf(entry, e, { direct: true, effects: [], ...(task !== undefined ? { task } : {}) });
}

function lineOf(entry: Entry, e: ClusterEvent, what: Pick<TimelineLine, 'direct' | 'effects' | 'ignored' | 'task'>): TimelineLine {
  return { seq: entry.seq, storedAt: entry.storedAt, time: e.time, subject: entry.subject, type: e.type, summary: describe(e), ...what, event: e };
}

/** One line for a person: `seq  stored-at  type  summary  → effects`. */
export function renderLine(l: TimelineLine, showTask: boolean): string {
  const at = new Date(l.storedAt).toISOString();
  const tail = l.effects.length > 0 ? `\n${' '.repeat(10)}→ ${l.effects.join('; ')}` : l.ignored !== undefined && l.ignored !== 'no effect' ? `\n${' '.repeat(10)}→ ${l.ignored}` : '';
  return `${String(l.seq).padStart(8)}  ${at}  ${showTask && l.task ? `[${l.task}] ` : ''}${l.direct ? '' : '(via the state) '}${l.summary}${tail}`;
}
