/**
 * docs/events.md, part 1: JSON Schemas of the zod shapes and the field tables made from them.
 */
import { z } from 'zod';
import { AcceptRefusalCode, CommandInfo, FrameworkCapability, FrameworkInfo, Operation, TaskInfo, TaskStatus } from '../../events/catalogue.js';
import { CheckInfo, CheckStatusInfo, HealthCheck } from '../../events/checks.js';
import { Filters } from '../../events/filters.js';
import { Attribute, Range, Reservation, Resource, Resources } from '../../events/resources.js';
import { StatusReason, StatusSource, TaskStateName } from '../../events/task-states.js';

export interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: string;
  const?: unknown;
  enum?: readonly unknown[];
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema | false;
  prefixItems?: readonly JsonSchema[];
  oneOf?: readonly JsonSchema[];
  anyOf?: readonly JsonSchema[];
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}

/** Shared shapes get a name: they are rendered once, in their own section, and linked. */
export const shapes = z.registry<{ id: string }>();
export const SHAPES: ReadonlyArray<readonly [string, z.ZodType, string]> = [
  ['TaskInfo', TaskInfo, 'A task to launch, as a framework writes it in an accept and as the agent receives it in LaunchTasks.'],
  ['CommandInfo', CommandInfo, 'What a task runs. `shell: true` runs `value` with `/bin/sh -c`; otherwise `value` is the executable and `arguments` its argv.'],
  ['HealthCheck', HealthCheck, 'A task\'s health check (Mesos\'s HealthCheck; durations in ms, Mesos\'s defaults). The agent runs it from TASK_RUNNING on: a failure after the grace period is reported `healthy: false`, the first success (and the first after failures) `healthy: true`, and `consecutiveFailures` failures in a row get the task killed (TASK_KILLED, `healthy: false`, REASON_TASK_HEALTH_CHECK_STATUS_UPDATED). Exactly the field named by `type` is set. An HTTP/TCP check without `port` uses the task\'s first port; the fold refuses (TASK_INVALID) such a check on a task without ports.'],
  ['CheckInfo', CheckInfo, 'A task\'s general check (Mesos\'s CheckInfo): run by the agent like a health check, its result is reported in `checkStatus` whenever it changes; nothing acts on it.'],
  ['CheckStatusInfo', CheckStatusInfo, 'The result of a general check (Mesos\'s CheckStatusInfo): the field of the check\'s type, empty when there is no result (not run yet, timed out, could not run).'],
  ['FrameworkInfo', FrameworkInfo, 'A framework as it subscribes (Mesos\'s FrameworkInfo, in camelCase).'],
  ['TaskStatus', TaskStatus, 'One task status update (Mesos\'s TaskStatus). Agent-generated updates carry a `uuid` and must be acknowledged; the leader\'s notices carry none.'],
  ['Operation', Operation, 'An offer operation, applied in order to what the accepted offers hold: LAUNCH, LAUNCH_GROUP, RESERVE, UNRESERVE, CREATE, DESTROY (GROW_VOLUME, SHRINK_VOLUME, CREATE_DISK and DESTROY_DISK are not supported).'],
  ['Filters', Filters, 'Mesos\'s Filters, resolved by the publisher (`refuseFilter` in events/filters.ts: absent or negative → 5 s, more than a year → a year), so the log carries what was meant and no default of the folding build is involved.'],
  ['Resources', Resources, 'A list of resources, in Mesos\'s model. Arithmetic (kernel/core/resources.ts) is fixed point with three decimals for scalars, as in Mesos.'],
  ['Resource', Resource, 'One resource: a scalar (`cpus`, `mem`, `disk`, `gpus`), ranges (`ports`) or a set.'],
  ['Range', Range, 'An inclusive integer interval `[begin, end]`, with `begin <= end`.'],
  ['Reservation', Reservation, 'A reservation in the post-refinement format (the last entry names the role that owns the resource).'],
  ['Attribute', Attribute, 'An agent attribute, as in Mesos (`rack:a;zone:z1;level:10;keys:[1000-1500]`).'],
  ['TaskStateName', TaskStateName, 'Mesos task states. Terminal (the task holds no resources): TASK_FINISHED, TASK_FAILED, TASK_KILLED, TASK_ERROR, TASK_LOST, TASK_DROPPED, TASK_GONE, TASK_GONE_BY_OPERATOR. TASK_UNREACHABLE is not terminal but holds no resources.'],
  ['StatusSource', StatusSource, 'Who produced a status update.'],
  ['StatusReason', StatusReason, 'Why a status update happened (names as in mesos.proto v1). Only some are produced today: see the events that set them.'],
  ['FrameworkCapability', FrameworkCapability, 'Framework capabilities. The kernel acts on PARTITION_AWARE (TASK_UNREACHABLE/TASK_UNKNOWN/TASK_DROPPED instead of TASK_LOST) and GPU_RESOURCES (agents with gpus are offered only to such frameworks); MULTI_ROLE changes the JSON of `/master/state`. The others are accepted and stored.'],
  ['AcceptRefusalCode', AcceptRefusalCode, 'Stable codes of a refused accept (`validateAccept` in kernel/core/fold/accept.ts); callers match on the code, never on the message.'],
];
for (const [id, schema] of SHAPES) shapes.add(schema, { id });

export const toSchema = (s: z.ZodType): JsonSchema => z.toJSONSchema(s, { metadata: shapes, io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** A registered schema converts to a `$ref` into its own `$defs`: unwrap it. */
export function shapeSchema(name: string, s: z.ZodType): JsonSchema {
  const js = toSchema(s);
  return js.$ref !== undefined ? (js.$defs?.[name] ?? js) : js;
}

export const anchor = (name: string): string => name.toLowerCase();
const link = (name: string): string => `[${name}](#${anchor(name)})`;
export const code = (s: string): string => `\`${s.replace(/\|/g, '\\|')}\``;
const refName = (ref: string): string => ref.split('/').pop() ?? ref;

// Ids are branded in TypeScript only (`.brand()` returns the same zod schema), so the JSON schema
// of an AgentId and a FrameworkId is one and the same; the field name says which id it is.
const ID_FIELDS: Readonly<Record<string, string>> = {
  agentId: 'AgentId',
  frameworkId: 'FrameworkId',
  offerId: 'OfferId',
  taskId: 'TaskId',
  executorId: 'ExecutorId',
};
const SUBJECT_TOKEN_PATTERN = '^[A-Za-z0-9_-]+$';

export function typeOf(s: JsonSchema, key: string): string {
  if (s.$ref !== undefined) return link(refName(s.$ref));
  if (s.const !== undefined) return code(JSON.stringify(s.const));
  if (s.enum !== undefined) return s.enum.map((v) => code(String(v))).join(' \\| ');
  const alts = s.oneOf ?? s.anyOf;
  if (alts !== undefined) return alts.map((a) => typeOf(a, key)).join(' \\| ');
  switch (s.type) {
    case 'string': {
      const id = ID_FIELDS[key];
      return id !== undefined ? `string (${id})` : 'string';
    }
    case 'integer':
    case 'number':
    case 'boolean':
      return s.type;
    case 'array': {
      if (s.prefixItems !== undefined) return `[${s.prefixItems.map((p) => typeOf(p, key)).join(', ')}]`;
      if (s.items === undefined || s.items === false) return 'array';
      const singular = key.endsWith('s') ? key.slice(0, -1) : key;
      const item = typeOf(s.items, singular);
      return item.includes(' ') && !item.startsWith('[') ? `array of ${item}` : `${item}[]`;
    }
    case 'object':
      if (s.properties === undefined && typeof s.additionalProperties === 'object') {
        return `map of string → ${typeOf(s.additionalProperties, key)}`;
      }
      return 'object';
    default:
      return 'any';
  }
}

export function constraints(s: JsonSchema): string {
  const out: string[] = [];
  if (s.minLength !== undefined && s.maxLength !== undefined) out.push(`${s.minLength}–${s.maxLength} chars`);
  else if (s.minLength !== undefined) out.push(`≥ ${s.minLength} char${s.minLength === 1 ? '' : 's'}`);
  else if (s.maxLength !== undefined) out.push(`≤ ${s.maxLength} chars`);
  if (s.pattern !== undefined) out.push(s.pattern === SUBJECT_TOKEN_PATTERN ? 'letters, digits, `-`, `_` (a subject token)' : `pattern ${code(s.pattern)}`);
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined && s.maximum !== Number.MAX_SAFE_INTEGER) out.push(`≤ ${s.maximum}`);
  if (s.type === 'array' && s.prefixItems === undefined && s.minItems !== undefined) out.push(`≥ ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
  if (s.default !== undefined) out.push(`default ${code(JSON.stringify(s.default))}`);
  return out.join('; ');
}

interface Row {
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly constraints: string;
}

/** Rows for an object's properties; inline objects (and arrays of them) are flattened with dotted paths. */
export function rows(obj: JsonSchema, prefix = ''): Row[] {
  const out: Row[] = [];
  const req = new Set(obj.required ?? []);
  for (const [key, s] of Object.entries(obj.properties ?? {})) {
    const path = `${prefix}${key}`;
    out.push({ path, type: typeOf(s, key), required: req.has(key), constraints: constraints(s) });
    if (s.type === 'object' && s.properties !== undefined) out.push(...rows(s, `${path}.`));
    if (s.type === 'array' && s.items && typeof s.items === 'object' && s.items.type === 'object' && s.items.properties !== undefined) {
      out.push(...rows(s.items, `${path}[].`));
    }
  }
  return out;
}

export function table(rs: readonly Row[], notes: (path: string) => string | undefined): string[] {
  const lines = ['| field | type | required | constraints, default | notes |', '|---|---|---|---|---|'];
  for (const r of rs) {
    lines.push(`| ${code(r.path)} | ${r.type} | ${r.required ? 'yes' : 'no'} | ${r.constraints} | ${(notes(r.path) ?? '').replace(/\|/g, '\\|')} |`);
  }
  return lines;
}
