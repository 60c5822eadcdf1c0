/**
 * The Mesos scheduler API's JSON and ours: a SUBSCRIBE's offer_constraints, checked as Mesos 1.11
 * checks them (its OfferConstraintsFilter and subscribe validation): only the framework's roles;
 * no role with an empty list of groups, no empty group; each constraint with exactly one selector
 * (a known pseudo-attribute or an attribute name) and one predicate; every regex valid.
 */
import { type AttributeConstraint, OFFER_CONSTRAINT_LIMITS, type OfferConstraints } from '../../../../events/index.js';
import { compileFullMatch } from '../../../core/offer-constraints.js';
import type { MesosAttributeConstraint, MesosOfferConstraints } from '../wire.js';

export type OfferConstraintsResult = { readonly ok: true; readonly constraints: OfferConstraints | undefined } | { readonly ok: false; readonly error: string };

function constraintFromMesos(c: MesosAttributeConstraint, where: string): { ok: true; c: AttributeConstraint } | { ok: false; error: string } {
  const s = c.selector;
  const named = s.attribute_name !== undefined;
  const pseudo = s.pseudoattribute_type !== undefined;
  if (named === pseudo) {
    return { ok: false, error: `${where}: exactly one of 'AttributeConstraint::Selector::attribute_name' or 'AttributeConstraint::Selector::pseudoattribute_type' must be set` };
  }
  if (pseudo && s.pseudoattribute_type === 'UNKNOWN') return { ok: false, error: `${where}: Unknown pseudoattribute type` };
  const selector: AttributeConstraint['selector'] = named
    ? { attribute: s.attribute_name! }
    : { pseudoattribute: s.pseudoattribute_type as 'HOSTNAME' | 'REGION' | 'ZONE' };
  const p = c.predicate;
  const set = Object.entries(p).filter(([, v]) => v !== undefined);
  if (set.length !== 1) return { ok: false, error: `${where}: Unknown predicate type (exactly one predicate must be set, got ${set.length})` };
  let predicate: AttributeConstraint['predicate'];
  if (p.exists !== undefined) predicate = { op: 'EXISTS' };
  else if (p.not_exists !== undefined) predicate = { op: 'NOT_EXISTS' };
  else if (p.text_equals !== undefined) predicate = { op: 'TEXT_EQUALS', value: p.text_equals.value };
  else if (p.text_not_equals !== undefined) predicate = { op: 'TEXT_NOT_EQUALS', value: p.text_not_equals.value };
  else {
    const regex = (p.text_matches ?? p.text_not_matches)!.regex;
    const re = compileFullMatch(regex);
    if (!re.ok) return { ok: false, error: `${where}: ${re.error}` };
    predicate = p.text_matches !== undefined ? { op: 'TEXT_MATCHES', regex } : { op: 'TEXT_NOT_MATCHES', regex };
  }
  return { ok: true, c: { selector, predicate } };
}

/** Mesos offer_constraints → ours, for a framework subscribed with `roles`. */
export function offerConstraintsFromMesos(oc: MesosOfferConstraints | undefined, roles: readonly string[]): OfferConstraintsResult {
  const byRole = Object.entries(oc?.role_constraints ?? {});
  if (byRole.length === 0) return { ok: true, constraints: undefined };
  const out: OfferConstraints = {};
  for (const [role, rc] of byRole) {
    if (!roles.includes(role)) return { ok: false, error: `Offer constraints specified for role '${role}', which the framework is not subscribed to` };
    if (rc.groups.length === 0) return { ok: false, error: `'OfferConstraints::role_constraints' has an empty 'RoleConstraints::groups' for role ${role}` };
    if (rc.groups.length > OFFER_CONSTRAINT_LIMITS.groupsPerRole) {
      return { ok: false, error: `role ${role} has ${rc.groups.length} constraint groups; at most ${OFFER_CONSTRAINT_LIMITS.groupsPerRole} are accepted` };
    }
    const groups: AttributeConstraint[][] = [];
    for (const [gi, g] of rc.groups.entries()) {
      if (g.attribute_constraints.length === 0) {
        return { ok: false, error: `'OfferConstraints::RoleConstraints::groups' for role ${role} contains an empty RoleConstraints::Group` };
      }
      if (g.attribute_constraints.length > OFFER_CONSTRAINT_LIMITS.constraintsPerGroup) {
        return { ok: false, error: `role ${role}, group ${gi}: ${g.attribute_constraints.length} constraints; at most ${OFFER_CONSTRAINT_LIMITS.constraintsPerGroup} are accepted` };
      }
      const group: AttributeConstraint[] = [];
      for (const [ci, c] of g.attribute_constraints.entries()) {
        const r = constraintFromMesos(c, `role ${role}, group ${gi}, constraint ${ci}`);
        if (!r.ok) return r;
        group.push(r.c);
      }
      groups.push(group);
    }
    out[role] = groups;
  }
  return { ok: true, constraints: out };
}

/** Ours → Mesos offer_constraints JSON (for GET_FRAMEWORKS). */
export function offerConstraintsToMesos(oc: OfferConstraints): MesosOfferConstraintsJson {
  const role_constraints: MesosOfferConstraintsJson['role_constraints'] = {};
  for (const [role, groups] of Object.entries(oc)) {
    role_constraints[role] = {
      groups: groups.map((g) => ({
        attribute_constraints: g.map((c) => ({
          selector: ('attribute' in c.selector ? { attribute_name: c.selector.attribute } : { pseudoattribute_type: c.selector.pseudoattribute }) as Record<string, string>,
          predicate: predicateToMesos(c.predicate),
        })),
      })),
    };
  }
  return { role_constraints };
}

function predicateToMesos(p: AttributeConstraint['predicate']): Record<string, unknown> {
  switch (p.op) {
    case 'EXISTS':
      return { exists: {} };
    case 'NOT_EXISTS':
      return { not_exists: {} };
    case 'TEXT_EQUALS':
      return { text_equals: { value: p.value } };
    case 'TEXT_NOT_EQUALS':
      return { text_not_equals: { value: p.value } };
    case 'TEXT_MATCHES':
      return { text_matches: { regex: p.regex } };
    case 'TEXT_NOT_MATCHES':
      return { text_not_matches: { regex: p.regex } };
  }
}

export interface MesosOfferConstraintsJson {
  role_constraints: Record<string, { groups: { attribute_constraints: { selector: Record<string, string>; predicate: Record<string, unknown> }[] }[] }>;
}
