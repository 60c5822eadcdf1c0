/**
 * The Mesos v1 operator API's `Call` (`POST /api/v1`, include/mesos/v1/master/master.proto), as JSON
 * with Mesos's conventions (see kernel/shell/scheduler-api/wire.ts: snake_case, `{value}` ids, lenient
 * numbers, nulls are unset, unknown fields ignored). Only the calls this master serves are
 * described; the others parse as their type and are answered 501.
 */
import { z } from 'zod';
import { parseJsonText } from '../http/json-text.js';
import { bool, double, int64, MesosId, MesosResource, optionalEnum, parseMessage, repeated } from '../scheduler-api/wire.js';

export const OPERATOR_CALL_TYPES = [
  'UNKNOWN',
  'GET_HEALTH',
  'GET_FLAGS',
  'GET_VERSION',
  'GET_METRICS',
  'GET_LOGGING_LEVEL',
  'SET_LOGGING_LEVEL',
  'LIST_FILES',
  'READ_FILE',
  'GET_STATE',
  'GET_AGENTS',
  'GET_FRAMEWORKS',
  'GET_EXECUTORS',
  'GET_OPERATIONS',
  'GET_TASKS',
  'GET_ROLES',
  'GET_WEIGHTS',
  'UPDATE_WEIGHTS',
  'GET_MASTER',
  'SUBSCRIBE',
  'RESERVE_RESOURCES',
  'UNRESERVE_RESOURCES',
  'CREATE_VOLUMES',
  'DESTROY_VOLUMES',
  'GROW_VOLUME',
  'SHRINK_VOLUME',
  'GET_MAINTENANCE_STATUS',
  'GET_MAINTENANCE_SCHEDULE',
  'UPDATE_MAINTENANCE_SCHEDULE',
  'START_MAINTENANCE',
  'STOP_MAINTENANCE',
  'DRAIN_AGENT',
  'DEACTIVATE_AGENT',
  'REACTIVATE_AGENT',
  'GET_QUOTA',
  'UPDATE_QUOTA',
  'SET_QUOTA',
  'REMOVE_QUOTA',
  'TEARDOWN',
  'MARK_AGENT_GONE',
] as const;
/**
 * Not in Mesos (its operator API cannot kill one task; only the task's framework could): calls a
 * client of this master may make beside Mesos's 40, in JSON only.
 */
export const EXTENSION_CALL_TYPES = ['KILL_TASK'] as const;
export type OperatorCallType = (typeof OPERATOR_CALL_TYPES)[number] | (typeof EXTENSION_CALL_TYPES)[number];
const ALL_CALL_TYPES = [...OPERATOR_CALL_TYPES, ...EXTENSION_CALL_TYPES] as const;

export const MesosMachineId = z.object({ hostname: z.string().optional(), ip: z.string().optional() });
export type MesosMachineId = z.output<typeof MesosMachineId>;

/** Mesos's TimeInfo and DurationInfo: `{nanoseconds}`. */
const Nanos = z.object({ nanoseconds: int64 });
/** google.protobuf.Duration as Mesos's JSON parser reads it: `{seconds, nanos}`. */
const ProtoDuration = z.object({ seconds: int64.optional(), nanos: int64.optional() });
const ScalarMap = z.record(z.string(), z.object({ value: double }));

export const OperatorCallEnvelope = z.object({
  type: optionalEnum(ALL_CALL_TYPES),
  update_weights: z.object({ weight_infos: repeated(z.object({ weight: double, role: z.string().optional() })) }).optional(),
  reserve_resources: z.object({ agent_id: MesosId, source: repeated(MesosResource), resources: repeated(MesosResource) }).optional(),
  unreserve_resources: z.object({ agent_id: MesosId, resources: repeated(MesosResource) }).optional(),
  create_volumes: z.object({ agent_id: MesosId, volumes: repeated(MesosResource) }).optional(),
  destroy_volumes: z.object({ agent_id: MesosId, volumes: repeated(MesosResource) }).optional(),
  update_maintenance_schedule: z
    .object({
      schedule: z.object({
        windows: repeated(z.object({ machine_ids: repeated(MesosMachineId), unavailability: z.object({ start: Nanos, duration: Nanos.optional() }) })),
      }),
    })
    .optional(),
  start_maintenance: z.object({ machines: repeated(MesosMachineId) }).optional(),
  stop_maintenance: z.object({ machines: repeated(MesosMachineId) }).optional(),
  drain_agent: z.object({ agent_id: MesosId, max_grace_period: ProtoDuration.optional(), mark_gone: bool.optional() }).optional(),
  deactivate_agent: z.object({ agent_id: MesosId }).optional(),
  reactivate_agent: z.object({ agent_id: MesosId }).optional(),
  update_quota: z
    .object({
      force: bool.optional(),
      quota_configs: repeated(z.object({ role: z.string(), guarantees: ScalarMap.optional(), limits: ScalarMap.optional() })),
    })
    .optional(),
  teardown: z.object({ framework_id: MesosId }).optional(),
  set_logging_level: z.object({ level: int64.optional(), duration: Nanos.optional() }).optional(),
  /** Not in Mesos: resume the event stream after this `event_id` (as the Last-Event-ID header does). */
  subscribe: z.object({ last_event_id: z.string().max(64).optional() }).optional(),
  mark_agent_gone: z.object({ agent_id: MesosId }).optional(),
  /** Not in Mesos: KILL_TASK, as the task's framework's KILL (the agent sends TASK_KILLED to it). */
  kill_task: z.object({ framework_id: MesosId, task_id: MesosId, agent_id: MesosId.optional() }).optional(),
});
export type OperatorCall = z.output<typeof OperatorCallEnvelope>;

export type ParsedOperatorCall = { readonly ok: true; readonly call: OperatorCall & { type: OperatorCallType } } | { readonly ok: false; readonly error: string };

/** The body of `POST /api/v1`, parsed; the sub-message its type needs is checked by the handler. */
export function parseOperatorCall(body: string): ParsedOperatorCall {
  const text = parseJsonText(body);
  if (!text.ok) return { ok: false, error: `Failed to parse body into JSON: ${text.error}` };
  return parseOperatorCallJson(text.value);
}

/** As parseOperatorCall, for a body already parsed (or decoded from protobuf) into its JSON form. */
export function parseOperatorCallJson(json: unknown): ParsedOperatorCall {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: 'Failed to convert JSON into Call protobuf: Expecting a JSON object' };
  }
  const parsed = parseMessage(OperatorCallEnvelope, json);
  if (!parsed.ok) return { ok: false, error: `Failed to convert JSON into Call protobuf: ${parsed.error}` };
  const type = parsed.value.type;
  if (type === undefined) return { ok: false, error: "Failed to validate master::Call: Expecting 'type' to be present" };
  return { ok: true, call: { ...parsed.value, type } };
}
