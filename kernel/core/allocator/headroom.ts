/**
 * Quota during one allocation cycle, as Mesos's allocator enforces it: each role's consumption
 * (reservations + unreserved offered or used, descendants included) against its limits and those
 * of its ancestors; the guarantees still unsatisfied; and the headroom — unreserved resources held
 * back so that those guarantees can still be met:
 *
 *   required headroom  = Σ over the top-most roles with guarantees of (guarantee − consumption)⁺
 *   available headroom = totals − allocated (offered or used) − unallocated reservations
 *
 * Unreserved scalars offered beyond a role's guarantees are cut to the surplus (available −
 * required). Built once per cycle in O(roles · depth); every offer charges it in O(depth).
 */
import { consumption } from '../accounts.js';
import { quotaQuantities } from '../quota.js';
import { addInto, cloneQ, type Quantities, QUANTITY_NAMES, zeroQ } from '../quantities.js';
import { parentRole } from '../roles.js';
import type { State } from '../state.js';

const INF: Quantities = { cpus: Infinity, mem: Infinity, disk: Infinity, gpus: Infinity };

function minInto(a: Quantities, b: Quantities): Quantities {
  for (const n of QUANTITY_NAMES) if (b[n] < a[n]) a[n] = b[n];
  return a;
}

/** Ancestors-or-self of a role, nearest first (`a/b` → `a/b`, `a`). */
function chain(role: string): string[] {
  const out: string[] = [];
  for (let r = role; r !== ''; r = parentRole(r)) out.push(r);
  return out;
}

export class CycleQuota {
  /** Any quota at all? (If not, nothing here costs anything.) */
  readonly active: boolean;
  /** limit − consumption, for roles with limits. */
  private readonly remaining = new Map<string, Quantities>();
  /** (guarantee − consumption)⁺, for roles with guarantees. */
  private readonly guaranteeLeft = new Map<string, Quantities>();
  /** Roles with guarantees that have no ancestor with guarantees: they make up the required headroom. */
  private readonly topGuaranteed = new Set<string>();
  readonly requiredHeadroom: Quantities = zeroQ();
  readonly availableHeadroom: Quantities;
  private readonly chains = new Map<string, string[]>();

  constructor(state: State) {
    this.active = state.quotas.size > 0;
    this.availableHeadroom = cloneQ(state.totals);
    if (!this.active) return;
    const consumed = new Map<string, Quantities>();
    for (const role of state.quotas.keys()) consumed.set(role, zeroQ());
    for (const [role, acc] of state.roles) {
      addInto(this.availableHeadroom, acc.allocated, -1);
      addInto(this.availableHeadroom, acc.reserved, -1);
      addInto(this.availableHeadroom, acc.allocatedReserved);
      const c = consumption(acc);
      for (const r of chain(role)) {
        const q = consumed.get(r);
        if (q !== undefined) addInto(q, c);
      }
    }
    for (const [role, cfg] of state.quotas) {
      const { limits, guarantees, hasLimits, hasGuarantees } = quotaQuantities(cfg);
      const used = consumed.get(role)!;
      if (hasLimits) {
        const rem = zeroQ();
        for (const n of QUANTITY_NAMES) rem[n] = limits[n] - used[n];
        this.remaining.set(role, rem);
      }
      if (hasGuarantees) {
        const left = zeroQ();
        for (const n of QUANTITY_NAMES) left[n] = Math.max(0, guarantees[n] - used[n]);
        this.guaranteeLeft.set(role, left);
      }
    }
    for (const role of this.guaranteeLeft.keys()) {
      if (chain(role).slice(1).some((a) => this.guaranteeLeft.has(a))) continue;
      this.topGuaranteed.add(role);
      addInto(this.requiredHeadroom, this.guaranteeLeft.get(role)!);
    }
  }

  private chainOf(role: string): string[] {
    let c = this.chains.get(role);
    if (c === undefined) this.chains.set(role, (c = chain(role)));
    return c;
  }

  /** The most unreserved scalars a role may still get under its and its ancestors' limits (null: no limits). */
  capFor(role: string): Quantities | null {
    if (!this.active) return null;
    let cap: Quantities | null = null;
    for (const r of this.chainOf(role)) {
      const rem = this.remaining.get(r);
      if (rem !== undefined) cap = minInto(cap ?? cloneQ(INF), rem);
    }
    return cap;
  }

  /** Guarantees still unsatisfied for a role (the least over its guaranteed ancestors-or-self); null: none. */
  unsatisfied(role: string): Quantities | null {
    if (!this.active) return null;
    let left: Quantities | null = null;
    for (const r of this.chainOf(role)) {
      const g = this.guaranteeLeft.get(r);
      if (g !== undefined) left = minInto(left ?? cloneQ(INF), g);
    }
    if (left === null || QUANTITY_NAMES.every((n) => left![n] <= 0)) return null;
    return left;
  }

  /** Roles with unsatisfied guarantees (served first, in stage 1). */
  guaranteedRoles(): string[] {
    const out: string[] = [];
    for (const [role, left] of this.guaranteeLeft) if (QUANTITY_NAMES.some((n) => left[n] > 0)) out.push(role);
    return out;
  }

  /** Unreserved scalars beyond the guarantees may use only this much (null: no headroom to keep). */
  surplus(): Quantities | null {
    if (!this.active || QUANTITY_NAMES.every((n) => this.requiredHeadroom[n] <= 0)) return null;
    const s = zeroQ();
    for (const n of QUANTITY_NAMES) s[n] = Math.max(0, this.availableHeadroom[n] - this.requiredHeadroom[n]);
    return s;
  }

  /** A role was offered these unreserved scalars. */
  charge(role: string, q: Quantities): void {
    addInto(this.availableHeadroom, q, -1);
    if (!this.active) return;
    for (const r of this.chainOf(role)) {
      const rem = this.remaining.get(r);
      if (rem !== undefined) addInto(rem, q, -1);
      const left = this.guaranteeLeft.get(r);
      if (left !== undefined) {
        for (const n of QUANTITY_NAMES) {
          const dec = Math.min(left[n], q[n]);
          if (dec <= 0) continue;
          left[n] -= dec;
          if (this.topGuaranteed.has(r)) this.requiredHeadroom[n] -= dec;
        }
      }
    }
  }

  /** A fingerprint of everything here: when it changes, agents held back by quota are looked at again. */
  signature(): string {
    if (!this.active) return '';
    const parts: number[] = [...QUANTITY_NAMES.map((n) => this.availableHeadroom[n]), ...QUANTITY_NAMES.map((n) => this.requiredHeadroom[n])];
    for (const rem of this.remaining.values()) for (const n of QUANTITY_NAMES) parts.push(rem[n]);
    return parts.join(',');
  }
}
