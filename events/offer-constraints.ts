/**
 * A framework's offer constraints (Mesos 1.11's `Subscribe.offer_constraints`), in our shape: per
 * role, a list of groups; an agent may be offered to the framework in that role when every
 * constraint of at least one group holds for it. Roles not listed are not constrained.
 */
import { z } from 'zod';
import { RoleName } from './envelope.js';

export const PSEUDOATTRIBUTES = ['HOSTNAME', 'REGION', 'ZONE'] as const;

export const AttributeSelector = z.union([
  z.object({ attribute: z.string().min(1).max(1024) }).strict(),
  z.object({ pseudoattribute: z.enum(PSEUDOATTRIBUTES) }).strict(),
]);
export type AttributeSelector = z.infer<typeof AttributeSelector>;

/** A text regex must match the whole value (as RE2::FullMatch). */
export const AttributePredicate = z.discriminatedUnion('op', [
  z.object({ op: z.literal('EXISTS') }),
  z.object({ op: z.literal('NOT_EXISTS') }),
  z.object({ op: z.literal('TEXT_EQUALS'), value: z.string().max(4096) }),
  z.object({ op: z.literal('TEXT_NOT_EQUALS'), value: z.string().max(4096) }),
  z.object({ op: z.literal('TEXT_MATCHES'), regex: z.string().max(1024) }),
  z.object({ op: z.literal('TEXT_NOT_MATCHES'), regex: z.string().max(1024) }),
]);
export type AttributePredicate = z.infer<typeof AttributePredicate>;

export const AttributeConstraint = z.object({ selector: AttributeSelector, predicate: AttributePredicate });
export type AttributeConstraint = z.infer<typeof AttributeConstraint>;

export const OFFER_CONSTRAINT_LIMITS = { groupsPerRole: 256, constraintsPerGroup: 64 } as const;

export const OfferConstraints = z.record(
  RoleName,
  z.array(z.array(AttributeConstraint).min(1).max(OFFER_CONSTRAINT_LIMITS.constraintsPerGroup)).min(1).max(OFFER_CONSTRAINT_LIMITS.groupsPerRole),
);
export type OfferConstraints = z.infer<typeof OfferConstraints>;
