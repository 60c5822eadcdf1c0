/**
 * Whether an agent passes a framework's offer constraints for a role (Mesos 1.11's
 * OfferConstraintsFilter): it does when the role has none, or when every constraint of at least
 * one group holds. A constraint selects a named attribute or a pseudo-attribute (hostname; region
 * and zone, which our agents do not report, so they never exist) and applies its predicate:
 * - EXISTS / NOT_EXISTS: whether there is such an attribute;
 * - TEXT_EQUALS / TEXT_NOT_EQUALS / TEXT_MATCHES / TEXT_NOT_MATCHES: on a TEXT attribute or a
 *   pseudo-attribute, compare its text (a regex must match all of it); an attribute of another
 *   type (scalar, ranges, set) passes all four, and a missing one passes only the NOT_ forms —
 *   exactly as Mesos does. Pure.
 */
import type { Attribute, AttributeConstraint, OfferConstraints } from '../../events/index.js';

export interface ConstrainedAgent {
  readonly hostname: string;
  readonly attributes: readonly Attribute[];
}

/** Regexes compiled once (anchored: a full match), shared by every framework that uses them. */
const compiled = new Map<string, RegExp | null>();
const MAX_COMPILED = 4096;

/** The regex as a full-match JS RegExp, or the reason it cannot be one. */
export function compileFullMatch(regex: string): { ok: true; re: RegExp } | { ok: false; error: string } {
  // RE2 (what Mesos uses) has no look-around and no back-references; refuse them alike.
  if (/\(\?<?[=!]/.test(regex) || /\\[1-9]/.test(regex)) {
    return { ok: false, error: `Failed to construct regex from pattern '${regex}': look-around and back-references are not supported` };
  }
  try {
    return { ok: true, re: new RegExp(`^(?:${regex})$`, 'u') };
  } catch (e) {
    return { ok: false, error: `Failed to construct regex from pattern '${regex}': ${e instanceof Error ? e.message : String(e)}` };
  }
}

function regexOf(regex: string): RegExp | null {
  let re = compiled.get(regex);
  if (re === undefined) {
    const c = compileFullMatch(regex);
    re = c.ok ? c.re : null;
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(regex, re);
  }
  return re;
}

/** The selected value: text (hostname, or a TEXT attribute), another attribute (non-text), or nothing. */
type Selected = { kind: 'none' } | { kind: 'text'; text: string } | { kind: 'other' };

function select(c: AttributeConstraint, a: ConstrainedAgent): Selected {
  const s = c.selector;
  if ('pseudoattribute' in s) return s.pseudoattribute === 'HOSTNAME' ? { kind: 'text', text: a.hostname } : { kind: 'none' };
  const attr = a.attributes.find((x) => x.name === s.attribute);
  if (attr === undefined) return { kind: 'none' };
  return attr.type === 'TEXT' ? { kind: 'text', text: attr.text } : { kind: 'other' };
}

export function constraintHolds(c: AttributeConstraint, a: ConstrainedAgent): boolean {
  const v = select(c, a);
  const p = c.predicate;
  switch (p.op) {
    case 'EXISTS':
      return v.kind !== 'none';
    case 'NOT_EXISTS':
      return v.kind === 'none';
    case 'TEXT_EQUALS':
      return v.kind === 'other' || (v.kind === 'text' && v.text === p.value);
    case 'TEXT_NOT_EQUALS':
      return v.kind !== 'text' || v.text !== p.value;
    case 'TEXT_MATCHES': {
      if (v.kind !== 'text') return v.kind === 'other';
      return regexOf(p.regex)?.test(v.text) ?? false;
    }
    case 'TEXT_NOT_MATCHES': {
      if (v.kind !== 'text') return true;
      const re = regexOf(p.regex);
      return re !== null && !re.test(v.text);
    }
  }
}

/** Whether the agent may be offered to a framework with these constraints, in this role. */
export function agentPassesConstraints(constraints: OfferConstraints | undefined, role: string, a: ConstrainedAgent): boolean {
  const groups = constraints?.[role];
  if (groups === undefined) return true;
  return groups.some((group) => group.every((c) => constraintHolds(c, a)));
}
