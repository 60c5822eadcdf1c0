/**
 * Branded identifiers. Agent and framework ids appear as tokens in NATS subjects, so they are
 * restricted to characters that are safe there; task, executor and offer ids are chosen by
 * frameworks (or the leader) and may hold anything printable, but never appear in a subject.
 */
import { z } from 'zod';

const subjectToken = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, "-" and "_" are allowed (the id is a NATS subject token)');

const freeId = z.string().min(1).max(256);

export const AgentId = subjectToken.brand<'AgentId'>();
export type AgentId = z.infer<typeof AgentId>;

export const FrameworkId = subjectToken.brand<'FrameworkId'>();
export type FrameworkId = z.infer<typeof FrameworkId>;

export const OfferId = freeId.brand<'OfferId'>();
export type OfferId = z.infer<typeof OfferId>;

export const TaskId = freeId.brand<'TaskId'>();
export type TaskId = z.infer<typeof TaskId>;

export const ExecutorId = freeId.brand<'ExecutorId'>();
export type ExecutorId = z.infer<typeof ExecutorId>;

/** A task is identified by its framework and its framework-chosen id. */
export type TaskKey = `${string}/${string}` & { readonly __brand: 'TaskKey' };
export const taskKey = (frameworkId: FrameworkId, taskId: TaskId): TaskKey =>
  `${frameworkId}/${taskId}` as TaskKey;

/** Parse helpers for trusted call sites (tests, CLI after flag validation). Throw on bad input. */
export const asAgentId = (s: string): AgentId => AgentId.parse(s);
export const asFrameworkId = (s: string): FrameworkId => FrameworkId.parse(s);
export const asOfferId = (s: string): OfferId => OfferId.parse(s);
export const asTaskId = (s: string): TaskId => TaskId.parse(s);
