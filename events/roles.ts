/**
 * Events of the allocator's configuration: role weights, quota, and the settings the leader
 * records so that every replica (and replay) decides alike. Appended by the operator API (and the
 * leader, for flags) on `cl.sys.*`.
 */
import { z } from 'zod';
import { decision, envelope, RoleName } from './envelope.js';

/** Resource amounts by name, in natural units (`{"cpus": 2, "mem": 1024}`). */
export const ScalarAmounts = z.record(z.string().min(1).max(128), z.number().finite().nonnegative());
export type ScalarAmounts = z.infer<typeof ScalarAmounts>;

/** Weights of roles (Mesos's UPDATE_WEIGHTS, or the master's --weights flag). */
export const WeightsUpdated = z.object({
  type: z.literal('WeightsUpdated'),
  ...envelope,
  weights: z.array(z.object({ role: RoleName, weight: z.number().finite().positive() })).min(1),
  source: z.enum(['OPERATOR', 'FLAG']).default('OPERATOR'),
});

export const QuotaConfigSchema = z.object({
  role: RoleName,
  /** Held back for the role (deprecated in Mesos, still honoured). */
  guarantees: ScalarAmounts.default({}),
  /** The most the role (with its descendants) may consume; a resource not named has no limit. */
  limits: ScalarAmounts.default({}),
});

/** Quota of roles (Mesos's UPDATE_QUOTA), all or nothing. An empty config removes a role's quota. */
export const QuotaUpdated = z.object({
  type: z.literal('QuotaUpdated'),
  ...envelope,
  configs: z.array(QuotaConfigSchema).min(1),
  /** Skip the check that current consumption is within the new limits. */
  force: z.boolean().default(false),
});

/** The allocator settings of the leading master (its flags), recorded when it starts to lead. */
export const AllocatorConfigured = z.object({
  type: z.literal('AllocatorConfigured'),
  ...decision,
  minAllocatable: z.array(ScalarAmounts),
  filterGpuResources: z.boolean(),
  roleWhitelist: z.array(RoleName).nullable(),
});
