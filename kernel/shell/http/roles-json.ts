/**
 * Roles as the master shows them: every known role (with frameworks, reservations, allocations,
 * a weight or quota, and the ancestors of those), its weight, quota and what it holds — its
 * descendants included, as Mesos's RoleResourceBreakdown: allocated (used by tasks), offered,
 * reserved, and the quota consumption (reservations + unreserved allocations). `/master/roles`
 * and GET_ROLES are built from this. Pure.
 */
import type { FrameworkId } from '../../../events/index.js';
import { consumption } from '../../core/accounts.js';
import { addInto, type Quantities, toUnits, zeroQ } from '../../core/quantities.js';
import * as R from '../../core/resources.js';
import { ancestors, isAncestorOrSelf } from '../../core/roles.js';
import type { State } from '../../core/state.js';

export interface RoleView {
  readonly name: string;
  readonly weight: number;
  readonly frameworks: FrameworkId[];
  readonly allocated: Quantities;
  readonly offered: Quantities;
  readonly reserved: Quantities;
  readonly consumed: Quantities;
  readonly guarantees: Readonly<Record<string, number>>;
  readonly limits: Readonly<Record<string, number>>;
}

export function roleViews(state: State): RoleView[] {
  const names = new Set<string>();
  for (const r of state.roles.keys()) {
    names.add(r);
    for (const a of ancestors(r)) names.add(a);
  }
  for (const r of state.weights.keys()) names.add(r);
  for (const r of state.quotas.keys()) names.add(r);
  const out: RoleView[] = [];
  for (const name of [...names].sort()) {
    const allocated = zeroQ();
    const offered = zeroQ();
    const reserved = zeroQ();
    const consumed = zeroQ();
    const frameworks: FrameworkId[] = [];
    for (const [r, acc] of state.roles) {
      if (!isAncestorOrSelf(name, r)) continue;
      addInto(allocated, acc.allocated);
      addInto(allocated, acc.offered, -1);
      addInto(offered, acc.offered);
      addInto(reserved, acc.reserved);
      addInto(consumed, consumption(acc, false));
      if (r === name) frameworks.push(...acc.frameworks);
    }
    const q = state.quotas.get(name);
    out.push({
      name,
      weight: state.weights.get(name) ?? 1,
      frameworks: frameworks.sort(),
      allocated,
      offered,
      reserved,
      consumed,
      guarantees: q?.guarantees ?? {},
      limits: q?.limits ?? {},
    });
  }
  return out;
}

/** The flat JSON `/master/roles` uses ({cpus, mem, …} with the four always present). */
const flat = (q: Quantities): Record<string, number> => ({ disk: 0, mem: 0, gpus: 0, cpus: 0, ...toUnits(q) });

/** `/master/roles` (and `/roles`), Mesos's legacy JSON. */
export function masterRolesJson(state: State): { roles: Record<string, unknown>[] } {
  return {
    roles: roleViews(state).map((v) => ({
      name: v.name,
      weight: v.weight,
      quota: { role: v.name, guarantee: { ...v.guarantees }, limit: { ...v.limits }, consumed: toUnits(v.consumed) },
      resources: flat(addInto({ ...v.allocated }, v.offered)),
      allocated: toUnits(v.allocated),
      offered: toUnits(v.offered),
      reserved: toUnits(v.reserved),
      frameworks: v.frameworks,
    })),
  };
}

/** Reserved resources of an agent by role, flattened (`/master/state`'s `reserved_resources`). */
export function reservedByRole(rs: R.Resources): Record<string, Record<string, number | string>> {
  const byRole = new Map<string, R.Resources>();
  for (const r of rs) {
    const role = R.reservedRole(r);
    if (role !== '*') byRole.set(role, [...(byRole.get(role) ?? []), r]);
  }
  return Object.fromEntries([...byRole].map(([role, list]) => [role, R.toFlatJson(list)]));
}
