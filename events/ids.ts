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

/** Longest id Mesos accepts (its NAME_MAX: an id is used as one directory name). */
export const MAX_ID_LENGTH = 255;

/**
 * Why an id chosen by a framework or an operator (task, executor, framework, agent) cannot be used,
 * or undefined when it can. Mesos's rule (common/validation.cpp): not empty, at most 255
 * characters, not `.` or `..`, no control characters, `/` or `\`. We also refuse whitespace: ids
 * name directories and appear in logs and URLs, where a blank is a trap.
 */
export function idError(id: string): string | undefined {
  if (id.length === 0) return 'ID must not be empty';
  if (id.length > MAX_ID_LENGTH) return `ID must not be greater than ${MAX_ID_LENGTH} characters`;
  if (id === '.' || id === '..') return `'${id}' is disallowed`;
  // Control characters (C0, DEL, C1), any Unicode whitespace, and both path separators.
  if (/[\u0000-\u001f\u007f-\u009f\s/\\]/u.test(id)) return `'${printable(id)}' contains invalid characters (no '/', '\\', whitespace or control characters)`;
  return undefined;
}

/** The id with control characters escaped, to quote it in a message. */
const printable = (id: string): string => JSON.stringify(id).slice(1, -1);
