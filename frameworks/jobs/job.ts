/**
 * A job definition as Chronos's REST API takes it: the fields users set (`name`, `command`,
 * `schedule` + `scheduleTimeZone` or `parents`, `cpus`, `mem`, `disk`, `retries`, `epsilon`,
 * `owner`, `disabled`, `concurrent`, `environmentVariables`, `uris`, …), validated with zod.
 * Fields we do not know are kept and returned as they were given; the counters Chronos returns
 * (`successCount`, `lastSuccess`, …) come from the log, so a definition that carries them (one
 * read back from GET /v1/scheduler/jobs and posted again) has them set aside, not stored.
 * Ours: `cron`, a cron expression instead of `schedule`.
 */
import { z } from 'zod';
import { type Schedule, parseCron, parseEpsilon, parseIso8601 } from './schedule.js';

export const JOB_NAME = /^[\w.-]{1,200}$/;

/** What Chronos computes and returns with a job; never part of a definition. */
export const COMPUTED_FIELDS = ['successCount', 'errorCount', 'lastSuccess', 'lastError', 'errorsSinceLastSuccess', 'state', 'nextRun', 'waiting', 'lastSkipped', 'skippedCount'] as const;

const EnvironmentVariable = z.object({ name: z.string().min(1, 'an environment variable needs a name'), value: z.string() }).passthrough();
const Fetch = z
  .object({
    uri: z.string().min(1),
    executable: z.boolean().optional(),
    extract: z.boolean().optional(),
    cache: z.boolean().optional(),
    output_file: z.string().optional(),
  })
  .passthrough();

/** The fields we read; anything else passes through untouched. */
export const JobFields = z
  .object({
    name: z.string({ error: (i) => (i.input === undefined ? 'a job needs a name' : 'a name is a string') }).regex(JOB_NAME, "letters, digits, '_', '.' and '-' only (Chronos's pattern [\\w.-]+)"),
    command: z.string({ error: (i) => (i.input === undefined ? 'a job needs a command' : 'a command is a string') }).min(1, 'a job needs a command'),
    shell: z.boolean().default(true),
    arguments: z.array(z.string()).default([]),
    schedule: z.string().optional(),
    scheduleTimeZone: z.string().default(''),
    cron: z.string().optional(),
    parents: z.array(z.string()).optional(),
    epsilon: z.string().default('PT60S'),
    cpus: z.number().nonnegative().finite().default(0),
    mem: z.number().nonnegative().finite().default(0),
    disk: z.number().nonnegative().finite().default(0),
    retries: z.number().int().nonnegative().max(1000).default(2),
    owner: z.string().default(''),
    ownerName: z.string().default(''),
    description: z.string().default(''),
    disabled: z.boolean().default(false),
    concurrent: z.boolean().default(false),
    softError: z.boolean().default(false),
    runAsUser: z.string().default(''),
    environmentVariables: z.array(EnvironmentVariable).default([]),
    uris: z.array(z.string().min(1)).default([]),
    fetch: z.array(Fetch).default([]),
  })
  .passthrough();

/** A stored definition: the validated fields, with unknown ones kept. */
export type JobDefinition = z.infer<typeof JobFields> & { readonly [k: string]: unknown };
export const JobDefinition = JobFields;

export type JobKind = 'schedule' | 'dependency';

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** Chronos's error body (`status`, `message`); ours besides: `errors`, one per field. */
export interface ChronosError {
  readonly status: string;
  readonly message: string;
  readonly errors?: readonly FieldError[];
}

export const chronosError = (status: string, errors: readonly FieldError[]): ChronosError => ({
  status,
  message: errors.map((e) => (e.field === '' ? e.message : `${e.field}: ${e.message}`)).join('; '),
  errors,
});

export type ValidatedJob = { readonly ok: true; readonly job: JobDefinition; readonly schedule: Schedule | undefined; readonly epsilonMs: number } | { readonly ok: false; readonly errors: FieldError[] };

/** A job as POST /v1/scheduler/iso8601 (kind schedule) or /v1/scheduler/dependency takes it. */
export function validateJob(body: unknown, kind: JobKind, now: number): ValidatedJob {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, errors: [{ field: '', message: 'a job is a JSON object' }] };
  const raw = Object.fromEntries(Object.entries(body as Record<string, unknown>).filter(([k]) => !(COMPUTED_FIELDS as readonly string[]).includes(k)));
  const r = JobFields.safeParse(raw);
  if (!r.success) return { ok: false, errors: r.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) };
  const job = r.data as JobDefinition;
  const errors: FieldError[] = [];
  const eps = parseEpsilon(job.epsilon);
  if (!eps.ok) errors.push({ field: 'epsilon', message: eps.reason });
  const tz = job.scheduleTimeZone === '' ? undefined : job.scheduleTimeZone;
  let schedule: Schedule | undefined;
  if (kind === 'schedule') {
    if (job.parents !== undefined && job.parents.length > 0) errors.push({ field: 'parents', message: 'a scheduled job has no parents: POST a job with parents to /v1/scheduler/dependency' });
    if (job.schedule !== undefined && job.cron !== undefined) errors.push({ field: 'schedule', message: 'give "schedule" (ISO 8601) or "cron", not both' });
    else if (job.schedule === undefined && job.cron === undefined) errors.push({ field: 'schedule', message: 'a scheduled job needs a schedule: R[n]/<start>/<period> (e.g. R/2026-01-01T00:00:00Z/PT1H), or "cron"' });
    else if (job.schedule !== undefined) {
      const s = parseIso8601(job.schedule, tz, now);
      if (s.ok) {
        schedule = s.value;
        // An empty start is the time of posting: written in, so the stored schedule names fixed instants.
        if (/^R\d*\/\//.test(job.schedule.trim())) (job as { schedule?: string }).schedule = job.schedule.trim().replace(/\/\//, `/${new Date(s.value.start).toISOString()}/`);
      }
      else errors.push({ field: /time zone/.test(s.reason) ? 'scheduleTimeZone' : 'schedule', message: s.reason });
    } else {
      const s = parseCron(job.cron!, tz);
      if (s.ok) schedule = s.value;
      else errors.push({ field: /time zone/.test(s.reason) ? 'scheduleTimeZone' : 'cron', message: s.reason });
    }
  } else {
    if (job.parents === undefined || job.parents.length === 0) errors.push({ field: 'parents', message: 'a dependent job needs parents (the names of the jobs it runs after)' });
    else if (job.parents.includes(job.name)) errors.push({ field: 'parents', message: `job '${job.name}' cannot be its own parent` });
    else if (new Set(job.parents).size !== job.parents.length) errors.push({ field: 'parents', message: 'a parent is named twice' });
    if (job.schedule !== undefined || job.cron !== undefined) errors.push({ field: 'schedule', message: 'a dependent job runs after its parents and has no schedule: POST a scheduled job to /v1/scheduler/iso8601' });
  }
  if (job.uris.length > 0 && job.fetch.length > 0) errors.push({ field: 'fetch', message: 'give uris (deprecated) or fetch, not both' });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, job, schedule, epsilonMs: eps.ok ? eps.value : 60_000 };
}

/** The schedule of a stored definition (it was valid when stored: parsing again cannot fail). */
export function scheduleOf(job: JobDefinition, definedAt: number): Schedule | undefined {
  const tz = job.scheduleTimeZone === '' ? undefined : job.scheduleTimeZone;
  if (job.schedule !== undefined) {
    const s = parseIso8601(job.schedule, tz, definedAt);
    return s.ok ? s.value : undefined;
  }
  if (job.cron !== undefined) {
    const s = parseCron(job.cron, tz);
    return s.ok ? s.value : undefined;
  }
  return undefined;
}

export const epsilonOf = (job: JobDefinition): number => {
  const e = parseEpsilon(job.epsilon);
  return e.ok ? e.value : 60_000;
};

/** What a run of the job takes (Chronos's defaults for what is 0: 0.1 cpus, 128 MB, 256 MB of disk). */
export const DEFAULT_RESOURCES = { cpus: 0.1, mem: 128, disk: 256 } as const;
export const resourcesOf = (job: JobDefinition): { cpus: number; mem: number; disk: number } => ({
  cpus: job.cpus > 0 ? job.cpus : DEFAULT_RESOURCES.cpus,
  mem: job.mem > 0 ? job.mem : DEFAULT_RESOURCES.mem,
  disk: job.disk > 0 ? job.disk : DEFAULT_RESOURCES.disk,
});

/** Two definitions schedule alike (a redefinition that keeps the schedule keeps the instants already decided). */
export const sameSchedule = (a: JobDefinition, b: JobDefinition): boolean => a.schedule === b.schedule && a.cron === b.cron && a.scheduleTimeZone === b.scheduleTimeZone && a.disabled === b.disabled;
