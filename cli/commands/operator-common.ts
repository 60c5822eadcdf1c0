/** Flags and output shared by the operator subcommands (quota, weights, reserve, drain, maintenance, …). */
import { FlagError, type FlagSpec } from '../flags.js';
import { type ClientAuth, operatorCall, type OperatorReply } from '../operator-client.js';
import { CredentialsError, loadClientCredential } from '../../security/http/index.js';

export const MASTER_FLAG: FlagSpec = {
  name: 'master',
  type: 'string',
  default: 'http://127.0.0.1:5050',
  placeholder: 'url',
  help: 'The master (any master: standbys redirect to the leader)',
};
export const JSON_FLAG: FlagSpec = { name: 'json', type: 'bool', default: false, help: "Print the master's JSON answer as it is" };

/** How the operator commands authenticate to a master that asks (Mesos's principal and secret). */
export const AUTH_FLAGS: readonly FlagSpec[] = [
  { name: 'principal', type: 'string', placeholder: 'name', help: 'Authenticate as this principal (env MESOS_PRINCIPAL); with a credentials list, the one to use' },
  { name: 'secret', type: 'string', placeholder: 'text', help: "The principal's secret (env MESOS_SECRET; --credential keeps it off the command line)" },
  {
    name: 'credential',
    type: 'string',
    placeholder: 'file',
    help: 'Credentials file: {"principal","secret"} or Mesos\'s {"credentials":[…]} such as the credentials/http.json `mesos dev` writes (env MESOS_CREDENTIAL)',
  },
];

/** The credentials given by flags, else by MESOS_PRINCIPAL / MESOS_SECRET / MESOS_CREDENTIAL; none: unauthenticated. */
export function clientAuth(v: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv = process.env): ClientAuth | undefined {
  const given = (flag: string, name: string): string | undefined => {
    const x = v[flag];
    return typeof x === 'string' && x !== '' ? x : env[name] !== undefined && env[name] !== '' ? env[name] : undefined;
  };
  const principal = given('principal', 'MESOS_PRINCIPAL');
  const secret = given('secret', 'MESOS_SECRET');
  const file = given('credential', 'MESOS_CREDENTIAL');
  if (secret !== undefined) {
    if (principal === undefined) throw new FlagError('--secret needs --principal (or MESOS_PRINCIPAL)');
    return { principal, secret };
  }
  if (file === undefined) return undefined;
  try {
    return loadClientCredential(file, principal, '--credential');
  } catch (e) {
    if (e instanceof CredentialsError) throw new FlagError(e.message);
    throw e;
  }
}

export const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

/** Send a call; with --json print the answer, else let the caller print it. */
export async function call(v: Readonly<Record<string, unknown>>, body: Record<string, unknown>): Promise<OperatorReply> {
  const r = await operatorCall(v.master as string, body, 30_000, clientAuth(v));
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
