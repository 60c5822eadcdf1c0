/**
 * `/master/state` as text, built from pieces kept between requests.
 *
 * At 20,000 agents and 400,000 tasks the JSON is ~150 MB: building its object tree and
 * stringifying it took seconds, all of it on the thread that also folds the log and runs the
 * allocator. Nearly all of it is the tasks and agents, and between two requests few of them change.
 * So each task's and agent's JSON text is kept with a stamp of what it depends on, and made again
 * only when the stamp differs. A request then gathers references to the pieces (cheap), and the HTTP shell writes them out in chunks, yielding
 * to the event loop between chunks (server.ts, `pieces`). The text is byte for byte what
 * `JSON.stringify(masterStateJson(…))` gives (test/unit/state-text.test.ts checks it along whole
 * logs), so the two can never drift apart: the keys' order comes from the same functions.
 *
 * Stamps rely on the fold's habits (kernel/core): resources, attributes and isolation are replaced,
 * never changed in place; a task's status history only grows at its end (an old entry may be
 * dropped from the middle, and a push always comes with it); a drain changes in place only its
 * `state`.
 */
import type { AgentState, State, TaskState } from '../../core/state.js';
import {
  type MasterIdentity,
  frameworkHeadJson,
  frameworkTailJson,
  listedAgents,
  masterStateHeadJson,
  slaveJson,
  taskJson,
} from './state-json.js';
import type { FrameworkState } from '../../core/state.js';

interface TaskEntry {
  readonly state: string;
  readonly statuses: number;
  readonly last: unknown;
  readonly text: string;
  /** The sweep in which it was last used. */
  seen: number;
}

// Kept in Maps keyed by the task or agent object, not in WeakMaps: with hundreds of thousands of
// entries a WeakMap's ephemerons made every major GC (and so every request) several times slower,
// and a key's string compared on every lookup cost a third more than the object's identity.
// Entries no gathering used for SWEEP_EVERY gatherings are dropped (tasks and agents gone).
const taskTexts = new Map<TaskState, TaskEntry>();
let sweep = 0;
const SWEEP_EVERY = 8;

/** The JSON text of a task (`taskJson`), made again only when its state or statuses changed. */
export function taskText(t: TaskState): string {
  const last = t.statuses[t.statuses.length - 1];
  const kept = taskTexts.get(t);
  if (kept !== undefined && kept.state === t.state && kept.statuses === t.statuses.length && kept.last === last) {
    kept.seen = sweep;
    return kept.text;
  }
  const text = JSON.stringify(taskJson(t));
  taskTexts.set(t, { state: t.state, statuses: t.statuses.length, last, text, seen: sweep });
  return text;
}

/** Forget the texts no gathering used since the last sweep. */
function sweepTexts(): void {
  if (++sweep % SWEEP_EVERY !== 0) return;
  for (const kept of [taskTexts, agentTexts] as Map<unknown, { seen: number }>[]) {
    for (const [k, e] of kept) if (sweep - e.seen > SWEEP_EVERY) kept.delete(k);
  }
}

/** What an agent's `slaveJson` depends on, each compared by identity. */
interface AgentEntry {
  readonly hostname: unknown;
  readonly port: unknown;
  readonly ip: unknown;
  readonly version: unknown;
  readonly isolation: unknown;
  readonly attributes: unknown;
  readonly resources: unknown;
  readonly used: unknown;
  readonly offered: unknown;
  readonly status: unknown;
  readonly deactivated: unknown;
  readonly drain: unknown;
  readonly drainState: unknown;
  readonly registeredAt: unknown;
  readonly reregisteredAt: unknown;
  readonly text: string;
  seen: number;
}

const agentTexts = new Map<AgentState, AgentEntry>();

const unchanged = (k: AgentEntry, a: AgentState): boolean =>
  k.used === a.used && k.offered === a.offered && k.resources === a.resources && k.status === a.status && k.deactivated === a.deactivated &&
  k.drain === a.drain && k.drainState === a.drain?.state && k.reregisteredAt === a.reregisteredAt && k.registeredAt === a.registeredAt &&
  k.hostname === a.hostname && k.port === a.port && k.ip === a.ip && k.version === a.version && k.isolation === a.isolation && k.attributes === a.attributes;

/** The JSON text of an agent (`slaveJson`), made again only when what it shows changed. */
export function agentText(a: AgentState): string {
  const kept = agentTexts.get(a);
  if (kept !== undefined && unchanged(kept, a)) {
    kept.seen = sweep;
    return kept.text;
  }
  const text = JSON.stringify(slaveJson(a));
  agentTexts.set(a, {
    hostname: a.hostname, port: a.port, ip: a.ip, version: a.version, isolation: a.isolation, attributes: a.attributes, resources: a.resources,
    used: a.used, offered: a.offered, status: a.status, deactivated: a.deactivated, drain: a.drain, drainState: a.drain?.state,
    registeredAt: a.registeredAt, reregisteredAt: a.reregisteredAt, text, seen: sweep,
  });
  return text;
}

/** The inside of an object's JSON text (without its braces); never empty for the heads here. */
const inner = (o: object): string => JSON.stringify(o).slice(1, -1);

function pushList<T>(out: string[], items: readonly T[], text: (x: T) => string): void {
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out.push(',');
    out.push(text(items[i]!));
  }
}

function pushFramework(out: string[], state: State, f: FrameworkState): void {
  out.push(`{${inner(frameworkHeadJson(f))},"tasks":[`);
  // frameworkTaskLists' order (its live tasks, then the unreachable), in one pass without a list.
  let unreachable: TaskState[] | undefined;
  let first = true;
  for (const key of f.taskKeys) {
    const t = state.tasks.get(key);
    if (t === undefined) continue;
    if (t.state === 'TASK_UNREACHABLE') (unreachable ??= []).push(t);
    else {
      if (!first) out.push(',');
      first = false;
      out.push(taskText(t));
    }
  }
  out.push('],"unreachable_tasks":[');
  pushList(out, unreachable ?? [], taskText);
  out.push('],"completed_tasks":[');
  pushList(out, f.completedTasks, taskText);
  out.push(`],${inner(frameworkTailJson(state, f))}}`);
}

/** `/master/state`'s JSON text as pieces, in order: joined, `JSON.stringify(masterStateJson(state, me))`. */
export function masterStateText(state: State, me: MasterIdentity): string[] {
  sweepTexts();
  const out: string[] = [`{${inner(masterStateHeadJson(state, me))},"slaves":[`];
  pushList(out, listedAgents(state), agentText);
  out.push('],"recovered_slaves":[],"frameworks":[');
  let first = true;
  for (const f of state.frameworks.values()) {
    if (!first) out.push(',');
    first = false;
    pushFramework(out, state, f);
  }
  out.push('],"completed_frameworks":[');
  first = true;
  for (const f of state.completedFrameworks) {
    if (!first) out.push(',');
    first = false;
    pushFramework(out, state, f);
  }
  out.push('],"orphan_tasks":[],"unregistered_frameworks":[]}');
  return out;
}
