/**
 * The jobs framework's own log: every decision it takes is one of these events, appended to its
 * stream (`JOBS`, subjects `jobs.>`, see store.ts) before it acts on it, so a restarted framework
 * folds them (state.ts) and carries on where it was. Times are the appender's clock (ms).
 *
 * A run is one firing of a job: for a scheduled instant, a manual "run now", or its parents'
 * success. Its first task is launched with `RunStarted` (recorded before the accept, under a
 * message id made of the job and the instant, so a restarted process cannot start it twice);
 * each retry is a `RunRetried`; `RunFinished` closes it.
 */
import { z } from 'zod';
import { JobDefinition } from './job.js';

const at = z.number().int().nonnegative();
const placed = { taskId: z.string(), agentId: z.string(), hostname: z.string() };

export const RUN_TRIGGERS = ['schedule', 'manual', 'dependency'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];
export const RUN_OUTCOMES = ['SUCCESS', 'FAILED', 'KILLED'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

export const JobsEvent = z.discriminatedUnion('type', [
  /** The framework id the cluster knows this framework by (a restart subscribes as the same one). */
  z.object({ type: z.literal('FrameworkIdRecorded'), at, frameworkId: z.string().min(1) }),
  /** A job was created or replaced. */
  z.object({ type: z.literal('JobDefined'), at, kind: z.enum(['schedule', 'dependency']), job: JobDefinition }),
  /** A job was deleted (its running tasks are killed). */
  z.object({ type: z.literal('JobDeleted'), at, name: z.string() }),
  /** PUT /v1/scheduler/job/{name}: run it now (started when an offer fits). */
  z.object({ type: z.literal('RunRequested'), at, name: z.string(), runId: z.string() }),
  /**
   * Run `runId` of job `name` started: for the scheduled `instant` (trigger schedule), or due at
   * `instant` (manual: when asked; dependency: when the last parent succeeded). Its first task.
   */
  z.object({
    type: z.literal('RunStarted'),
    at,
    name: z.string(),
    runId: z.string(),
    trigger: z.enum(RUN_TRIGGERS),
    instant: at,
    /** The parents' runs that made a dependent job due. */
    parentRuns: z.array(z.string()).optional(),
    ...placed,
  }),
  /** A run's task failed and the run has retries left: the next attempt's task. */
  z.object({ type: z.literal('RunRetried'), at, name: z.string(), runId: z.string(), attempt: z.number().int().min(2), ...placed }),
  /** What the cluster said of a run's task (only changes). */
  z.object({
    type: z.literal('TaskStatusChanged'),
    at,
    name: z.string(),
    runId: z.string(),
    taskId: z.string(),
    state: z.string(),
    reason: z.string().optional(),
    message: z.string().optional(),
  }),
  /** DELETE /v1/scheduler/task/kill/{name}: the run's task is to be killed, and the run ends KILLED (no retry). */
  z.object({ type: z.literal('RunKillRequested'), at, name: z.string(), runId: z.string() }),
  z.object({ type: z.literal('RunFinished'), at, name: z.string(), runId: z.string(), outcome: z.enum(RUN_OUTCOMES), reason: z.string().optional() }),
  /**
   * Instants in [from, to] that did not start within epsilon of their time: never run. For a
   * dependent job (parentRuns given), the firing its parents made due at `from`.
   */
  z.object({
    type: z.literal('InstantsSkipped'),
    at,
    name: z.string(),
    from: at,
    to: at,
    count: z.number().int().positive(),
    /** More were skipped than were counted (a very frequent cron schedule left alone long). */
    capped: z.boolean().optional(),
    parentRuns: z.array(z.string()).optional(),
    reason: z.string(),
  }),
]);
export type JobsEvent = z.infer<typeof JobsEvent>;
export type JobsEventOf<T extends JobsEvent['type']> = Extract<JobsEvent, { type: T }>;

/** The job an event is about (none: the framework's own facts). */
export function jobOf(e: JobsEvent): string | undefined {
  switch (e.type) {
    case 'FrameworkIdRecorded':
      return undefined;
    case 'JobDefined':
      return e.job.name;
    default:
      return e.name;
  }
}
