/**
 * What `mesos apply` would change: the desired state (the files) against the current one (what
 * the services and jobs APIs answer), definition by definition and field by field, in the order it
 * is safe to apply (services, then jobs parents first; removals of jobs children first). Pure.
 */
import { type AppDefinition, canonical, validateApp } from '../../frameworks/services/app.js';
import type { Source } from './spec.js';
import { type ChronosJob, MANAGED_LABEL, isManaged } from './translate.js';

export type Kind = 'service' | 'job';
export type Action = 'create' | 'update' | 'delete' | 'unchanged';

export interface FieldChange {
  readonly field: string;
  /** Absent: the field is new. */
  readonly from?: unknown;
  /** Absent: the field goes. */
  readonly to?: unknown;
}

export interface Change {
  readonly kind: Kind;
  readonly name: string;
  readonly action: Action;
  readonly fields: readonly FieldChange[];
  /** What is sent (create, update). */
  readonly body?: AppDefinition | ChronosJob;
  readonly source?: Source;
}

export interface Desired {
  readonly services: ReadonlyArray<{ readonly body: AppDefinition; readonly source: Source }>;
  readonly jobs: ReadonlyArray<{ readonly body: ChronosJob; readonly source: Source }>;
}

/** What the APIs hold now; undefined: that API was not asked (no file of that kind, no --prune). */
export interface Current {
  readonly services?: ReadonlyArray<Record<string, unknown>>;
  readonly jobs?: ReadonlyArray<Record<string, unknown>>;
}

export interface Plan {
  readonly changes: readonly Change[];
  /** Definitions of the APIs not made from files (never pruned), for the record. */
  readonly unmanaged: ReadonlyArray<{ readonly kind: Kind; readonly name: string }>;
}

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Field-by-field differences of `to` against `from` over `to`'s keys (objects by key, lists whole). */
export function diffFields(from: Readonly<Record<string, unknown>>, to: Readonly<Record<string, unknown>>, prefix = ''): FieldChange[] {
  const out: FieldChange[] = [];
  for (const k of Object.keys(to).sort()) {
    const a = from[k];
    const b = to[k];
    const field = `${prefix}${k}`;
    if (b === undefined) continue;
    if (isPlain(a) && isPlain(b)) {
      out.push(...diffFields(a, b, `${field}.`));
      for (const gone of Object.keys(a).sort()) if (!(gone in b) && a[gone] !== undefined) out.push({ field: `${field}.${gone}`, from: a[gone] });
      continue;
    }
    if (a === undefined) out.push({ field, to: b });
    else if (canonical(a) !== canonical(b)) out.push({ field, from: a, to: b });
  }
  return out;
}

/** The fields of a new app that are not Marathon's defaults (what the user chose). */
function appFieldsSet(app: AppDefinition): FieldChange[] {
  const base = validateApp({ id: app.id, cmd: 'x' });
  const defaults: Record<string, unknown> = base.ok ? { ...base.app, cmd: undefined } : {};
  return diffFields(defaults, { ...app, id: undefined } as Record<string, unknown>).map((f) => ({ field: f.field, to: f.to }));
}

export function plan(desired: Desired, current: Current, prune: boolean): Plan {
  const changes: Change[] = [];
  const unmanaged: Array<{ kind: Kind; name: string }> = [];
  dupes('service', desired.services.map((s) => ({ name: s.body.id, source: s.source })));
  dupes('job', desired.jobs.map((j) => ({ name: j.body.name, source: j.source })));

  // Services.
  const apps = new Map((current.services ?? []).map((a) => [String(a.id), a]));
  for (const { body, source } of desired.services) {
    const now = apps.get(body.id);
    if (now === undefined) changes.push({ kind: 'service', name: body.id, action: 'create', fields: appFieldsSet(body), body, source });
    else {
      const fields = diffFields(now, { ...body, id: undefined } as Record<string, unknown>);
      changes.push({ kind: 'service', name: body.id, action: fields.length > 0 ? 'update' : 'unchanged', fields, body, source });
    }
  }
  const wanted = new Set(desired.services.map((s) => s.body.id));
  for (const [id, a] of [...apps].sort(([x], [y]) => (x < y ? -1 : 1))) {
    if (wanted.has(id)) continue;
    if (!isManaged(a)) unmanaged.push({ kind: 'service', name: id });
    else if (prune) changes.push({ kind: 'service', name: id, action: 'delete', fields: [] });
  }

  // Jobs: parents before children.
  const jobs = new Map((current.jobs ?? []).map((j) => [String(j.name), j]));
  const byName = new Map(desired.jobs.map((j) => [j.body.name, j]));
  for (const { body, source } of desired.jobs) {
    for (const p of body.parents ?? []) {
      if (!byName.has(p) && !jobs.has(p)) throw new PlanError(`${source.file}:${source.line}: after: parent job '${p}' is defined neither in the files nor in the jobs framework`);
    }
  }
  for (const name of topological([...byName.values()].map((j) => ({ name: j.body.name, parents: (j.body.parents ?? []).filter((p) => byName.has(p)), source: j.source })))) {
    const { source } = byName.get(name)!;
    let body = byName.get(name)!.body;
    const now = jobs.get(name);
    if (now === undefined) changes.push({ kind: 'job', name, action: 'create', fields: diffFields({}, { ...body, name: undefined }), body, source });
    else {
      // `R5//PT1H` starts when posted, and the jobs framework writes that start in: the same
      // schedule with the start it was given is no change (and is sent as it is, not restarted).
      const open = typeof body.schedule === 'string' ? /^R(\d*)\/\/(.+)$/.exec(body.schedule) : null;
      const held = typeof now.schedule === 'string' ? /^R(\d*)\/[^/]+\/(.+)$/.exec(now.schedule) : null;
      if (open !== null && held !== null && open[1] === held[1] && open[2] === held[2]) body = { ...body, schedule: now.schedule as string };
      const fields = [...diffFields(now, { ...body, name: undefined }), ...JOB_EXCLUSIVE.filter((k) => body[k] === undefined && now[k] !== undefined && now[k] !== '' && !(Array.isArray(now[k]) && (now[k] as unknown[]).length === 0)).map((k) => ({ field: k, from: now[k] }))];
      changes.push({ kind: 'job', name, action: fields.length > 0 ? 'update' : 'unchanged', fields, body, source });
    }
  }
  const doomed = [...jobs].filter(([name, j]) => !byName.has(name) && isManaged(j) && prune);
  for (const [name, j] of jobs) if (!byName.has(name) && !isManaged(j)) unmanaged.push({ kind: 'job', name });
  // A job that stays cannot keep a parent that goes.
  for (const [name] of doomed) {
    for (const { body, source } of desired.jobs) {
      if (body.parents?.includes(name) === true) throw new PlanError(`${source.file}:${source.line}: after: job '${body.name}' runs after '${name}', which --prune would remove`);
    }
  }
  const doomedOrder = topological(doomed.map(([name, j]) => ({ name, parents: parentsOf(j).filter((p) => doomed.some(([d]) => d === p)) }))).reverse();
  for (const name of doomedOrder) changes.push({ kind: 'job', name, action: 'delete', fields: [] });
  // Services are removed after jobs (a job may need a service; never the other way round).
  const deletes = changes.filter((c) => c.action === 'delete' && c.kind === 'service');
  const rest = changes.filter((c) => !(c.action === 'delete' && c.kind === 'service'));
  return { changes: [...rest, ...deletes], unmanaged };
}

/** Fields of a job one of which replaces another (a schedule, a cron line, parents): one dropped is shown going. */
const JOB_EXCLUSIVE = ['schedule', 'cron', 'parents', 'scheduleTimeZone'] as const;

const parentsOf = (j: Record<string, unknown>): string[] => (Array.isArray(j.parents) ? j.parents.map(String) : []);

function dupes(kind: Kind, xs: ReadonlyArray<{ name: string; source: Source }>): void {
  const seen = new Map<string, Source>();
  for (const x of xs) {
    const before = seen.get(x.name);
    if (before !== undefined) throw new PlanError(`${x.source.file}:${x.source.line}: name: ${kind} '${x.name}' is also defined at ${before.file}:${before.line}`);
    seen.set(x.name, x.source);
  }
}

/** Names in an order where every parent comes before its children; a cycle is an error naming it. */
function topological(nodes: ReadonlyArray<{ name: string; parents: readonly string[]; source?: Source }>): string[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Set<string>();
  const out: string[] = [];
  const visit = (name: string, path: string[]): void => {
    if (done.has(name)) return;
    if (path.includes(name)) {
      const n = byName.get(name);
      const where = n?.source !== undefined ? `${n.source.file}:${n.source.line}: after: ` : '';
      throw new PlanError(`${where}a dependency cycle: ${[...path.slice(path.indexOf(name)), name].join(' → ')}`);
    }
    for (const p of byName.get(name)?.parents ?? []) visit(p, [...path, name]);
    done.add(name);
    out.push(name);
  };
  for (const n of [...nodes].sort((a, b) => (a.name < b.name ? -1 : 1))) visit(n.name, []);
  return out;
}

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

/** The plan as a user reads it: one block per definition, one line per field. */
export function formatPlan(p: Plan, o: { showUnchanged?: boolean } = {}): string {
  const lines: string[] = [];
  const sign: Record<Action, string> = { create: '+', update: '~', delete: '-', unchanged: '=' };
  for (const c of p.changes) {
    if (c.action === 'unchanged' && o.showUnchanged !== true) continue;
    const where = c.source !== undefined ? `  (${c.source.file}:${c.source.line})` : c.action === 'delete' ? '  (no longer in the files: --prune)' : '';
    lines.push(`${sign[c.action]} ${c.kind} ${c.name}: ${c.action}${where}`);
    for (const f of c.fields) {
      if (f.field === `labels.${MANAGED_LABEL}` && c.action === 'create') continue;
      if (f.from === undefined) lines.push(`    + ${f.field}: ${show(f.to)}`);
      else if (f.to === undefined) lines.push(`    - ${f.field}: ${show(f.from)}`);
      else lines.push(`    ~ ${f.field}: ${show(f.from)} → ${show(f.to)}`);
    }
  }
  const n = (a: Action): number => p.changes.filter((c) => c.action === a).length;
  lines.push(`${n('create')} to create, ${n('update')} to update, ${n('delete')} to delete, ${n('unchanged')} unchanged`);
  const left = p.unmanaged;
  if (left.length > 0) lines.push(`not from files (left alone, --prune never removes them): ${left.map((u) => `${u.kind} ${u.name}`).join(', ')}`);
  return lines.join('\n');
}
