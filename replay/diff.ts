/**
 * What changed between two points of history: the state at A (cloned), the state at B, and what
 * the fold from A to B saw on the way (each task's successive states, the events by type). For a
 * person (`renderDiff`) or as JSON (the `StateDiff` itself).
 */
import type { ClusterEvent, TaskKey, TaskStateName } from '../events/index.js';
import * as R from '../kernel/core/resources.js';
import type { Counters, State, TaskState } from '../kernel/core/state.js';
import { allTasks, findTask } from './lookup.js';
import { touches } from './touches.js';

/** Collects, while folding from A to B, what a diff needs that the end states do not keep. */
export class DiffTrail {
  readonly states = new Map<TaskKey, TaskStateName[]>();
  readonly byType: Record<string, number> = {};
  events = 0;
  private pending: TaskKey[] = [];

  constructor(a: State) {
    for (const [k, t] of allTasks(a)) this.states.set(k, [t.state]);
  }

  before(s: State, e: ClusterEvent): void {
    this.events++;
    this.byType[e.type] = (this.byType[e.type] ?? 0) + 1;
    this.pending = [...touches(s, e).tasks.keys()];
  }

  after(s: State): void {
    for (const k of this.pending) {
      const t = findTask(s, k);
      if (t === undefined) continue;
      const seen = this.states.get(k);
      if (seen === undefined) this.states.set(k, [t.state]);
      else if (seen.at(-1) !== t.state) seen.push(t.state);
    }
    this.pending = [];
  }
}

type Res = string;
const fmt = (rs: R.Resources): Res => (R.isEmpty(rs) ? '' : R.format(rs));

export interface Change<T> {
  readonly from: T;
  readonly to: T;
}

export interface StateDiff {
  readonly events: { readonly total: number; readonly malformed: number; readonly byType: Record<string, number> };
  readonly leader?: Change<{ masterId: string; epoch: number } | null>;
  readonly agents: {
    readonly added: Array<{ id: string; hostname: string; resources: Res; status: string }>;
    readonly changed: Array<{ id: string; hostname: string; status?: Change<string>; resources?: Change<Res>; used?: Change<Res>; offered?: Change<Res> }>;
  };
  readonly frameworks: {
    readonly added: Array<{ id: string; name: string; roles: string[]; status: string }>;
    readonly removed: Array<{ id: string; name: string }>;
    readonly changed: Array<{ id: string; name: string; status?: Change<string>; suppressed?: Change<boolean>; roles?: Change<string[]>; used?: Change<Res>; offered?: Change<Res> }>;
  };
  readonly tasks: {
    readonly launched: Array<{ frameworkId: string; taskId: string; agentId: string; resources: Res; states: TaskStateName[] }>;
    readonly changed: Array<{ frameworkId: string; taskId: string; agentId: string; states: TaskStateName[] }>;
  };
  readonly offers: { readonly outstanding: Change<number>; readonly created: number; readonly accepted: number; readonly declined: number; readonly rescinded: number; readonly refusedAccepts: number; readonly invalid: number };
  readonly roles: Array<{ role: string; used: Change<Res>; offered: Change<Res> }>;
  readonly counters: Record<string, Change<number>>;
}

function byRole(s: State): Map<string, { used: R.Resources; offered: R.Resources }> {
  const m = new Map<string, { used: R.Resources; offered: R.Resources }>();
  const at = (role: string) => {
    let r = m.get(role);
    if (r === undefined) m.set(role, (r = { used: R.EMPTY, offered: R.EMPTY }));
    return r;
  };
  for (const t of s.tasks.values()) if (t.holdsResources) at(t.role).used = R.add(at(t.role).used, t.resources);
  for (const o of s.offers.values()) at(o.role).offered = R.add(at(o.role).offered, o.resources);
  return m;
}

const flatCounters = (c: Counters): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(c)) {
    if (typeof v === 'number') out[k] = v;
    else for (const [state, n] of Object.entries(v as Record<string, number>)) out[`tasksReached.${state}`] = n;
  }
  return out;
};

export function diffStates(a: State, b: State, trail: DiffTrail, malformed: number): StateDiff {
  const agentsAdded: StateDiff['agents']['added'] = [];
  const agentsChanged: StateDiff['agents']['changed'] = [];
  for (const [id, ag] of b.agents) {
    const was = a.agents.get(id);
    if (was === undefined) {
      agentsAdded.push({ id, hostname: ag.hostname, resources: fmt(ag.resources), status: ag.status });
      continue;
    }
    const c: StateDiff['agents']['changed'][number] = {
      id,
      hostname: ag.hostname,
      ...(was.status !== ag.status ? { status: { from: was.status, to: ag.status } } : {}),
      ...(!R.equals(was.resources, ag.resources) ? { resources: { from: fmt(was.resources), to: fmt(ag.resources) } } : {}),
      ...(!R.equals(was.used, ag.used) ? { used: { from: fmt(was.used), to: fmt(ag.used) } } : {}),
      ...(!R.equals(was.offered, ag.offered) ? { offered: { from: fmt(was.offered), to: fmt(ag.offered) } } : {}),
    };
    if (Object.keys(c).length > 2) agentsChanged.push(c);
  }

  const fwAdded: StateDiff['frameworks']['added'] = [];
  const fwRemoved: StateDiff['frameworks']['removed'] = [];
  const fwChanged: StateDiff['frameworks']['changed'] = [];
  for (const [id, f] of a.frameworks) {
    if (!b.frameworks.has(id)) fwRemoved.push({ id, name: f.info.name });
  }
  for (const [id, f] of b.frameworks) {
    const was = a.frameworks.get(id);
    if (was === undefined) {
      fwAdded.push({ id, name: f.info.name, roles: [...f.info.roles], status: f.status });
      continue;
    }
    const rolesChanged = was.info.roles.join(',') !== f.info.roles.join(',');
    const c: StateDiff['frameworks']['changed'][number] = {
      id,
      name: f.info.name,
      ...(was.status !== f.status ? { status: { from: was.status, to: f.status } } : {}),
      ...(was.suppressed !== f.suppressed ? { suppressed: { from: was.suppressed, to: f.suppressed } } : {}),
      ...(rolesChanged ? { roles: { from: [...was.info.roles], to: [...f.info.roles] } } : {}),
      ...(!R.equals(was.used, f.used) ? { used: { from: fmt(was.used), to: fmt(f.used) } } : {}),
      ...(!R.equals(was.offered, f.offered) ? { offered: { from: fmt(was.offered), to: fmt(f.offered) } } : {}),
    };
    if (Object.keys(c).length > 2) fwChanged.push(c);
  }
  // Subscribed and removed between A and B.
  for (const f of b.completedFrameworks) {
    if (!a.frameworks.has(f.id) && !a.completedFrameworks.some((x) => x.id === f.id)) {
      fwAdded.push({ id: f.id, name: f.info.name, roles: [...f.info.roles], status: f.status });
      fwRemoved.push({ id: f.id, name: f.info.name });
    }
  }

  const tasksA = allTasks(a);
  const tasksB = allTasks(b);
  const launched: StateDiff['tasks']['launched'] = [];
  const changed: StateDiff['tasks']['changed'] = [];
  const keys = new Set<TaskKey>([...tasksB.keys(), ...trail.states.keys()]);
  for (const k of keys) {
    const before = tasksA.get(k);
    const after: TaskState | undefined = tasksB.get(k);
    const states = trail.states.get(k) ?? (after ? [after.state] : []);
    const t = after ?? before;
    if (t === undefined) continue;
    if (before === undefined) {
      launched.push({ frameworkId: t.frameworkId, taskId: t.taskId, agentId: t.agentId, resources: fmt(t.resources), states });
    } else if (states.length > 1 || (after !== undefined && after.state !== before.state)) {
      changed.push({ frameworkId: t.frameworkId, taskId: t.taskId, agentId: t.agentId, states: states.length > 1 ? states : [before.state, after!.state] });
    }
  }
  const order = (x: { frameworkId: string; taskId: string }, y: { frameworkId: string; taskId: string }): number =>
    x.frameworkId === y.frameworkId ? (x.taskId < y.taskId ? -1 : x.taskId > y.taskId ? 1 : 0) : x.frameworkId < y.frameworkId ? -1 : 1;
  launched.sort(order);
  changed.sort(order);

  const ra = byRole(a);
  const rb = byRole(b);
  const roles: StateDiff['roles'] = [];
  for (const role of [...new Set([...ra.keys(), ...rb.keys()])].sort()) {
    const x = ra.get(role) ?? { used: R.EMPTY, offered: R.EMPTY };
    const y = rb.get(role) ?? { used: R.EMPTY, offered: R.EMPTY };
    if (!R.equals(x.used, y.used) || !R.equals(x.offered, y.offered)) {
      roles.push({ role, used: { from: fmt(x.used), to: fmt(y.used) }, offered: { from: fmt(x.offered), to: fmt(y.offered) } });
    }
  }

  const ca = flatCounters(a.counters);
  const cb = flatCounters(b.counters);
  const counters: Record<string, Change<number>> = {};
  for (const k of [...new Set([...Object.keys(ca), ...Object.keys(cb)])].sort()) {
    if ((ca[k] ?? 0) !== (cb[k] ?? 0)) counters[k] = { from: ca[k] ?? 0, to: cb[k] ?? 0 };
  }
  const delta = (k: keyof Counters): number => (cb[k] ?? 0) - (ca[k] ?? 0);
  const leaderOf = (s: State) => (s.leader ? { masterId: s.leader.masterId, epoch: s.leader.epoch } : null);

  return {
    events: { total: trail.events + malformed, malformed, byType: Object.fromEntries(Object.entries(trail.byType).sort(([, x], [, y]) => y - x)) },
    ...(a.epoch !== b.epoch ? { leader: { from: leaderOf(a), to: leaderOf(b) } } : {}),
    agents: { added: agentsAdded, changed: agentsChanged },
    frameworks: { added: fwAdded, removed: fwRemoved, changed: fwChanged },
    tasks: { launched, changed },
    offers: {
      outstanding: { from: a.offers.size, to: b.offers.size },
      created: delta('offersCreated'),
      accepted: delta('offersAccepted'),
      declined: delta('offersDeclined'),
      rescinded: delta('offersRescinded'),
      refusedAccepts: delta('acceptsRefused'),
      invalid: delta('offersInvalid'),
    },
    roles,
    counters,
  };
}

/** The diff for a person: a summary line per section, then up to `limit` lines of detail each. */
export function renderDiff(d: StateDiff, head: string, limit = 50): string {
  const out: string[] = [head];
  const more = (n: number): void => void (n > limit && out.push(`    … and ${n - limit} more (--limit, or --json for all)`));
  const arrow = (c: Change<string>): string => `${c.from || '(none)'} → ${c.to || '(none)'}`;
  const types = Object.entries(d.events.byType).map(([t, n]) => `${t} ${n}`);
  out.push(`Events: ${d.events.total}${types.length > 0 ? ` (${types.join(', ')})` : ''}${d.events.malformed > 0 ? `, ${d.events.malformed} malformed` : ''}`);
  if (d.leader) {
    const who = (l: { masterId: string; epoch: number } | null): string => (l ? `epoch ${l.epoch} (master ${l.masterId})` : 'none');
    out.push(`Leader: ${who(d.leader.from)} → ${who(d.leader.to)}`);
  }
  out.push(`Agents: ${d.agents.added.length} added, ${d.agents.changed.length} changed`);
  for (const x of d.agents.added.slice(0, limit)) out.push(`  + ${x.id} (${x.hostname}) ${x.resources} ${x.status}`);
  for (const x of d.agents.changed.slice(0, limit)) {
    const parts = [
      x.status ? `status ${x.status.from} → ${x.status.to}` : '',
      x.resources ? `resources ${arrow(x.resources)}` : '',
      x.used ? `used ${arrow(x.used)}` : '',
      x.offered ? `offered ${arrow(x.offered)}` : '',
    ].filter((p) => p !== '');
    out.push(`  ~ ${x.id} (${x.hostname}): ${parts.join('; ')}`);
  }
  more(Math.max(d.agents.added.length, d.agents.changed.length));
  out.push(`Frameworks: ${d.frameworks.added.length} subscribed, ${d.frameworks.removed.length} removed, ${d.frameworks.changed.length} changed`);
  for (const x of d.frameworks.added.slice(0, limit)) out.push(`  + ${x.id} "${x.name}" roles ${x.roles.join(',')}`);
  for (const x of d.frameworks.removed.slice(0, limit)) out.push(`  - ${x.id} "${x.name}"`);
  for (const x of d.frameworks.changed.slice(0, limit)) {
    const parts = [
      x.status ? `status ${x.status.from} → ${x.status.to}` : '',
      x.suppressed ? `suppressed ${x.suppressed.from} → ${x.suppressed.to}` : '',
      x.roles ? `roles ${x.roles.from.join(',')} → ${x.roles.to.join(',')}` : '',
      x.used ? `used ${arrow(x.used)}` : '',
      x.offered ? `offered ${arrow(x.offered)}` : '',
    ].filter((p) => p !== '');
    out.push(`  ~ ${x.id} "${x.name}": ${parts.join('; ')}`);
  }
  more(Math.max(d.frameworks.added.length, d.frameworks.removed.length, d.frameworks.changed.length));
  out.push(`Tasks: ${d.tasks.launched.length} launched, ${d.tasks.changed.length} changed state`);
  for (const x of d.tasks.launched.slice(0, limit)) out.push(`  + ${x.frameworkId}/${x.taskId} on ${x.agentId} (${x.resources}): ${x.states.join(' → ')}`);
  for (const x of d.tasks.changed.slice(0, limit)) out.push(`  ~ ${x.frameworkId}/${x.taskId} on ${x.agentId}: ${x.states.join(' → ')}`);
  more(Math.max(d.tasks.launched.length, d.tasks.changed.length));
  const o = d.offers;
  out.push(
    `Offers: ${o.created} created, ${o.accepted} accepted, ${o.declined} declined, ${o.rescinded} rescinded${o.refusedAccepts > 0 ? `, ${o.refusedAccepts} accepts refused` : ''}${o.invalid > 0 ? `, ${o.invalid} dropped by the fold` : ''}; outstanding ${o.outstanding.from} → ${o.outstanding.to}`,
  );
  out.push(`Allocation by role: ${d.roles.length === 0 ? 'unchanged' : ''}`.trimEnd());
  for (const r of d.roles) out.push(`  ${r.role}: used ${arrow(r.used)}; offered ${arrow(r.offered)}`);
  return `${out.join('\n')}\n`;
}
