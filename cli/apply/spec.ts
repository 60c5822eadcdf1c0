/**
 * The declarative job file (Aurora-like): one format for long-running services and scheduled
 * jobs, written in YAML or JSON. A file holds one definition, several YAML documents (`---`), or a
 * list of them. Every definition names its `kind` (`service` or `job`) and its `name`; the rest is
 * what the kind needs. This module is pure: text in, definitions (or errors that name the file,
 * the line and the field) out.
 */
import { LineCounter, parseAllDocuments, isMap, isSeq, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { Constraint, HEALTH_PROTOCOLS, normaliseAppId } from '../../frameworks/services/app.js';

const seconds = z.number().finite().nonnegative();
const stringMap = z.record(z.string(), z.string());

const Resources = z.strictObject({
  cpus: z.number().finite().nonnegative().optional(),
  mem: z.number().finite().nonnegative().optional(),
  disk: z.number().finite().nonnegative().optional(),
  gpus: z.number().int().nonnegative().optional(),
});

/** `hostname:UNIQUE`, `rack:GROUP_BY:3`, or Marathon's `[field, operator, value]`. */
const ConstraintSpec = z.preprocess((v) => (typeof v === 'string' ? v.split(':') : v), Constraint);

const Health = z.strictObject({
  protocol: z.enum(HEALTH_PROTOCOLS).default('HTTP'),
  path: z.string().regex(/^\//, 'the path must start with /').optional(),
  portIndex: z.number().int().nonnegative().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** For protocol COMMAND: the shell command; healthy when it exits 0. */
  command: z.string().min(1).optional(),
  gracePeriodSeconds: seconds.optional(),
  intervalSeconds: seconds.optional(),
  timeoutSeconds: seconds.optional(),
  maxConsecutiveFailures: z.number().int().nonnegative().optional(),
  delaySeconds: seconds.optional(),
});

const Port = z.strictObject({
  port: z.number().int().min(0).max(65535).default(0),
  name: z.string().min(1).optional(),
  protocol: z.enum(['tcp', 'udp', 'udp,tcp']).optional(),
  labels: stringMap.optional(),
});

const Container = z.strictObject({ image: z.string().min(1).max(1024) });

const common = {
  name: z.string().min(1),
  /** A shell command line (or `args`: an executable and its arguments, no shell). */
  command: z.string().min(1).optional(),
  args: z.array(z.string()).min(1).optional(),
  user: z.string().min(1).optional(),
  resources: Resources.default({}),
  env: stringMap.optional(),
  container: Container.optional(),
};

export const ServiceSpec = z
  .strictObject({
    kind: z.literal('service'),
    ...common,
    name: z.string().min(1).superRefine((s, ctx) => {
      try {
        normaliseAppId(s);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
    instances: z.number().int().nonnegative().default(1),
    labels: stringMap.optional(),
    /** One entry per host port the task needs (default: one, any free port). */
    ports: z.array(Port).optional(),
    requirePorts: z.boolean().optional(),
    health: Health.optional(),
    constraints: z.array(ConstraintSpec).optional(),
    update: z.strictObject({ minimumHealthCapacity: z.number().min(0).max(1).optional(), maximumOverCapacity: z.number().min(0).max(1).optional() }).optional(),
    backoff: z.strictObject({ seconds: seconds.optional(), factor: z.number().finite().min(1).optional(), maxLaunchDelaySeconds: seconds.optional() }).optional(),
    killGracePeriodSeconds: seconds.optional(),
    role: z.string().min(1).optional(),
    acceptedResourceRoles: z.array(z.string().min(1)).min(1).optional(),
    /** Marathon app fields this format has no name for, sent as they are. */
    marathon: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.command === undefined && s.args === undefined) ctx.addIssue({ code: 'custom', path: ['command'], message: 'give command (a shell line) or args' });
    if (s.command !== undefined && s.args !== undefined) ctx.addIssue({ code: 'custom', path: ['args'], message: 'give command or args, not both' });
    if (s.health?.protocol === 'COMMAND' && s.health.command === undefined) ctx.addIssue({ code: 'custom', path: ['health', 'command'], message: 'a COMMAND health check needs command' });
    if (s.health !== undefined && s.health.protocol !== 'COMMAND' && s.health.command !== undefined) ctx.addIssue({ code: 'custom', path: ['health', 'command'], message: `a ${s.health.protocol} health check takes no command` });
    if (s.requirePorts === true) {
      (s.ports ?? []).forEach((p, i) => {
        if (p.port === 0) ctx.addIssue({ code: 'custom', path: ['ports', i, 'port'], message: 'requirePorts needs every port given (not 0)' });
      });
    }
  });
export type ServiceSpec = z.infer<typeof ServiceSpec>;

/** ISO 8601 repeating interval, Chronos's form: `R[n]/[start]/period`. */
const ISO_SCHEDULE = /^R\d*\/[^/]*\/P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
/** Five or six cron fields. */
const CRON = /^(\S+\s+){4,5}\S+$/;
/** Is this schedule a cron line (not an ISO 8601 interval)? */
export const isCron = (s: string): boolean => !s.trim().startsWith('R') && CRON.test(s.trim());
const ISO_DURATION = /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

export const JobSpec = z
  .strictObject({
    kind: z.literal('job'),
    ...common,
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "a job name is letters, digits, '_', '.' and '-'"),
    /** `R[n]/<start>/<period>` (Chronos's ISO 8601) or a cron line; or `after` (its parents) instead. */
    schedule: z
      .string()
      .min(1)
      .refine((s) => ISO_SCHEDULE.test(s) || CRON.test(s.trim()), 'a schedule is R[n]/<start>/<period> (ISO 8601, e.g. R/2026-01-01T00:00:00Z/PT1H) or a cron line (e.g. */5 * * * *)')
      .refine((s) => !ISO_SCHEDULE.test(s) || s.split('/')[1] === '' || !Number.isNaN(Date.parse(s.split('/')[1]!)), 'the start of the schedule is not an ISO 8601 time')
      .optional(),
    scheduleTimeZone: z.string().min(1).optional(),
    /** Parents: the job runs after all of them succeeded (Chronos's dependency job). */
    after: z.array(z.string().min(1)).min(1).optional(),
    retries: z.number().int().nonnegative().optional(),
    /** How late a missed run may still start (ISO 8601 duration, e.g. PT60S). */
    epsilon: z.string().regex(ISO_DURATION, 'an ISO 8601 duration such as PT60S').optional(),
    owner: z.string().optional(),
    ownerName: z.string().optional(),
    description: z.string().optional(),
    disabled: z.boolean().optional(),
    concurrent: z.boolean().optional(),
    uris: z.array(z.string().min(1)).optional(),
    /** `attribute:EQUALS:value` (or LIKE, UNLIKE), or Chronos's `[attribute, operator, value]`. */
    constraints: z.array(z.preprocess((v) => (typeof v === 'string' ? v.split(':') : v), z.tuple([z.string().min(1), z.enum(['EQUALS', 'LIKE', 'UNLIKE']), z.string()]))).optional(),
    /** Chronos job fields this format has no name for, sent as they are. */
    chronos: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((j, ctx) => {
    if (j.command === undefined && j.args === undefined) ctx.addIssue({ code: 'custom', path: ['command'], message: 'give command (a shell line) or args' });
    if (j.command !== undefined && j.args !== undefined) ctx.addIssue({ code: 'custom', path: ['args'], message: 'give command or args, not both' });
    if (j.schedule === undefined && j.after === undefined) ctx.addIssue({ code: 'custom', path: ['schedule'], message: 'give schedule, or after (the parent jobs)' });
    if (j.schedule !== undefined && j.after !== undefined) ctx.addIssue({ code: 'custom', path: ['after'], message: 'give schedule or after, not both' });
    if (j.after?.includes(j.name) === true) ctx.addIssue({ code: 'custom', path: ['after'], message: 'a job cannot run after itself' });
    if (j.resources.gpus !== undefined) ctx.addIssue({ code: 'custom', path: ['resources', 'gpus'], message: 'jobs take cpus, mem and disk' });
    // Refused rather than sent and ignored: the jobs framework does not act on them (yet).
    if (j.container !== undefined) ctx.addIssue({ code: 'custom', path: ['container'], message: 'the jobs framework does not run jobs in an image yet: leave container out (services take it)' });
    if (j.constraints !== undefined) ctx.addIssue({ code: 'custom', path: ['constraints'], message: 'the jobs framework does not place runs by constraints yet: leave constraints out (services take them)' });
  });
export type JobSpec = z.infer<typeof JobSpec>;

export const Spec = z.discriminatedUnion('kind', [ServiceSpec, JobSpec]);
export type Spec = z.infer<typeof Spec>;

/** Where a definition came from. */
export interface Source {
  readonly file: string;
  readonly line: number;
}

export interface Located<T> {
  readonly spec: T;
  readonly source: Source;
}

/** One thing wrong with a file: where, which field, what. */
export interface SpecError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted path of the field (`resources.cpus`, `ports.0.port`); empty for the document itself. */
  readonly field: string;
  readonly message: string;
}

export const formatError = (e: SpecError): string => `${e.file}:${e.line}:${e.column}: ${e.field !== '' ? `${e.field}: ` : ''}${e.message}`;

/** The definitions of one file's text, or every error found in it. */
export function parseSpecs(file: string, text: string): { readonly specs: Array<Located<Spec>>; readonly errors: SpecError[] } {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const specs: Array<Located<Spec>> = [];
  const errors: SpecError[] = [];
  const at = (offset: number): { line: number; column: number } => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list as Document.Parsed[]) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) errors.push({ file, ...at(e.pos[0]), field: '', message: `not valid YAML/JSON: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` });
      continue;
    }
    if (doc.contents === null) continue; // an empty document (a trailing ---)
    const root = doc.contents as Node;
    const js: unknown = doc.toJS();
    const items: Array<{ node: Node; path: Array<string | number> }> = isSeq(root) ? root.items.map((n, i) => ({ node: n as Node, path: [i] })) : [{ node: root, path: [] }];
    for (const { node, path } of items) {
      const firstKey = isMap(node) ? (node.items[0]?.key as Node | null | undefined) : undefined;
      const start = at(firstKey?.range?.[0] ?? node.range?.[0] ?? 0);
      if (!isMap(node)) {
        errors.push({ file, ...start, field: path.join('.'), message: 'a definition is a mapping (kind, name, …)' });
        continue;
      }
      const value: unknown = path.length === 0 ? js : (js as unknown[])[path[0] as number];
      const r = Spec.safeParse(value);
      if (r.success) {
        specs.push({ spec: r.data, source: { file, line: start.line } });
        continue;
      }
      for (const issue of r.error.issues) {
        const keys = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys : [undefined];
        for (const key of keys) {
          const fieldPath = [...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), ...(key !== undefined ? [key] : [])];
          errors.push({
            file,
            ...at(offsetOf(doc, [...path, ...fieldPath], key !== undefined) ?? node.range?.[0] ?? 0),
            field: fieldPath.join('.'),
            message: key !== undefined ? `unknown field '${key}' (${hint(value, key)})` : issue.code === 'invalid_union' && fieldPath[0] === 'kind' ? "kind is 'service' or 'job'" : issue.message,
          });
        }
      }
    }
  }
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return { specs, errors };
}

/** The offset of the node at `path` (its key for an unknown key), else of its closest parent that exists. */
function offsetOf(doc: Document.Parsed, path: ReadonlyArray<string | number>, keyOf: boolean): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const parentPath = path.slice(0, Math.max(0, n - 1));
    const parent = n === 0 ? doc.contents : (doc.getIn(parentPath, true) as unknown);
    if (n === 0) return (doc.contents as Node | null)?.range?.[0];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => ((p.key as { value?: unknown } | null)?.value ?? p.key) === path[n - 1]);
      if (pair !== undefined) {
        const target = (keyOf && n === path.length) || pair.value === null ? pair.key : pair.value;
        const r = (target as Node | null)?.range;
        if (r !== undefined && r !== null) return r[0];
      }
    } else if (isSeq(parent)) {
      const item = parent.items[path[n - 1] as number] as Node | undefined;
      if (item?.range !== undefined && item.range !== null) return item.range[0];
    }
  }
  return undefined;
}

/** What a misspelt field may have meant: the known fields of its kind. */
function hint(value: unknown, key: string): string {
  const kind = (value as { kind?: unknown } | null)?.kind;
  const known = kind === 'job' ? Object.keys(JobSpec.shape) : kind === 'service' ? Object.keys(ServiceSpec.shape) : [];
  if (['cpus', 'mem', 'disk', 'gpus'].includes(key) && known.includes('resources')) return `put it under resources: (resources: { ${key}: … })`;
  const close = known.find((k) => k.toLowerCase() === key.toLowerCase() || distance(k, key) <= 2);
  return close !== undefined && close !== key ? `did you mean '${close}'?` : 'see docs/operations.md for the format';
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}
