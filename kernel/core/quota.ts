/**
 * Quota of roles, as Mesos's UPDATE_QUOTA defines it: guarantees (held back for the role) and
 * limits (the most it may consume), both per resource; a role's consumption is what it has
 * reserved plus what it holds unreserved (offered or used), its descendants included. Pure: the
 * operator API checks an update here before appending it, and the fold checks it again against the
 * state at that point of the log.
 */
import { consumption } from './accounts.js';
import { addInto, fromUnits, QUANTITY_NAMES, type Quantities, formatQ, zeroQ, fromMilli } from './quantities.js';
import { isAncestorOrSelf, parentRole, roleError } from './roles.js';
import type { QuotaConfig, State } from './state.js';

export interface QuotaConfigInput {
  readonly role: string;
  readonly guarantees: Readonly<Record<string, number>>;
  readonly limits: Readonly<Record<string, number>>;
}

/** What a role and its descendants consume (thousandths); `offered`: count offers too (see consumption). */
export function subtreeConsumption(state: State, role: string, offered = true): Quantities {
  const q = zeroQ();
  for (const [r, acc] of state.roles) if (isAncestorOrSelf(role, r)) addInto(q, consumption(acc, offered));
  return q;
}

/** The quota of a role as quantities (guarantees, and limits with Infinity where none is set). */
export function quotaQuantities(c: QuotaConfig | undefined): { guarantees: Quantities; limits: Quantities; hasLimits: boolean; hasGuarantees: boolean } {
  const guarantees = fromUnits(c?.guarantees ?? {});
  const limits: Quantities = { cpus: Infinity, mem: Infinity, disk: Infinity, gpus: Infinity };
  let hasLimits = false;
  for (const [k, v] of Object.entries(c?.limits ?? {})) {
    if (k in limits) {
      limits[k as keyof Quantities] = Math.round(v * 1000);
      hasLimits = true;
    }
  }
  return { guarantees, limits, hasLimits, hasGuarantees: QUANTITY_NAMES.some((n) => guarantees[n] > 0) };
}

const describeRecord = (r: Readonly<Record<string, number>>): string =>
  Object.entries(r)
    .map(([k, v]) => `${k}:${v}`)
    .join(';') || '(nothing)';

/**
 * The reason an update of quota configs is refused, or undefined. Checks, as Mesos does: valid role
 * names; only cpus, mem, disk and gpus; guarantees within limits; a parent's guarantees hold its
 * children's and its limits are no lower than theirs; unless `force`: no role already consumes more
 * than its new limits, and the guarantees together fit in the cluster.
 */
export function quotaUpdateError(state: State, configs: readonly QuotaConfigInput[], force: boolean): string | undefined {
  const seen = new Set<string>();
  for (const c of configs) {
    const bad = roleError(c.role);
    if (bad !== undefined) return `Invalid QuotaConfig: ${bad}`;
    if (seen.has(c.role)) return `Invalid QuotaConfig: role '${c.role}' appears more than once`;
    seen.add(c.role);
    for (const [what, rec] of [['guarantees', c.guarantees], ['limits', c.limits]] as const) {
      for (const [k, v] of Object.entries(rec)) {
        if (!(QUANTITY_NAMES as readonly string[]).includes(k)) {
          return `Invalid QuotaConfig: role '${c.role}': quota is supported for ${QUANTITY_NAMES.join(', ')} only, not '${k}'`;
        }
        if (!(v >= 0) || !Number.isFinite(v)) return `Invalid QuotaConfig: role '${c.role}': ${what}.${k} must be a finite number >= 0 (got ${v})`;
      }
    }
    for (const [k, g] of Object.entries(c.guarantees)) {
      const l = c.limits[k];
      if (l !== undefined && g > l) return `Invalid QuotaConfig: role '${c.role}': guarantee ${k}:${g} is above its limit ${k}:${l}`;
    }
  }
  // The quotas after the update, as one tree.
  const next = new Map<string, QuotaConfig>(state.quotas);
  for (const c of configs) {
    if (Object.keys(c.guarantees).length === 0 && Object.keys(c.limits).length === 0) next.delete(c.role);
    else next.set(c.role, { guarantees: { ...c.guarantees }, limits: { ...c.limits } });
  }
  for (const [role, q] of next) {
    // Each role's nearest ancestor with quota must hold it: guarantees ⊇ sum of children's, limits ≥.
    let parent = parentRole(role);
    while (parent !== '' && !next.has(parent)) parent = parentRole(parent);
    if (parent === '') continue;
    const pq = quotaQuantities(next.get(parent));
    const cq = quotaQuantities(q);
    // A limit the child does not set is its parent's anyway; one it sets may not be above it.
    for (const n of QUANTITY_NAMES) {
      if (q.limits[n] !== undefined && cq.limits[n] > pq.limits[n]) {
        return `Invalid QuotaConfig: role '${role}' has a ${n} limit (${describeRecord(q.limits)}) above its parent '${parent}''s (${describeRecord(next.get(parent)!.limits)})`;
      }
    }
  }
  // Sum the children's guarantees per nearest quota parent, in one pass.
  const childSums = new Map<string, Quantities>();
  for (const [role, q] of next) {
    const parent = nearestQuotaParent(next, role);
    if (parent === undefined) continue;
    let sum = childSums.get(parent);
    if (sum === undefined) childSums.set(parent, (sum = zeroQ()));
    addInto(sum, quotaQuantities(q).guarantees);
  }
  for (const [role, sum] of childSums) {
    const own = quotaQuantities(next.get(role)).guarantees;
    for (const n of QUANTITY_NAMES) {
      if (sum[n] > own[n]) {
        return `Invalid QuotaConfig: parent role '${role}' with guarantees (${formatQ(own)}) does not contain the sum of its children's guarantees (${formatQ(sum)})`;
      }
    }
  }
  if (force) return undefined;
  for (const c of configs) {
    const { limits } = quotaQuantities({ guarantees: c.guarantees, limits: c.limits });
    const used = subtreeConsumption(state, c.role, false);
    for (const n of QUANTITY_NAMES) {
      if (used[n] > limits[n]) {
        return `Invalid QuotaConfig: role '${c.role}' is already consuming '${formatQ(used)}'; this is more than the requested limits '${describeRecord(c.limits)}' (use 'force' flag to bypass this check)`;
      }
    }
  }
  const total = zeroQ();
  for (const [role, q] of next) if (nearestQuotaParent(next, role) === undefined) addInto(total, quotaQuantities(q).guarantees);
  for (const n of QUANTITY_NAMES) {
    if (total[n] > state.totals[n]) {
      return `Invalid QuotaConfig: total quota guarantees '${formatQ(total)}' exceed cluster capacity '${formatQ(state.totals)}' (use 'force' flag to bypass this check)`;
    }
  }
  return undefined;
}

function nearestQuotaParent(quotas: ReadonlyMap<string, QuotaConfig>, role: string): string | undefined {
  for (let p = parentRole(role); p !== ''; p = parentRole(p)) if (quotas.has(p)) return p;
  return undefined;
}

/** A role's quota as Mesos's JSON `{cpus: {value}}` maps, for the operator API. */
export function scalarMap(rec: Readonly<Record<string, number>>): Record<string, { value: number }> {
  return Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, { value: v }]));
}

export { fromMilli };
