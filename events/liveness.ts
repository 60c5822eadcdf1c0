/**
 * Liveness traffic: plain NATS request/reply, never stored in the log. The leader pings each
 * agent; the ping says the last command the log holds for it, so an agent that missed one (a
 * lost core-NATS message) notices and catches up from the stream. The leader also pings each
 * connected framework that it does not serve over HTTP itself (native SDK frameworks answer).
 */
import { z } from 'zod';
import { AgentId, FrameworkId } from './ids.js';
import { TaskStatus } from './catalogue.js';

export const AgentPing = z.object({
  epoch: z.number().int().nonnegative(),
  masterId: z.string(),
  /** The sequence of the last command the log holds for this agent. */
  commandSeq: z.number().int().nonnegative(),
});
export type AgentPing = z.infer<typeof AgentPing>;

export const AgentPong = z.object({
  agentId: AgentId,
  /** The last command sequence the agent has carried out. */
  lastCommandSeq: z.number().int().nonnegative(),
});
export type AgentPong = z.infer<typeof AgentPong>;

export const FrameworkPing = z.object({
  epoch: z.number().int().nonnegative(),
  masterId: z.string(),
});
export type FrameworkPing = z.infer<typeof FrameworkPing>;

export const FrameworkPong = z.object({ frameworkId: FrameworkId });
export type FrameworkPong = z.infer<typeof FrameworkPong>;

/** A native framework asks the leader for the latest state of its tasks (an empty list: all live ones). */
export const ReconcileQuery = z.object({
  tasks: z.array(z.object({ taskId: z.string().min(1), agentId: z.string().min(1).optional() })).max(100_000).default([]),
  /** Answer from a fold that has passed this log sequence (the asker's own last append): read your writes. */
  afterSeq: z.number().int().nonnegative().optional(),
});
export type ReconcileQuery = z.infer<typeof ReconcileQuery>;

/** A reconciliation answer: a task status, without an agent for a task asked about without one that the master does not know. */
export const ReconciledStatus = TaskStatus.extend({ agentId: AgentId.optional() });
export type ReconciledStatus = z.infer<typeof ReconciledStatus>;

export const ReconcileAnswer = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), statuses: z.array(ReconciledStatus) }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type ReconcileAnswer = z.infer<typeof ReconcileAnswer>;
