/**
 * The cluster as the dashboard holds it: built from an operator GET_STATE (SUBSCRIBED carries one;
 * /replay/state?view=operator has one for any point of history), then moved by the stream's
 * TASK_ADDED, TASK_UPDATED, AGENT_ADDED, AGENT_REMOVED and FRAMEWORK_* events. Plain data, v1 JSON
 * as the master sends it, indexed by id.
 */
import type { J } from './api';

export interface Task {
  readonly key: string;
  readonly id: string;
  readonly name: string;
  readonly frameworkId: string;
  readonly agentId: string;
  readonly executorId: string;
  readonly state: string;
  readonly resources: J[];
  readonly statuses: J[];
  readonly completed: boolean;
}

export interface Cluster {
  tasks: Map<string, Task>;
  agents: Map<string, J>;
  frameworks: Map<string, J>;
  completedFrameworks: Map<string, J>;
  /** The log sequence this view is at (the last event folded). */
  seq: number;
  /** Bumped on every change, so views know to recompute. */
  version: number;
}

export const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);
export const TASK_STATES = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_UNREACHABLE', ...TERMINAL] as const;

const taskOf = (t: J, completed: boolean): Task => ({
  key: `${t.framework_id?.value ?? ''}/${t.task_id?.value ?? ''}`,
  id: String(t.task_id?.value ?? ''),
  name: String(t.name ?? ''),
  frameworkId: String(t.framework_id?.value ?? ''),
  agentId: String(t.agent_id?.value ?? ''),
  executorId: String(t.executor_id?.value ?? t.task_id?.value ?? ''),
  state: String(t.state ?? ''),
  resources: (t.resources as J[] | undefined) ?? [],
  statuses: (t.statuses as J[] | undefined) ?? [],
  completed,
});

export function fromGetState(gs: J, seq: number): Cluster {
  const c: Cluster = { tasks: new Map(), agents: new Map(), frameworks: new Map(), completedFrameworks: new Map(), seq, version: 0 };
  const gt = gs.get_tasks ?? {};
  for (const t of (gt.completed_tasks ?? []) as J[]) addTask(c, taskOf(t, true));
  for (const t of [...((gt.tasks ?? []) as J[]), ...((gt.unreachable_tasks ?? []) as J[])]) addTask(c, taskOf(t, false));
  for (const a of (gs.get_agents?.agents ?? []) as J[]) c.agents.set(String(a.agent_info?.id?.value), a);
  for (const f of (gs.get_frameworks?.frameworks ?? []) as J[]) c.frameworks.set(String(f.framework_info?.id?.value), f);
  for (const f of (gs.get_frameworks?.completed_frameworks ?? []) as J[]) c.completedFrameworks.set(String(f.framework_info?.id?.value), f);
  return c;
}

function addTask(c: Cluster, t: Task): void {
  c.tasks.set(t.key, t);
}

/** `123-4` or `123` -> 123. */
export const seqOfEventId = (id: unknown): number | null => {
  const m = /^(\d+)/.exec(String(id ?? ''));
  return m === null ? null : Number(m[1]);
};

/** Applies one stream event; returns whether anything changed. */
export function applyEvent(c: Cluster, e: J): boolean {
  const seq = seqOfEventId(e.event_id);
  if (seq !== null && seq > c.seq) c.seq = seq;
  switch (e.type) {
    case 'TASK_ADDED': {
      const t = taskOf(e.task_added.task as J, false);
      c.tasks.set(t.key, t);
      break;
    }
    case 'TASK_UPDATED': {
      const u = e.task_updated as J;
      const key = `${u.framework_id?.value ?? ''}/${u.status?.task_id?.value ?? ''}`;
      const t = c.tasks.get(key);
      if (t === undefined) return false;
      // A new object, not changed in place: views cache what they derive from a task by its identity.
      const state = String(u.state);
      c.tasks.set(key, { ...t, state, statuses: [...t.statuses, u.status as J], completed: TERMINAL.has(state) });
      break;
    }
    case 'AGENT_ADDED': {
      const a = e.agent_added.agent as J;
      c.agents.set(String(a.agent_info?.id?.value), a);
      break;
    }
    case 'AGENT_REMOVED':
      c.agents.delete(String(e.agent_removed.agent_id?.value));
      break;
    case 'FRAMEWORK_ADDED':
    case 'FRAMEWORK_UPDATED': {
      const f = (e.framework_added ?? e.framework_updated).framework as J;
      c.frameworks.set(String(f.framework_info?.id?.value), f);
      break;
    }
    case 'FRAMEWORK_REMOVED': {
      const id = String(e.framework_removed.framework_info?.id?.value);
      const f = c.frameworks.get(id);
      c.frameworks.delete(id);
      c.completedFrameworks.set(id, { ...(f ?? { framework_info: e.framework_removed.framework_info }), active: false, connected: false });
      break;
    }
    default:
      return false;
  }
  c.version++;
  return true;
}

/** The scalar total of `name` in a v1 resource list (optionally only reserved ones). */
export function scalar(rs: readonly J[] | undefined, name: string, only?: (r: J) => boolean): number {
  let s = 0;
  for (const r of rs ?? []) if (r.name === name && r.type === 'SCALAR' && (only === undefined || only(r))) s += Number(r.scalar?.value ?? 0);
  return Math.round(s * 1000) / 1000;
}
export const isReserved = (r: J): boolean => Array.isArray(r.reservations) && r.reservations.length > 0;

export const RESOURCES = ['cpus', 'mem', 'disk', 'gpus'] as const;

export interface Totals {
  total: number;
  allocated: number;
  offered: number;
  reserved: number;
  idle: number;
}

export function totals(c: Cluster): Record<(typeof RESOURCES)[number], Totals> {
  const out = {} as Record<(typeof RESOURCES)[number], Totals>;
  for (const n of RESOURCES) out[n] = { total: 0, allocated: 0, offered: 0, reserved: 0, idle: 0 };
  for (const a of c.agents.values()) {
    for (const n of RESOURCES) {
      const t = out[n];
      t.total += scalar(a.total_resources, n);
      t.allocated += scalar(a.allocated_resources, n);
      t.offered += scalar(a.offered_resources, n);
      t.reserved += scalar(a.total_resources, n, isReserved);
    }
  }
  for (const n of RESOURCES) {
    const t = out[n];
    for (const k of ['total', 'allocated', 'offered', 'reserved'] as const) t[k] = Math.round(t[k] * 1000) / 1000;
    t.idle = Math.max(0, Math.round((t.total - t.allocated - t.offered) * 1000) / 1000);
  }
  return out;
}

export const fmtRes = (n: string, v: number): string => (n === 'mem' || n === 'disk' ? (v >= 1024 ? `${(v / 1024).toFixed(1)} GB` : `${v} MB`) : String(v));
export const resText = (rs: readonly J[]): string =>
  RESOURCES.map((n) => [n, scalar(rs, n)] as const)
    .filter(([, v]) => v > 0)
    .map(([n, v]) => `${n} ${fmtRes(n, v)}`)
    .join(', ');
/** A v1 TimeInfo `{nanoseconds}` or seconds (float, as TaskStatus.timestamp) -> a Date. */
export const timeOf = (t: unknown): Date | null => {
  if (typeof t === 'number') return new Date(t * 1000);
  if (t !== null && typeof t === 'object' && 'nanoseconds' in t) return new Date(Number((t as J).nanoseconds) / 1e6);
  return null;
};
