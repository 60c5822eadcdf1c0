/**
 * `mesos creds init|issue|revoke|list`: the cluster's NATS identities (security/nats). A keystore
 * directory holds the operator, the account and its signing key; `issue` writes a `.creds` file
 * with exactly one party's permissions; `revoke` adds a user to the account's revocations and
 * pushes the account to the running servers (no restart).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FlagSpec } from '../flags.js';
import { Keystore, PARTIES, type Party, parseStore, pushAccount } from '../../security/nats/index.js';
import { TLS_CA_FLAG } from './common.js';

const out = (s: string): void => void process.stdout.write(`${s}\n`);

export const DIR_FLAG: FlagSpec = { name: 'dir', type: 'string', placeholder: 'dir', help: 'The keystore directory (default MESOS_KEYS; `mesos dev` keeps one in <data>/keys)' };

function keysDir(v: Readonly<Record<string, unknown>>): string {
  const d = (typeof v.dir === 'string' && v.dir !== '' ? v.dir : undefined) ?? process.env.MESOS_KEYS;
  if (d === undefined || d === '') throw new Error('give --dir DIR (or MESOS_KEYS): the keystore directory');
  return resolve(d);
}

export const credsInitFlags: readonly FlagSpec[] = [DIR_FLAG];
export function runCredsInit(v: Readonly<Record<string, unknown>>): number {
  const dir = keysDir(v);
  const ks = Keystore.init(dir);
  out(`keystore: ${dir} (operator, account ${ks.accountPub}, its signing key, system account ${ks.systemPub}; files 0600)`);
  out(`next: mesos creds issue master m1 --dir ${dir}`);
  return 0;
}

export const credsIssueFlags: readonly FlagSpec[] = [
  DIR_FLAG,
  { name: 'out', type: 'string', placeholder: 'file', help: 'Where to write the .creds file (default ./<party>-<name>.creds; "-" prints it)' },
  { name: 'store', type: 'string', placeholder: 'STREAM:SUBJECTS', help: "A framework only: a JetStream stream of its own for its state (e.g. SERVICES:svc.> for `mesos services`); it may create it, append and read, never purge or delete" },
];
export function runCredsIssue(v: Readonly<Record<string, unknown>>, args: readonly string[]): number {
  const [party, given] = args;
  if (party === undefined || !PARTIES.includes(party as Party)) throw new Error(`usage: mesos creds issue (${PARTIES.join('|')}) NAME`);
  // An agent's or a framework's name is its id; a framework's may be left to us (a new UUID).
  const name = given ?? (party === 'framework' || party === 'agent' ? randomUUID() : undefined);
  if (name === undefined) throw new Error(`usage: mesos creds issue ${party} NAME`);
  const ks = Keystore.open(keysDir(v));
  const store = typeof v.store === 'string' && v.store !== '' ? parseStore(v.store) : undefined;
  const { creds } = ks.issue(party as Party, name, store !== undefined ? { store } : {});
  const file = typeof v.out === 'string' && v.out !== '' ? v.out : `${party}-${name}.creds`;
  if (file === '-') {
    process.stdout.write(creds);
    return 0;
  }
  if (existsSync(file)) throw new Error(`${file} exists: give another --out, or remove it`);
  writeFileSync(file, creds, { mode: 0o600 });
  out(`${party} ${name}: ${resolve(file)}`);
  if (party === 'framework') out(`the framework's id is ${name}: the SDK subscribes as it (and only as it) with --creds ${file}`);
  if (party === 'agent') out(`the agent's id is ${name}: start it with --creds ${file} and a new --work-dir`);
  return 0;
}

export const credsRevokeFlags: readonly FlagSpec[] = [
  DIR_FLAG,
  { name: 'nats', type: 'string', placeholder: 'url', help: 'Push the updated account to these running servers (comma separated); without it, only the keystore changes' },
  TLS_CA_FLAG,
];
export async function runCredsRevoke(v: Readonly<Record<string, unknown>>, args: readonly string[]): Promise<number> {
  const [name] = args;
  if (name === undefined) throw new Error('usage: mesos creds revoke NAME');
  const ks = Keystore.open(keysDir(v));
  const { revoked } = ks.revoke(name);
  out(`revoked ${name}: ${revoked.map((u) => `${u.party} ${u.pub}`).join(', ')}`);
  if (typeof v.nats === 'string' && v.nats !== '') {
    await pushAccount(ks, v.nats, typeof v['tls-ca'] === 'string' ? { tlsCa: v['tls-ca'] } : {});
    out(`pushed the account to ${v.nats}: ${name}'s connections are closed and refused from now on`);
  } else {
    out('not pushed (no --nats): running servers still let it in until they get the account (mesos creds revoke … --nats URL)');
  }
  return 0;
}

export const credsListFlags: readonly FlagSpec[] = [DIR_FLAG, { name: 'json', type: 'bool', default: false, help: 'Print JSON' }];
export function runCredsList(v: Readonly<Record<string, unknown>>): number {
  const users = Keystore.open(keysDir(v)).list();
  if (v.json === true) {
    out(JSON.stringify(users, null, 2));
    return 0;
  }
  out(['NAME', 'PARTY', 'ISSUED', 'REVOKED', 'PUBLIC KEY'].join('\t'));
  for (const u of users) out([u.name, u.party, new Date(u.issuedAt * 1000).toISOString(), u.revoked ? 'yes' : 'no', u.pub].join('\t'));
  return 0;
}
