/**
 * `mesos maintenance schedule|set|start|stop|status`: maintenance windows through the operator
 * API. A schedule is given as `--windows 'host1,host2@START/DURATION;host3@…'` (START an ISO time or
 * `+10m` from now, DURATION like `1h`; `/DURATION` optional) or as Mesos's JSON (`--file`).
 */
import { readFileSync } from 'node:fs';
import { FlagError, type FlagSpec, parseDuration } from '../flags.js';
import { AUTH_FLAGS, call, JSON_FLAG, MASTER_FLAG, out, table } from './operator-common.js';

const nanos = (ms: number): { nanoseconds: number } => ({ nanoseconds: Math.round(ms * 1e6) });
const machine = (m: string): { hostname?: string; ip?: string } => (/^\d{1,3}(\.\d{1,3}){3}$/.test(m) ? { ip: m } : { hostname: m });

/** `h1,h2@+10m/1h;h3@2030-01-01T00:00:00Z` → Mesos's Schedule. */
export function parseWindows(text: string, now = Date.now()): { windows: unknown[] } {
  const windows = text
    .split(';')
    .map((w) => w.trim())
    .filter((w) => w !== '')
    .map((w) => {
      const at = w.indexOf('@');
      if (at <= 0) throw new FlagError(`--windows: "${w}" is not hosts@start[/duration]`);
      const hosts = w.slice(0, at).split(',').map((h) => h.trim()).filter((h) => h !== '');
      const [startText, durText] = w.slice(at + 1).split('/') as [string, string | undefined];
      const start = startText.startsWith('+') ? now + parseDuration(startText.slice(1)) : Date.parse(startText);
      if (!Number.isFinite(start)) throw new FlagError(`--windows: "${startText}" is neither an ISO time nor +duration`);
      return {
        machine_ids: hosts.map(machine),
        unavailability: { start: nanos(start), ...(durText !== undefined ? { duration: nanos(parseDuration(durText)) } : {}) },
      };
    });
  return { windows };
}

export const scheduleGetFlags: readonly FlagSpec[] = [MASTER_FLAG, JSON_FLAG, ...AUTH_FLAGS];
export async function runScheduleGet(v: Readonly<Record<string, unknown>>): Promise<number> {
  const r = await call(v, { type: 'GET_MAINTENANCE_SCHEDULE' });
  if (v.json === true) return 0;
  type W = { machine_ids: { hostname?: string; ip?: string }[]; unavailability: { start: { nanoseconds: number }; duration?: { nanoseconds: number } } };
  const windows = (r.json as { get_maintenance_schedule?: { schedule?: { windows?: W[] } } }).get_maintenance_schedule?.schedule?.windows ?? [];
  if (windows.length === 0) out('no maintenance is scheduled');
  else {
    out(
      table([
        ['MACHINES', 'START', 'DURATION'],
        ...windows.map((w) => [
          w.machine_ids.map((m) => m.hostname ?? m.ip).join(','),
          new Date(w.unavailability.start.nanoseconds / 1e6).toISOString(),
          w.unavailability.duration === undefined ? 'until stopped' : `${w.unavailability.duration.nanoseconds / 1e9}s`,
        ]),
      ]),
    );
  }
  return 0;
}

export const scheduleSetFlags: readonly FlagSpec[] = [
  MASTER_FLAG,
  { name: 'windows', type: 'string', placeholder: 'spec', help: "Windows: 'host1,host2@+10m/1h;host3@2030-01-01T00:00:00Z/30m' ('' clears the schedule)" },
  { name: 'file', type: 'string', placeholder: 'path', help: "The schedule as Mesos's JSON ({\"windows\": [...]})" },
  JSON_FLAG,
  ...AUTH_FLAGS,
];
export async function runScheduleSet(v: Readonly<Record<string, unknown>>): Promise<number> {
  const file = v.file as string | undefined;
  const windows = v.windows as string | undefined;
  if ((file === undefined) === (windows === undefined)) throw new FlagError('give exactly one of --windows and --file');
  const schedule = file !== undefined ? (JSON.parse(readFileSync(file, 'utf8')) as unknown) : parseWindows(windows!);
  await call(v, { type: 'UPDATE_MAINTENANCE_SCHEDULE', update_maintenance_schedule: { schedule } });
  if (v.json !== true) out('maintenance schedule updated');
  return 0;
}

export const machinesFlags: readonly FlagSpec[] = [
  MASTER_FLAG,
  { name: 'machines', type: 'string', required: true, placeholder: 'host,…', help: 'Machines (host names or ips), comma separated' },
  JSON_FLAG,
  ...AUTH_FLAGS,
];
const machinesOf = (v: Readonly<Record<string, unknown>>): unknown[] =>
  (v.machines as string).split(',').map((m) => m.trim()).filter((m) => m !== '').map(machine);

export async function runMaintenanceStart(v: Readonly<Record<string, unknown>>): Promise<number> {
  await call(v, { type: 'START_MAINTENANCE', start_maintenance: { machines: machinesOf(v) } });
  if (v.json !== true) out(`maintenance started: ${String(v.machines)} are down (their agents are removed)`);
  return 0;
}

export async function runMaintenanceStop(v: Readonly<Record<string, unknown>>): Promise<number> {
  await call(v, { type: 'STOP_MAINTENANCE', stop_maintenance: { machines: machinesOf(v) } });
  if (v.json !== true) out(`maintenance stopped: ${String(v.machines)} are up again`);
  return 0;
}

export const statusFlags: readonly FlagSpec[] = [MASTER_FLAG, JSON_FLAG, ...AUTH_FLAGS];
export async function runMaintenanceStatus(v: Readonly<Record<string, unknown>>): Promise<number> {
  const r = await call(v, { type: 'GET_MAINTENANCE_STATUS' });
  if (v.json === true) return 0;
  type S = { draining_machines?: { id: { hostname?: string; ip?: string }; statuses?: { framework_id: { value: string }; status: string }[] }[]; down_machines?: { hostname?: string; ip?: string }[] };
  const s = (r.json as { get_maintenance_status?: { status?: S } }).get_maintenance_status?.status ?? {};
  const rows = [['MACHINE', 'MODE', 'FRAMEWORKS (inverse offers)']];
  for (const d of s.draining_machines ?? []) rows.push([d.id.hostname ?? d.id.ip ?? '', 'DRAINING', (d.statuses ?? []).map((x) => `${x.framework_id.value}:${x.status}`).join(' ') || '-']);
  for (const d of s.down_machines ?? []) rows.push([d.hostname ?? d.ip ?? '', 'DOWN', '-']);
  out(rows.length === 1 ? 'no machine is in maintenance' : table(rows));
  return 0;
}
