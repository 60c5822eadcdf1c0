/**
 * The Mesos v1 scheduler `Call`, as JSON on the wire (`POST /api/v1/scheduler`), and its parser.
 *
 * The JSON is proto2 mapped the way Mesos's own parser maps it (stout's JSON → protobuf):
 * snake_case field names; enums as their names; ids as `{"value": "..."}`; `bytes` as base64;
 * unknown fields ignored; `null` means "not set"; doubles are numbers or numeric strings
 * (including "Infinity"/"-Infinity"); 64-bit integers are numbers or decimal strings; a single
 * value where a repeated field is expected counts as a one-element list; an unknown name in an
 * optional enum field leaves the field unset (so an unknown call type reads as "no type", and an
 * unknown operation type reads as UNKNOWN), while in a required enum field it is an error.
 *
 * Parsed values keep the wire's shape (snake_case, `{value}` ids, base64 strings); convert.ts
 * turns the parts the kernel understands into our event shapes.
 *
 * Errors read like Mesos's 400 bodies: "Failed to parse body into JSON: …", "Failed to convert
 * JSON into Call protobuf: …" (shape errors, including missing required fields), then
 * "Failed to validate scheduler::Call: …" (type-dependent checks).
 */
import { FRAMEWORK_CAPABILITIES } from '../../../events/catalogue.js';
import { z } from 'zod';
import { parseJsonText } from '../http/json-text.js';

// ---------------------------------------------------------------------------------------------
// Scalars, with the leniency of Mesos's JSON parser

type Ctx = z.core.$RefinementCtx<unknown>;

/** A short description of a JSON value for error messages. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? `the string "${v.slice(0, 40)}…"` : `the string "${v}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function reject(ctx: Ctx, v: unknown, expected: string): typeof z.NEVER {
  ctx.issues.push({ code: 'custom', input: v, message: v === undefined ? 'is required' : `expected ${expected}, got ${describe(v)}` });
  return z.NEVER;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** proto `double`: a JSON number, or a string holding a number, "Infinity" or "-Infinity". */
export const double = z.unknown().transform((v, ctx): number => {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof v === 'string' && DECIMAL.test(v)) return Number(v);
  return reject(ctx, v, 'a number');
});

/**
 * proto `int64`: a JSON number or a decimal string (proto JSON writes 64-bit integers as strings).
 * The value becomes a JS number, exact up to 2^53; fractions are truncated as Mesos does.
 */
export const int64 = z.unknown().transform((v, ctx): number => {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && INTEGER.test(v)) return Number(v);
  return reject(ctx, v, 'an integer (a number or a decimal string)');
});

/** proto `uint64`: as int64, and not negative. */
export const uint64 = int64.refine((n) => n >= 0, 'expected an unsigned integer, got a negative number');

/** proto `bool`: true/false, or the strings "true"/"false". */
export const bool = z.unknown().transform((v, ctx): boolean => {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return reject(ctx, v, 'a boolean');
});

const BASE64 = /^[A-Za-z0-9+/]*(={0,2})$/;

/** Standard-alphabet base64; padding may be left out, but if present it must complete the last group. */
export function isBase64(s: string): boolean {
  const m = BASE64.exec(s);
  if (m === null) return false;
  return m[1] === '' ? s.length % 4 !== 1 : s.length % 4 === 0;
}

/** proto `bytes`: a base64 string. Kept as base64. */
export const bytes = z.unknown().transform((v, ctx): string => {
  if (typeof v === 'string' && isBase64(v)) return v;
  return reject(ctx, v, 'a base64 string');
});

/** A required proto enum: an unknown name is an error. */
export function requiredEnum<const V extends readonly [string, ...string[]]>(values: V) {
  return z.unknown().transform((v, ctx): V[number] => {
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v;
    if (typeof v === 'string') {
      ctx.issues.push({ code: 'custom', input: v, message: `unknown value "${v}" (expected one of ${values.join(', ')})` });
      return z.NEVER;
    }
    return reject(ctx, v, `one of ${values.join(', ')}`);
  });
}

/** An optional proto enum: absent, or an unknown name (proto2 drops those), reads as undefined. */
export function optionalEnum<const V extends readonly [string, ...string[]]>(values: V) {
  return z
    .unknown()
    .transform((v, ctx): V[number] | undefined => {
      if (typeof v === 'string') return (values as readonly string[]).includes(v) ? v : undefined;
      return reject(ctx, v, 'an enum name (a string)');
    })
    .optional();
}

/** An optional proto enum read through its default: absent or an unknown name gives `fallback`. */
function enumWithDefault<const V extends readonly [string, ...string[]]>(values: V, fallback: V[number]) {
  return optionalEnum(values).transform((v): V[number] => v ?? fallback);
}

/** A repeated field: absent is empty; a single value counts as a one-element list. */
export function repeated<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(item));
}

/** A message we accept but do not look into (its presence is what matters). */
const opaque = z.record(z.string(), z.unknown());

// ---------------------------------------------------------------------------------------------
// Messages of mesos.proto (only the fields the scheduler API needs; everything else is ignored)

/** FrameworkID, OfferID, AgentID, TaskID, ExecutorID, OperationID, ResourceProviderID. */
export const MesosId = z.object({ value: z.string() });
export type MesosId = z.output<typeof MesosId>;

export const MesosLabels = z.object({
  labels: repeated(z.object({ key: z.string(), value: z.string().optional() })),
});
export type MesosLabels = z.output<typeof MesosLabels>;

export const MesosDurationInfo = z.object({ nanoseconds: int64 });

export const MesosKillPolicy = z.object({ grace_period: MesosDurationInfo.optional() });
export type MesosKillPolicy = z.output<typeof MesosKillPolicy>;

export const MesosFilters = z.object({ refuse_seconds: double.optional() });
export type MesosFilters = z.output<typeof MesosFilters>;

export const VALUE_TYPES = ['SCALAR', 'RANGES', 'SET', 'TEXT'] as const;
export const RESERVATION_TYPES = ['UNKNOWN', 'STATIC', 'DYNAMIC'] as const;

export const MesosReservationInfo = z.object({
  type: enumWithDefault(RESERVATION_TYPES, 'UNKNOWN'),
  role: z.string().optional(),
  principal: z.string().optional(),
  labels: MesosLabels.optional(),
});
export type MesosReservationInfo = z.output<typeof MesosReservationInfo>;

export const MesosResource = z.object({
  provider_id: MesosId.optional(),
  name: z.string(),
  type: requiredEnum(VALUE_TYPES),
  scalar: z.object({ value: double }).optional(),
  ranges: z.object({ range: repeated(z.object({ begin: uint64, end: uint64 })) }).optional(),
  set: z.object({ item: repeated(z.string()) }).optional(),
  /** Pre-refinement format: the role the resource is reserved for ("*" = unreserved). */
  role: z.string().optional(),
  allocation_info: z.object({ role: z.string().optional() }).optional(),
  /** Pre-refinement format: set for a dynamic reservation (with `role`). */
  reservation: MesosReservationInfo.optional(),
  /** Refinement format: the stack of reservations, outermost first. */
  reservations: repeated(MesosReservationInfo),
  disk: opaque.optional(),
  revocable: opaque.optional(),
  shared: opaque.optional(),
});
export type MesosResource = z.output<typeof MesosResource>;

export const MesosEnvironment = z.object({
  variables: repeated(
    z.object({
      name: z.string(),
      type: enumWithDefault(['UNKNOWN', 'VALUE', 'SECRET'], 'VALUE'),
      value: z.string().optional(),
      secret: opaque.optional(),
    }),
  ),
});

export const MesosCommandInfo = z.object({
  uris: repeated(
    z.object({
      value: z.string(),
      executable: bool.optional(),
      extract: bool.optional(),
      cache: bool.optional(),
      output_file: z.string().optional(),
    }),
  ),
  environment: MesosEnvironment.optional(),
  /** proto default: true. */
  shell: bool.optional().transform((v) => v ?? true),
  value: z.string().optional(),
  arguments: repeated(z.string()),
  user: z.string().optional(),
});
export type MesosCommandInfo = z.output<typeof MesosCommandInfo>;

export const CONTAINER_TYPES = ['DOCKER', 'MESOS'] as const;

export const MesosContainerInfo = z.object({
  type: requiredEnum(CONTAINER_TYPES),
  volumes: repeated(opaque),
  hostname: z.string().optional(),
  docker: opaque.optional(),
  mesos: z.object({ image: opaque.optional() }).optional(),
  network_infos: repeated(opaque),
  linux_info: opaque.optional(),
  rlimit_info: opaque.optional(),
  tty_info: opaque.optional(),
});
export type MesosContainerInfo = z.output<typeof MesosContainerInfo>;

export const EXECUTOR_TYPES = ['UNKNOWN', 'DEFAULT', 'CUSTOM'] as const;

export const MesosExecutorInfo = z.object({
  /** Unset (undefined) when absent or an unknown name; Mesos requires it for task groups. */
  type: optionalEnum(EXECUTOR_TYPES),
  executor_id: MesosId,
  framework_id: MesosId.optional(),
  command: MesosCommandInfo.optional(),
  container: MesosContainerInfo.optional(),
  resources: repeated(MesosResource),
  name: z.string().optional(),
  shutdown_grace_period: MesosDurationInfo.optional(),
  data: z.string().optional(),
});
export type MesosExecutorInfo = z.output<typeof MesosExecutorInfo>;

/** proto `uint32`. */
export const uint32 = uint64.refine((n) => n <= 0xffffffff, 'expected a 32-bit unsigned integer');

export const CHECK_TYPES = ['UNKNOWN', 'COMMAND', 'HTTP', 'TCP'] as const;
export const NETWORK_PROTOCOLS = ['IPv4', 'IPv6'] as const;

/** HealthCheck (mesos.proto): `type` unset when absent or unknown (validation says so). */
export const MesosHealthCheck = z.object({
  http: z
    .object({
      port: uint32,
      path: z.string().optional(),
      scheme: z.string().optional(),
      statuses: repeated(uint32),
      protocol: enumWithDefault(NETWORK_PROTOCOLS, 'IPv4'),
    })
    .optional(),
  delay_seconds: double.optional(),
  interval_seconds: double.optional(),
  timeout_seconds: double.optional(),
  consecutive_failures: uint32.optional(),
  grace_period_seconds: double.optional(),
  command: MesosCommandInfo.optional(),
  type: optionalEnum(CHECK_TYPES),
  tcp: z.object({ port: uint32, protocol: enumWithDefault(NETWORK_PROTOCOLS, 'IPv4') }).optional(),
});
export type MesosHealthCheck = z.output<typeof MesosHealthCheck>;

/** CheckInfo (mesos.proto): a general check. */
export const MesosCheckInfo = z.object({
  type: optionalEnum(CHECK_TYPES),
  command: z.object({ command: MesosCommandInfo }).optional(),
  http: z.object({ port: uint32, path: z.string().optional() }).optional(),
  delay_seconds: double.optional(),
  interval_seconds: double.optional(),
  timeout_seconds: double.optional(),
  tcp: z.object({ port: uint32 }).optional(),
});
export type MesosCheckInfo = z.output<typeof MesosCheckInfo>;

export const MesosTaskInfo = z.object({
  name: z.string(),
  task_id: MesosId,
  agent_id: MesosId,
  resources: repeated(MesosResource),
  executor: MesosExecutorInfo.optional(),
  command: MesosCommandInfo.optional(),
  container: MesosContainerInfo.optional(),
  health_check: MesosHealthCheck.optional(),
  check: MesosCheckInfo.optional(),
  kill_policy: MesosKillPolicy.optional(),
  data: bytes.optional(),
  labels: MesosLabels.optional(),
  discovery: opaque.optional(),
  max_completion_time: MesosDurationInfo.optional(),
  limits: z.record(z.string(), z.object({ value: double })).optional(),
});
export type MesosTaskInfo = z.output<typeof MesosTaskInfo>;

export const OPERATION_TYPES = [
  'UNKNOWN',
  'LAUNCH',
  'LAUNCH_GROUP',
  'RESERVE',
  'UNRESERVE',
  'CREATE',
  'DESTROY',
  'GROW_VOLUME',
  'SHRINK_VOLUME',
  'CREATE_DISK',
  'DESTROY_DISK',
] as const;
export type MesosOperationType = (typeof OPERATION_TYPES)[number];

/**
 * Offer.Operation. LAUNCH and LAUNCH_GROUP are fully typed; the others are schema'd loosely (the
 * kernel refuses them). A missing or unknown `type` reads as UNKNOWN, which Mesos ignores. A LAUNCH
 * without `launch` launches nothing (Mesos reads the default, empty, Launch).
 */
export const MesosOperation = z.object({
  type: enumWithDefault(OPERATION_TYPES, 'UNKNOWN'),
  id: MesosId.optional(),
  launch: z.object({ task_infos: repeated(MesosTaskInfo) }).optional(),
  launch_group: z
    .object({ executor: MesosExecutorInfo, task_group: z.object({ tasks: repeated(MesosTaskInfo) }) })
    .optional(),
  reserve: z.object({ resources: repeated(MesosResource), source: repeated(MesosResource) }).optional(),
  unreserve: z.object({ resources: repeated(MesosResource) }).optional(),
  create: z.object({ volumes: repeated(MesosResource) }).optional(),
  destroy: z.object({ volumes: repeated(MesosResource) }).optional(),
  grow_volume: opaque.optional(),
  shrink_volume: opaque.optional(),
  create_disk: opaque.optional(),
  destroy_disk: opaque.optional(),
});
export type MesosOperation = z.output<typeof MesosOperation>;

export const FRAMEWORK_CAPABILITY_TYPES = ['UNKNOWN', ...FRAMEWORK_CAPABILITIES] as const;

export const MesosFrameworkInfo = z.object({
  user: z.string(),
  name: z.string(),
  id: MesosId.optional(),
  /** Seconds (proto default 0). */
  failover_timeout: double.optional(),
  checkpoint: bool.optional(),
  /** Deprecated single role (proto default "*"); must not be set by a MULTI_ROLE framework. */
  role: z.string().optional(),
  /** Only for MULTI_ROLE frameworks. */
  roles: repeated(z.string()),
  hostname: z.string().optional(),
  principal: z.string().optional(),
  webui_url: z.string().optional(),
  capabilities: repeated(z.object({ type: enumWithDefault(FRAMEWORK_CAPABILITY_TYPES, 'UNKNOWN') })),
  labels: MesosLabels.optional(),
  offer_filters: z.record(z.string(), opaque).optional(),
});
export type MesosFrameworkInfo = z.output<typeof MesosFrameworkInfo>;

// ---------------------------------------------------------------------------------------------
// The sub-messages of scheduler.proto's Call

export const PSEUDOATTRIBUTE_TYPES = ['UNKNOWN', 'HOSTNAME', 'REGION', 'ZONE'] as const;

/** scheduler.proto's AttributeConstraint: one selector (oneof) and one predicate (oneof). */
export const MesosAttributeConstraint = z.object({
  selector: z.object({ pseudoattribute_type: optionalEnum(PSEUDOATTRIBUTE_TYPES), attribute_name: z.string().optional() }),
  predicate: z.object({
    exists: opaque.optional(),
    not_exists: opaque.optional(),
    text_equals: z.object({ value: z.string() }).optional(),
    text_not_equals: z.object({ value: z.string() }).optional(),
    text_matches: z.object({ regex: z.string() }).optional(),
    text_not_matches: z.object({ regex: z.string() }).optional(),
  }),
});
export type MesosAttributeConstraint = z.output<typeof MesosAttributeConstraint>;

/** scheduler.proto's OfferConstraints: per role, groups of constraints (see convert/frameworks.ts). */
export const MesosOfferConstraints = z.object({
  role_constraints: z
    .record(z.string(), z.object({ groups: repeated(z.object({ attribute_constraints: repeated(MesosAttributeConstraint) })) }))
    .optional(),
});
export type MesosOfferConstraints = z.output<typeof MesosOfferConstraints>;

export const MesosSubscribe = z.object({
  framework_info: MesosFrameworkInfo,
  suppressed_roles: repeated(z.string()),
  offer_constraints: MesosOfferConstraints.optional(),
});
export type MesosSubscribe = z.output<typeof MesosSubscribe>;

export const MesosAccept = z.object({
  offer_ids: repeated(MesosId),
  operations: repeated(MesosOperation),
  filters: MesosFilters.optional(),
});
export type MesosAccept = z.output<typeof MesosAccept>;

export const MesosDecline = z.object({ offer_ids: repeated(MesosId), filters: MesosFilters.optional() });
export type MesosDecline = z.output<typeof MesosDecline>;

export const MesosInverseOffersReply = z.object({
  inverse_offer_ids: repeated(MesosId),
  filters: MesosFilters.optional(),
});
export type MesosInverseOffersReply = z.output<typeof MesosInverseOffersReply>;

/** REVIVE and SUPPRESS: no roles means all the framework's roles. */
export const MesosRoles = z.object({ roles: repeated(z.string()) });
export type MesosRoles = z.output<typeof MesosRoles>;

export const MesosKill = z.object({
  task_id: MesosId,
  agent_id: MesosId.optional(),
  kill_policy: MesosKillPolicy.optional(),
});
export type MesosKill = z.output<typeof MesosKill>;

export const MesosShutdown = z.object({ executor_id: MesosId, agent_id: MesosId });
export type MesosShutdown = z.output<typeof MesosShutdown>;

/** `uuid` stays base64 (16 raw bytes once decoded; see base64ToUuid in convert.ts). */
export const MesosAcknowledge = z.object({ agent_id: MesosId, task_id: MesosId, uuid: bytes });
export type MesosAcknowledge = z.output<typeof MesosAcknowledge>;

export const MesosAcknowledgeOperationStatus = z.object({
  agent_id: MesosId.optional(),
  resource_provider_id: MesosId.optional(),
  uuid: bytes,
  operation_id: MesosId,
});
export type MesosAcknowledgeOperationStatus = z.output<typeof MesosAcknowledgeOperationStatus>;

/** No tasks means implicit reconciliation (the master answers with every task it knows). */
export const MesosReconcile = z.object({
  tasks: repeated(z.object({ task_id: MesosId, agent_id: MesosId.optional() })),
});
export type MesosReconcile = z.output<typeof MesosReconcile>;

export const MesosReconcileOperations = z.object({
  operations: repeated(
    z.object({ operation_id: MesosId, agent_id: MesosId.optional(), resource_provider_id: MesosId.optional() }),
  ),
});
export type MesosReconcileOperations = z.output<typeof MesosReconcileOperations>;

/** `data` stays base64. */
export const MesosMessage = z.object({ agent_id: MesosId, executor_id: MesosId, data: bytes });
export type MesosMessage = z.output<typeof MesosMessage>;

export const MesosRequest = z.object({
  requests: repeated(z.object({ agent_id: MesosId.optional(), resources: repeated(MesosResource) })),
});
export type MesosRequest = z.output<typeof MesosRequest>;

export const MesosUpdateFramework = z.object({
  framework_info: MesosFrameworkInfo,
  suppressed_roles: repeated(z.string()),
  offer_constraints: MesosOfferConstraints.optional(),
});
export type MesosUpdateFramework = z.output<typeof MesosUpdateFramework>;

export const CALL_TYPES = [
  'UNKNOWN',
  'SUBSCRIBE',
  'TEARDOWN',
  'ACCEPT',
  'DECLINE',
  'ACCEPT_INVERSE_OFFERS',
  'DECLINE_INVERSE_OFFERS',
  'REVIVE',
  'KILL',
  'SHUTDOWN',
  'ACKNOWLEDGE',
  'ACKNOWLEDGE_OPERATION_STATUS',
  'RECONCILE',
  'RECONCILE_OPERATIONS',
  'MESSAGE',
  'REQUEST',
  'SUPPRESS',
  'UPDATE_FRAMEWORK',
] as const;
export type CallType = (typeof CALL_TYPES)[number];

/** The Call message as parsed, before the type-dependent checks: every part optional. */
export const MesosCallEnvelope = z.object({
  framework_id: MesosId.optional(),
  type: optionalEnum(CALL_TYPES),
  subscribe: MesosSubscribe.optional(),
  accept: MesosAccept.optional(),
  decline: MesosDecline.optional(),
  accept_inverse_offers: MesosInverseOffersReply.optional(),
  decline_inverse_offers: MesosInverseOffersReply.optional(),
  revive: MesosRoles.optional(),
  kill: MesosKill.optional(),
  shutdown: MesosShutdown.optional(),
  acknowledge: MesosAcknowledge.optional(),
  acknowledge_operation_status: MesosAcknowledgeOperationStatus.optional(),
  reconcile: MesosReconcile.optional(),
  reconcile_operations: MesosReconcileOperations.optional(),
  message: MesosMessage.optional(),
  request: MesosRequest.optional(),
  suppress: MesosRoles.optional(),
  update_framework: MesosUpdateFramework.optional(),
});
export type MesosCallEnvelope = z.output<typeof MesosCallEnvelope>;

// ---------------------------------------------------------------------------------------------
// The validated Call: the sub-message its type needs is present

type Framework = { framework_id: MesosId };

export type Call =
  | { type: 'SUBSCRIBE'; framework_id?: MesosId; subscribe: MesosSubscribe }
  | ({ type: 'TEARDOWN' } & Framework)
  | ({ type: 'ACCEPT'; accept: MesosAccept } & Framework)
  | ({ type: 'DECLINE'; decline: MesosDecline } & Framework)
  | ({ type: 'ACCEPT_INVERSE_OFFERS'; accept_inverse_offers: MesosInverseOffersReply } & Framework)
  | ({ type: 'DECLINE_INVERSE_OFFERS'; decline_inverse_offers: MesosInverseOffersReply } & Framework)
  | ({ type: 'REVIVE'; revive: MesosRoles } & Framework)
  | ({ type: 'SUPPRESS'; suppress: MesosRoles } & Framework)
  | ({ type: 'KILL'; kill: MesosKill } & Framework)
  | ({ type: 'SHUTDOWN'; shutdown: MesosShutdown } & Framework)
  | ({ type: 'ACKNOWLEDGE'; acknowledge: MesosAcknowledge } & Framework)
  | ({
      type: 'ACKNOWLEDGE_OPERATION_STATUS';
      acknowledge_operation_status: MesosAcknowledgeOperationStatus;
    } & Framework)
  | ({ type: 'RECONCILE'; reconcile: MesosReconcile } & Framework)
  | ({ type: 'RECONCILE_OPERATIONS'; reconcile_operations: MesosReconcileOperations } & Framework)
  | ({ type: 'MESSAGE'; message: MesosMessage } & Framework)
  | ({ type: 'REQUEST'; request: MesosRequest } & Framework)
  | ({ type: 'UPDATE_FRAMEWORK'; update_framework: MesosUpdateFramework } & Framework)
  /** `"type":"UNKNOWN"` passes validation in Mesos, which then answers 501 Not Implemented. */
  | ({ type: 'UNKNOWN' } & Framework);

export type ParsedCall = { readonly ok: true; readonly call: Call } | { readonly ok: false; readonly error: string };

const PARSE_JSON = 'Failed to parse body into JSON: ';
const CONVERT = 'Failed to convert JSON into Call protobuf: ';
const VALIDATE = 'Failed to validate scheduler::Call: ';

/** Parses and validates a scheduler Call from a request body (JSON text). */
export function parseCall(body: string): ParsedCall {
  const json = parseJsonText(body);
  if (!json.ok) return { ok: false, error: PARSE_JSON + json.error };
  return parseCallJson(json.value);
}

/** As parseCall, for a body already parsed as JSON. */
export function parseCallJson(json: unknown): ParsedCall {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: `${CONVERT}Expecting a JSON object, got ${describe(json)}` };
  }
  const parsed = parseMessage(MesosCallEnvelope, json);
  if (!parsed.ok) return { ok: false, error: CONVERT + parsed.error };
  const checked = validateCall(parsed.value);
  return typeof checked === 'string' ? { ok: false, error: VALIDATE + checked } : { ok: true, call: checked };
}

/**
 * Parses any of the message schemas above with Mesos's JSON conventions (nulls are "unset").
 * Returns a plain-text reason naming the offending fields on failure.
 */
export function parseMessage<T extends z.ZodType>(
  schema: T,
  json: unknown,
): { ok: true; value: z.output<T> } | { ok: false; error: string } {
  const result = schema.safeParse(dropNulls(json), { error: errorMessage });
  return result.success ? { ok: true, value: result.data } : { ok: false, error: formatIssues(result.error.issues) };
}

/** Mesos's type-dependent checks (master/validation.cpp); returns the Call or the reason. */
function validateCall(c: MesosCallEnvelope): Call | string {
  const missing = (field: string): string => `Expecting '${field}' to be present`;
  if (c.type === undefined) return missing('type');

  if (c.type === 'SUBSCRIBE') {
    if (c.subscribe === undefined) return missing('subscribe');
    // Mesos compares the two ids as messages: both absent, or both with the same value.
    if ((c.subscribe.framework_info.id?.value ?? '') !== (c.framework_id?.value ?? '')) {
      return "'framework_id' differs from 'subscribe.framework_info.id'";
    }
    const negative = negativeFailoverTimeout(c.subscribe.framework_info, 'subscribe');
    if (negative !== undefined) return negative;
    return c.framework_id === undefined
      ? { type: 'SUBSCRIBE', subscribe: c.subscribe }
      : { type: 'SUBSCRIBE', framework_id: c.framework_id, subscribe: c.subscribe };
  }

  if (c.framework_id === undefined) return missing('framework_id');
  const framework_id = c.framework_id;

  switch (c.type) {
    case 'TEARDOWN':
    case 'UNKNOWN':
      return { type: c.type, framework_id };
    case 'ACCEPT':
      return c.accept === undefined ? missing('accept') : { type: c.type, framework_id, accept: c.accept };
    case 'DECLINE':
      return c.decline === undefined ? missing('decline') : { type: c.type, framework_id, decline: c.decline };
    case 'ACCEPT_INVERSE_OFFERS':
      return c.accept_inverse_offers === undefined
        ? missing('accept_inverse_offers')
        : { type: c.type, framework_id, accept_inverse_offers: c.accept_inverse_offers };
    case 'DECLINE_INVERSE_OFFERS':
      return c.decline_inverse_offers === undefined
        ? missing('decline_inverse_offers')
        : { type: c.type, framework_id, decline_inverse_offers: c.decline_inverse_offers };
    case 'REVIVE':
      return { type: c.type, framework_id, revive: c.revive ?? { roles: [] } };
    case 'SUPPRESS':
      return { type: c.type, framework_id, suppress: c.suppress ?? { roles: [] } };
    case 'KILL':
      return c.kill === undefined ? missing('kill') : { type: c.type, framework_id, kill: c.kill };
    case 'SHUTDOWN':
      return c.shutdown === undefined ? missing('shutdown') : { type: c.type, framework_id, shutdown: c.shutdown };
    case 'ACKNOWLEDGE':
      if (c.acknowledge === undefined) return missing('acknowledge');
      if (!isUuidBytes(c.acknowledge.uuid)) return 'Not a valid UUID';
      return { type: c.type, framework_id, acknowledge: c.acknowledge };
    case 'ACKNOWLEDGE_OPERATION_STATUS': {
      const ack = c.acknowledge_operation_status;
      if (ack === undefined) return missing('acknowledge_operation_status');
      if (!isUuidBytes(ack.uuid)) return 'Not a valid UUID';
      if (ack.agent_id === undefined) return missing('agent_id');
      return { type: c.type, framework_id, acknowledge_operation_status: ack };
    }
    case 'RECONCILE':
      return c.reconcile === undefined ? missing('reconcile') : { type: c.type, framework_id, reconcile: c.reconcile };
    case 'RECONCILE_OPERATIONS':
      return c.reconcile_operations === undefined
        ? missing('reconcile_operations')
        : { type: c.type, framework_id, reconcile_operations: c.reconcile_operations };
    case 'MESSAGE':
      return c.message === undefined ? missing('message') : { type: c.type, framework_id, message: c.message };
    case 'REQUEST':
      return c.request === undefined ? missing('request') : { type: c.type, framework_id, request: c.request };
    case 'UPDATE_FRAMEWORK':
      if (c.update_framework === undefined) return missing('update_framework');
      if ((c.update_framework.framework_info.id?.value ?? '') !== framework_id.value) {
        return "'framework_id' differs from 'update_framework.framework_info.id'";
      }
      {
        const negative = negativeFailoverTimeout(c.update_framework.framework_info, 'update_framework');
        if (negative !== undefined) return negative;
      }
      return { type: c.type, framework_id, update_framework: c.update_framework };
  }
}

/** A negative failover_timeout is a bad request (Mesos would take it as 0; it is always a mistake). */
function negativeFailoverTimeout(fi: { failover_timeout?: number | undefined }, call: string): string | undefined {
  const t = fi.failover_timeout;
  return t !== undefined && t < 0 ? `'${call}.framework_info.failover_timeout' is ${t}: it must not be negative (0 means no failover)` : undefined;
}

const isUuidBytes = (b64: string): boolean => Buffer.from(b64, 'base64').length === 16;

// ---------------------------------------------------------------------------------------------
// Error text

/** Mesos's parser treats `null` as "field not set", in objects and in lists alike. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(dropNulls);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
    return out;
  }
  return v;
}

const article = (expected: string): string => (/^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`);

function errorMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return 'is required';
  const expected = issue.expected === 'record' ? 'object' : issue.expected;
  return `expected ${article(expected)}, got ${describe(issue.input)}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

const MAX_REPORTED_ISSUES = 5;

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, MAX_REPORTED_ISSUES).map((i) => {
    const where = formatPath(i.path);
    if (where === '') return i.message;
    return i.message === 'is required' ? `'${where}' is required` : `'${where}': ${i.message}`;
  });
  const more = issues.length > MAX_REPORTED_ISSUES ? `; and ${issues.length - MAX_REPORTED_ISSUES} more` : '';
  return parts.join('; ') + more;
}
