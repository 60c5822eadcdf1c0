/**
 * The log as files for other tools, and read back.
 *
 * JSON Lines, one entry a line:
 *   {"seq":12,"subject":"cl.fw.F.accepted","storedAt":1764578400123,"event":{…}}
 * `event` is the decoded event, upcast to the current version of its type (what the fold sees).
 * With `raw`, the message as stored instead: `"data":{…}` (the stored JSON, older schema versions
 * and unknown fields kept — golden logs are written this way), or `"text":"…"` when it is not JSON,
 * `"base64":"…"` when it is not even UTF-8. A message that does not decode is always written raw,
 * with `"malformed":{"code","message"}`. `storedAt` is when the log stored it (ms since the epoch).
 *
 * CSV (RFC 4180, a header line): seq, stored_at, subject, type, schema_version, time, epoch,
 * agent_id, framework_id, task_id, state, summary, event (the event as JSON, or the raw message).
 *
 * Reading an export back (`readExportFile`) decodes every line with the codec, exactly as a reader
 * of the stream would, so a raw export replays like the log it came from.
 */
import { readFile } from 'node:fs/promises';
import { type ClusterEvent, decode, epochOf, operationTasks, secretMaskingReplacer } from '../events/index.js';
import { describe } from './describe.js';
import { ReplayError } from './errors.js';
import type { Entry } from './entry.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

export type ExportFormat = 'jsonl' | 'csv';

/** The message as stored, in the most readable exact form. */
function stored(data: Uint8Array): { data: unknown } | { text: string } | { base64: string } {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { base64: Buffer.from(data).toString('base64') };
  }
  try {
    return { data: JSON.parse(text) as unknown };
  } catch {
    return { text };
  }
}

/** `maskSecrets`: secret environments masked (what `mesos replay` shows; golden logs keep the log as stored). */
export function jsonlLine(e: Entry, o: { raw?: boolean; maskSecrets?: boolean } = {}): string {
  const head = { seq: e.seq, subject: e.subject, storedAt: e.storedAt };
  const replacer = o.maskSecrets === true ? secretMaskingReplacer : undefined;
  if (!e.decoded.ok) return JSON.stringify({ ...head, malformed: { code: e.decoded.error.code, message: e.decoded.error.message }, ...stored(e.data) }, replacer);
  if (o.raw === true) return JSON.stringify({ ...head, ...stored(e.data) }, replacer);
  return JSON.stringify({ ...head, event: e.decoded.event }, replacer);
}

export const CSV_COLUMNS = ['seq', 'stored_at', 'subject', 'type', 'schema_version', 'time', 'epoch', 'agent_id', 'framework_id', 'task_id', 'state', 'summary', 'event'] as const;

const csvField = (v: string | number | undefined): string => {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export const csvHeader = (): string => CSV_COLUMNS.join(',');

/** The ids an event is about (the first agent/framework/task it names). */
export function idsOf(e: ClusterEvent): { agentId?: string; frameworkId?: string; taskId?: string; state?: string } {
  switch (e.type) {
    case 'TaskStatusUpdated':
      return { agentId: e.status.agentId, frameworkId: e.status.frameworkId, taskId: e.status.taskId, state: e.status.state };
    case 'StatusAcknowledged':
      return { agentId: e.agentId, frameworkId: e.frameworkId, taskId: e.taskId };
    case 'TaskKillRequested':
      return { ...(e.agentId !== undefined ? { agentId: e.agentId } : {}), frameworkId: e.frameworkId, taskId: e.taskId };
    case 'KillTask':
      return { agentId: e.agentId, frameworkId: e.frameworkId, taskId: e.taskId };
    case 'LaunchTasks':
      return { agentId: e.agentId, frameworkId: e.frameworkId, ...(e.tasks.length === 1 ? { taskId: e.tasks[0]!.taskId } : {}) };
    case 'OffersAccepted': {
      const tasks = e.operations.flatMap(operationTasks);
      return { frameworkId: e.frameworkId, ...(tasks[0] !== undefined ? { agentId: tasks[0].agentId } : {}), ...(tasks.length === 1 ? { taskId: tasks[0]!.taskId } : {}) };
    }
    case 'OffersCreated':
      return { frameworkId: e.frameworkId, ...(e.offers.length === 1 ? { agentId: e.offers[0]!.agentId } : {}) };
    case 'AgentRegistered':
    case 'AgentReregistered':
    case 'AgentDisconnected':
    case 'AgentRemoved':
      return { agentId: e.agentId };
    case 'ResourcesReserved':
    case 'ResourcesUnreserved':
    case 'VolumesCreated':
    case 'VolumesDestroyed':
    case 'AgentDrainStarted':
    case 'AgentDeactivated':
    case 'AgentReactivated':
      return { agentId: e.agentId };
    case 'InverseOffersCreated':
      return { frameworkId: e.frameworkId, ...(e.inverseOffers.length === 1 ? { agentId: e.inverseOffers[0]!.agentId } : {}) };
    case 'LeaderElected':
    case 'WeightsUpdated':
    case 'QuotaUpdated':
    case 'AllocatorConfigured':
    case 'MaintenanceScheduleUpdated':
    case 'MaintenanceStarted':
    case 'MaintenanceStopped':
      return {};
    default:
      return { frameworkId: e.frameworkId };
  }
}

export function csvLine(e: Entry, o: { maskSecrets?: boolean } = {}): string {
  const at = new Date(e.storedAt).toISOString();
  const replacer = o.maskSecrets === true ? secretMaskingReplacer : undefined;
  if (!e.decoded.ok) {
    const raw = stored(e.data);
    const body = 'data' in raw ? JSON.stringify(raw.data, replacer) : 'text' in raw ? raw.text : raw.base64;
    return [e.seq, at, e.subject, '', '', '', '', '', '', '', '', `malformed: ${e.decoded.error.code}: ${e.decoded.error.message}`, body].map(csvField).join(',');
  }
  const ev = e.decoded.event;
  const ids = idsOf(ev);
  return [
    e.seq,
    at,
    e.subject,
    ev.type,
    ev.schemaVersion,
    new Date(ev.time).toISOString(),
    epochOf(ev),
    ids.agentId,
    ids.frameworkId,
    ids.taskId,
    ids.state,
    describe(ev),
    JSON.stringify(ev, replacer),
  ]
    .map(csvField)
    .join(',');
}

/** Read a JSON Lines export back into entries (each message decoded by the codec). */
export async function readExportFile(path: string): Promise<Entry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ReplayError('BAD_FILE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const out: Entry[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.trim() === '') continue;
    const bad = (why: string): never => {
      throw new ReplayError('BAD_FILE', `${path}:${lineNo}: ${why} (expected a line of \`mesos replay export --format jsonl\`)`);
    };
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return bad('not JSON');
    }
    if (typeof j !== 'object' || j === null) bad('not an object');
    const { seq, subject, storedAt } = j;
    if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) bad('no sequence number ("seq")');
    if (typeof subject !== 'string' || subject === '') bad('no subject');
    if (typeof storedAt !== 'number') bad('no "storedAt"');
    const prev = out.at(-1);
    if (prev !== undefined && (seq as number) <= prev.seq) bad(`sequence ${String(seq)} after ${prev.seq}: the lines are not in log order`);
    let data: Uint8Array;
    if ('event' in j) data = encoder.encode(JSON.stringify(j.event));
    else if ('data' in j) data = encoder.encode(JSON.stringify(j.data));
    else if (typeof j.text === 'string') data = encoder.encode(j.text);
    else if (typeof j.base64 === 'string') data = new Uint8Array(Buffer.from(j.base64, 'base64'));
    else return bad('no "event", "data", "text" or "base64"');
    out.push({ seq: seq as number, subject: subject as string, storedAt: storedAt as number, data, decoded: decode(data, subject as string) });
  }
  return out;
}
