/** Flags and output shared by the operator subcommands (quota, weights, reserve, drain, maintenance, …). */
import type { FlagSpec } from '../flags.js';
import { operatorCall, type OperatorReply } from '../operator-client.js';

export const MASTER_FLAG: FlagSpec = {
  name: 'master',
  type: 'string',
  default: 'http://127.0.0.1:5050',
  placeholder: 'url',
  help: 'The master (any master: standbys redirect to the leader)',
};
export const JSON_FLAG: FlagSpec = { name: 'json', type: 'bool', default: false, help: "Print the master's JSON answer as it is" };

export const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

/** Send a call; with --json print the answer, else let the caller print it. */
export async function call(v: Readonly<Record<string, unknown>>, body: Record<string, unknown>): Promise<OperatorReply> {
  const r = await operatorCall(v.master as string, body);
  if (v.json === true) out(r.body === '' ? JSON.stringify({ status: r.status }) : r.body);
  return r;
}

/** A table of rows (first row: the header), columns padded. */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

/** `cpus:2;mem:1024` → `{cpus: 2, mem: 1024}` (quantities only). */
export function quantities(text: string | undefined, flag: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (text === undefined || text.trim() === '') return out;
  for (const part of text.split(';')) {
    const m = /^\s*([A-Za-z0-9_.-]+)\s*:\s*([0-9.]+|Infinity)\s*$/.exec(part);
    if (m === null) throw new Error(`--${flag}: "${part}" is not name:quantity (e.g. cpus:2;mem:1024)`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

export const scalarMap = (rec: Record<string, number>): Record<string, { value: number | string }> =>
  Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, { value: Number.isFinite(v) ? v : 'Infinity' }]));

export const fmtQ = (m: Record<string, { value: number }> | undefined): string =>
  Object.entries(m ?? {})
    .map(([k, v]) => `${k}:${v.value}`)
    .join(';') || '-';
