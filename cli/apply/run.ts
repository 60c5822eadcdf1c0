/**
 * `mesos apply` and `mesos diff`: read the files (one, or every .yaml/.yml/.json of a directory:
 * together one desired state), validate all of them before anything is sent, ask the services and
 * jobs APIs what they hold, print the plan, and (apply) carry it out in order, stopping at the
 * first refusal and saying what was and was not applied.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { basicHeader } from '../../security/http/index.js';
import type { ClientAuth } from '../operator-client.js';
import { type Change, type Current, type Desired, type Plan, PlanError, formatPlan, plan } from './plan.js';
import { type Located, type Spec, type SpecError, formatError, parseSpecs } from './spec.js';
import { type ChronosJob, toChronosJob, toMarathonApp } from './translate.js';

export interface ApplyOptions {
  readonly path: string;
  readonly servicesUrl: string;
  readonly jobsUrl: string;
  readonly prune: boolean;
  readonly dryRun: boolean;
  readonly auth?: ClientAuth;
  readonly out: (line: string) => void;
}

/** A refusal of the input (files, plan) or of an API: the message says what and where. */
export class ApplyError extends Error {
  override readonly name = 'ApplyError';
}

const FILE = /\.(ya?ml|json)$/i;

/** The files of a path: itself, or the definition files under a directory (sorted, recursively). */
export function filesOf(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new ApplyError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (FILE.test(e.name)) out.push(p);
    }
  };
  walk(path);
  if (out.length === 0) throw new ApplyError(`${path} holds no .yaml, .yml or .json file`);
  return out;
}

/** Every definition of the files, translated; or every error of every file (nothing is sent then). */
export function loadDesired(path: string): Desired {
  const errors: SpecError[] = [];
  const specs: Array<Located<Spec>> = [];
  for (const file of filesOf(path)) {
    const r = parseSpecs(file, readFileSync(file, 'utf8'));
    errors.push(...r.errors);
    specs.push(...r.specs);
  }
  const services: Array<Desired['services'][number]> = [];
  const jobs: Array<Desired['jobs'][number]> = [];
  for (const { spec, source } of specs) {
    if (spec.kind === 'service') {
      const t = toMarathonApp(spec);
      if (t.ok) services.push({ body: t.body, source });
      else for (const e of t.errors) errors.push({ file: source.file, line: source.line, column: 1, field: e.field, message: e.message });
    } else jobs.push({ body: toChronosJob(spec), source });
  }
  if (errors.length > 0) throw new ApplyError(`${errors.length === 1 ? 'an error' : `${errors.length} errors`}; nothing was applied:\n${errors.map(formatError).join('\n')}`);
  if (specs.length === 0) throw new ApplyError(`${path}: no definition found (a definition has kind: service or kind: job)`);
  return { services, jobs };
}

/** A JSON call to one of the two APIs; errors say which API, what it answered and (Marathon's shape) each field. */
async function call(base: string, what: string, method: string, path: string, auth: ClientAuth | undefined, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${base.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(auth !== undefined ? { Authorization: basicHeader(auth.principal, auth.secret) } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new UnreachableError(`cannot reach the ${what} API at ${base}: ${(err as Error).cause !== undefined ? String((err as { cause: Error }).cause.message ?? (err as Error).cause) : (err as Error).message}`);
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // text
  }
  if (!res.ok) {
    const b = parsed as { message?: string; details?: Array<{ path: string; errors: string[] }> } | string | undefined;
    const head = typeof b === 'object' && b?.message !== undefined ? b.message : typeof b === 'string' ? b : '';
    const details = typeof b === 'object' ? (b?.details ?? []).map((d) => `\n    ${d.path}: ${d.errors.join('; ')}`).join('') : '';
    throw new ApplyError(`the ${what} API answered ${method} ${path} with ${res.status}${res.status === 401 ? ' (give --principal and --secret, or --credential)' : ''}: ${head}${details}`);
  }
  return parsed;
}

class UnreachableError extends ApplyError {}

async function currentState(o: ApplyOptions, desired: Desired): Promise<{ current: Current; notes: string[] }> {
  const notes: string[] = [];
  const ask = async <T>(what: 'services' | 'jobs', needed: boolean, get: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await get();
    } catch (err) {
      if (err instanceof UnreachableError && !needed) {
        notes.push(`${err.message}: ${what} left out (no ${what === 'services' ? 'service' : 'job'} in the files)`);
        return undefined;
      }
      throw err;
    }
  };
  const services = await ask('services', desired.services.length > 0, async () => ((await call(o.servicesUrl, 'services', 'GET', '/v2/apps', o.auth)) as { apps: Array<Record<string, unknown>> }).apps);
  const jobs = await ask('jobs', desired.jobs.length > 0, async () => (await call(o.jobsUrl, 'jobs', 'GET', '/v1/scheduler/jobs', o.auth)) as Array<Record<string, unknown>>);
  return { current: { ...(services !== undefined ? { services } : {}), ...(jobs !== undefined ? { jobs } : {}) }, notes };
}

async function applyOne(o: ApplyOptions, c: Change): Promise<string> {
  if (c.kind === 'service') {
    const path = `/v2/apps${c.name}`;
    if (c.action === 'delete') {
      const r = (await call(o.servicesUrl, 'services', 'DELETE', path, o.auth)) as { deploymentId?: string };
      return `deleted service ${c.name} (deployment ${r.deploymentId ?? '-'})`;
    }
    const r = (await call(o.servicesUrl, 'services', 'PUT', path, o.auth, c.body)) as { deploymentId?: string; version?: string };
    return `${c.action === 'create' ? 'created' : 'updated'} service ${c.name} (version ${r.version ?? '-'}, deployment ${r.deploymentId ?? '-'})`;
  }
  if (c.action === 'delete') {
    await call(o.jobsUrl, 'jobs', 'DELETE', `/v1/scheduler/job/${encodeURIComponent(c.name)}`, o.auth);
    return `deleted job ${c.name}`;
  }
  const job = c.body as ChronosJob;
  await call(o.jobsUrl, 'jobs', 'POST', job.parents !== undefined ? '/v1/scheduler/dependency' : '/v1/scheduler/iso8601', o.auth, job);
  return `${c.action === 'create' ? 'created' : 'updated'} job ${c.name}`;
}

/** Run `mesos apply` (or, with dryRun, `mesos diff`). Resolves with the exit code: 0 done, 1 refused or failed part way. */
export async function runApply(o: ApplyOptions): Promise<{ code: number; plan?: Plan }> {
  let p: Plan;
  try {
    const desired = loadDesired(o.path);
    const { current, notes } = await currentState(o, desired);
    for (const n of notes) o.out(`note: ${n}`);
    p = plan(desired, current, o.prune);
  } catch (err) {
    if (err instanceof ApplyError || err instanceof PlanError) {
      o.out(`error: ${err.message}`);
      return { code: 1 };
    }
    throw err;
  }
  o.out(formatPlan(p));
  const todo = p.changes.filter((c) => c.action !== 'unchanged');
  if (o.dryRun) return { code: 0, plan: p };
  if (todo.length === 0) {
    o.out('nothing to apply');
    return { code: 0, plan: p };
  }
  const done: string[] = [];
  for (const [i, c] of todo.entries()) {
    try {
      const line = await applyOne(o, c);
      done.push(line);
      o.out(line);
    } catch (err) {
      o.out(`error: ${c.action} of ${c.kind} ${c.name} failed: ${(err as Error).message}`);
      o.out(`applied: ${done.length === 0 ? 'nothing' : todo.slice(0, i).map((x) => `${x.action} ${x.kind} ${x.name}`).join(', ')}`);
      o.out(`not applied: ${todo.slice(i).map((x) => `${x.action} ${x.kind} ${x.name}`).join(', ')}`);
      return { code: 1, plan: p };
    }
  }
  o.out(`applied ${todo.length} change${todo.length === 1 ? '' : 's'}`);
  return { code: 0, plan: p };
}
