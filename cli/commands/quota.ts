/**
 * `mesos quota get|set|remove`, `mesos weights get|set`, `mesos roles`: quota, weights and roles
 * through the operator API (GET_QUOTA, UPDATE_QUOTA, GET_WEIGHTS, UPDATE_WEIGHTS, GET_ROLES).
 */
import type { FlagSpec } from '../flags.js';
import { parseWeights } from './master.js';
import { AUTH_FLAGS, call, fmtQ, JSON_FLAG, MASTER_FLAG, out, quantities, scalarMap, table } from './operator-common.js';

interface QuotaStatus {
  get_quota?: { status?: { configs?: { role: string; guarantees?: Record<string, { value: number }>; limits?: Record<string, { value: number }> }[] } };
}

export const quotaGetFlags: readonly FlagSpec[] = [MASTER_FLAG, JSON_FLAG, ...AUTH_FLAGS];
export async function runQuotaGet(v: Readonly<Record<string, unknown>>): Promise<number> {
  const r = await call(v, { type: 'GET_QUOTA' });
  if (v.json === true) return 0;
  const configs = (r.json as QuotaStatus).get_quota?.status?.configs ?? [];
  if (configs.length === 0) out('no quota is set');
  else out(table([['ROLE', 'GUARANTEES', 'LIMITS'], ...configs.map((c) => [c.role, fmtQ(c.guarantees), fmtQ(c.limits)])]));
  return 0;
}

export const quotaSetFlags: readonly FlagSpec[] = [
  MASTER_FLAG,
  { name: 'role', type: 'string', required: true, placeholder: 'role', help: 'The role (e.g. eng or eng/backend)' },
  { name: 'limit', type: 'string', placeholder: 'r:q;…', help: 'The most the role (with its descendants) may consume, e.g. cpus:10;mem:20480' },
  { name: 'guarantee', type: 'string', placeholder: 'r:q;…', help: 'Held back for the role (deprecated in Mesos, still honoured), e.g. cpus:2' },
  { name: 'force', type: 'bool', default: false, help: 'Set it even if the role already consumes more, or guarantees exceed the cluster' },
  JSON_FLAG,
  ...AUTH_FLAGS,
];
export async function runQuotaSet(v: Readonly<Record<string, unknown>>): Promise<number> {
  const limits = quantities(v.limit as string | undefined, 'limit');
  const guarantees = quantities(v.guarantee as string | undefined, 'guarantee');
  if (Object.keys(limits).length === 0 && Object.keys(guarantees).length === 0) {
    throw new Error('give --limit and/or --guarantee (use `mesos quota remove` to remove a quota)');
  }
  await call(v, {
    type: 'UPDATE_QUOTA',
    update_quota: { force: v.force === true, quota_configs: [{ role: v.role as string, guarantees: scalarMap(guarantees), limits: scalarMap(limits) }] },
  });
  if (v.json !== true) out(`quota of ${String(v.role)} set`);
  return 0;
}

export const quotaRemoveFlags: readonly FlagSpec[] = [MASTER_FLAG, { name: 'role', type: 'string', required: true, placeholder: 'role', help: 'The role' }, JSON_FLAG, ...AUTH_FLAGS];
export async function runQuotaRemove(v: Readonly<Record<string, unknown>>): Promise<number> {
  await call(v, { type: 'UPDATE_QUOTA', update_quota: { force: true, quota_configs: [{ role: v.role as string }] } });
  if (v.json !== true) out(`quota of ${String(v.role)} removed`);
  return 0;
}

export const weightsGetFlags: readonly FlagSpec[] = [MASTER_FLAG, JSON_FLAG, ...AUTH_FLAGS];
export async function runWeightsGet(v: Readonly<Record<string, unknown>>): Promise<number> {
  const r = await call(v, { type: 'GET_WEIGHTS' });
  if (v.json === true) return 0;
  const infos = (r.json as { get_weights?: { weight_infos?: { role?: string; weight: number }[] } }).get_weights?.weight_infos ?? [];
  out(infos.length === 0 ? 'no weights are set (every role weighs 1)' : table([['ROLE', 'WEIGHT'], ...infos.map((w) => [w.role ?? '', String(w.weight)])]));
  return 0;
}

export const weightsSetFlags: readonly FlagSpec[] = [
  MASTER_FLAG,
  { name: 'weights', type: 'string', required: true, placeholder: 'role=w,…', help: 'e.g. eng=2,ops=0.5 (1 is the default weight)' },
  JSON_FLAG,
  ...AUTH_FLAGS,
];
export async function runWeightsSet(v: Readonly<Record<string, unknown>>): Promise<number> {
  const weights = parseWeights(v.weights as string);
  await call(v, { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: Object.entries(weights).map(([role, weight]) => ({ role, weight })) } });
  if (v.json !== true) out(`weights set: ${Object.entries(weights).map(([r, w]) => `${r}=${w}`).join(', ')}`);
  return 0;
}

export const rolesFlags: readonly FlagSpec[] = [MASTER_FLAG, JSON_FLAG, ...AUTH_FLAGS];
export async function runRoles(v: Readonly<Record<string, unknown>>): Promise<number> {
  const r = await call(v, { type: 'GET_ROLES' });
  if (v.json === true) return 0;
  const roles =
    (r.json as { get_roles?: { roles?: { name: string; weight: number; frameworks?: { value: string }[]; resources?: { name: string; scalar?: { value: number } }[] }[] } }).get_roles
      ?.roles ?? [];
  out(
    table([
      ['ROLE', 'WEIGHT', 'FRAMEWORKS', 'OFFERED+ALLOCATED'],
      ...roles.map((x) => [x.name, String(x.weight), String(x.frameworks?.length ?? 0), (x.resources ?? []).map((q) => `${q.name}:${q.scalar?.value ?? 0}`).join(';') || '-']),
    ]),
  );
  return 0;
}
