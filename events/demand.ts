/**
 * Demand and why it is not met. A framework states what it still wants (Mesos's REQUEST call; the
 * SDK's `request`), and the leader records, when that demand stays unmet, the reasons the
 * allocator found — only when the set of reasons changes, so the log does not bloat.
 */
import { z } from 'zod';
import { decision, envelope, RoleName } from './envelope.js';
import { AgentId, FrameworkId } from './ids.js';
import { Resources } from './resources.js';

export const ResourceRequest = z.object({
  /** A name for it (a task name), to look it up later (`mesos replay why-pending --task-name`). */
  name: z.string().max(1024).optional(),
  /** The role it is for (default: the framework's first role). */
  role: RoleName.optional(),
  /** Only this agent will do. */
  agentId: AgentId.optional(),
  resources: Resources.min(1),
});

/** The framework's demand, replacing the one before; an empty list withdraws it. */
export const ResourcesRequested = z.object({
  type: z.literal('ResourcesRequested'),
  ...envelope,
  frameworkId: FrameworkId,
  requests: z.array(ResourceRequest),
});

export const PENDING_REASON_CODES = [
  'FRAMEWORK_SUPPRESSED',
  'FRAMEWORK_INACTIVE',
  'ROLE_NOT_ALLOWED',
  'FILTERED',
  'QUOTA_LIMIT',
  'QUOTA_HEADROOM',
  'NO_AGENT_LARGE_ENOUGH',
  'AGENT_NOT_FOUND',
  'RESOURCES_IN_USE',
  'RESERVED_FOR_OTHER_ROLE',
  'AGENTS_UNAVAILABLE',
  'GPU_AGENTS_ONLY',
  'LOWER_IN_FAIR_SHARE',
] as const;
export const PendingReasonCode = z.enum(PENDING_REASON_CODES);
export type PendingReasonCode = z.infer<typeof PendingReasonCode>;

export const PendingReasonSchema = z.object({
  code: PendingReasonCode,
  message: z.string().max(2048),
  role: RoleName.optional(),
  /** The request it concerns (its name, or its resources in text form). */
  demand: z.string().max(1024).optional(),
  /** How many agents this reason applies to. */
  agents: z.number().int().nonnegative().optional(),
  /** The resource that is short, when there is one. */
  resource: z.string().optional(),
});

/** Why a framework's demand is still unmet (no reasons: it is met, or withdrawn). */
export const DemandUnmet = z.object({
  type: z.literal('DemandUnmet'),
  ...decision,
  frameworkId: FrameworkId,
  reasons: z.array(PendingReasonSchema),
});
