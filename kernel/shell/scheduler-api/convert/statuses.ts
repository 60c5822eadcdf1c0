/** The Mesos scheduler API's JSON and ours: task status and its uuid (see index.ts). */
import { type ReconciledStatus, type TaskStatus } from '../../../../events/index.js';
import { isBase64 } from '../wire.js';
import { checkStatusToMesos } from '../checks.js';
import { id } from './common.js';
import { MesosTaskStatusJson } from './json.js';

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A canonical uuid string → base64 of its 16 raw bytes (Mesos's `bytes uuid`). Throws on anything else. */
export function uuidToBase64(uuid: string): string {
  if (!CANONICAL_UUID.test(uuid)) throw new RangeError(`not a canonical uuid (8-4-4-4-12 hex digits): '${uuid}'`);
  return Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64');
}

/** base64 of 16 raw bytes → canonical lowercase uuid string; null when it is not that. */
export function base64ToUuid(b64: string): string | null {
  if (!isBase64(b64)) return null;
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 16) return null;
  const hex = raw.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** States only PARTITION_AWARE frameworks are told; the others hear TASK_LOST instead (as from Mesos). */
export const PARTITION_AWARE_STATES: ReadonlySet<TaskStatus['state']> = new Set<TaskStatus['state']>([
  'TASK_UNREACHABLE',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
]);

/**
 * Our TaskStatus → Mesos TaskStatus JSON (timestamp in seconds, uuid as base64 of its 16 bytes).
 * For a framework that is not PARTITION_AWARE, the partition-aware states read TASK_LOST.
 */
export function statusToMesos(ours: TaskStatus | ReconciledStatus, partitionAware = true): MesosTaskStatusJson {
  return {
    task_id: id(ours.taskId),
    state: !partitionAware && PARTITION_AWARE_STATES.has(ours.state) ? 'TASK_LOST' : ours.state,
    ...(ours.message !== undefined ? { message: ours.message } : {}),
    source: ours.source,
    ...(ours.reason !== undefined ? { reason: ours.reason } : {}),
    ...(ours.agentId !== undefined ? { agent_id: id(ours.agentId) } : {}),
    ...(ours.executorId !== undefined ? { executor_id: id(ours.executorId) } : {}),
    timestamp: ours.timestamp / 1000,
    ...(ours.uuid !== undefined ? { uuid: uuidToBase64(ours.uuid) } : {}),
    ...(ours.healthy !== undefined ? { healthy: ours.healthy } : {}),
    ...(ours.checkStatus !== undefined ? { check_status: checkStatusToMesos(ours.checkStatus) } : {}),
    ...(ours.containerId !== undefined ? { container_status: { container_id: id(ours.containerId) } } : {}),
  };
}
