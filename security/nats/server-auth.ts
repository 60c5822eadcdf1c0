/**
 * What a nats-server in operator mode is given from a keystore, and how an updated account JWT
 * (revocations) reaches servers that are running.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { claimsUpdate } from '../../events/index.js';
import type { Keystore } from './keystore.js';

export interface ServerAuth {
  operatorJwt: string;
  systemAccount: string;
  accounts: Record<string, string>;
  probeCreds: string;
}

/** The operator-mode settings of a server from this keystore (the readiness probe is an admin user, `probe.creds`). */
export function serverAuth(ks: Keystore): ServerAuth {
  const probeFile = join(ks.dir, 'probe.creds');
  if (!existsSync(probeFile)) writeFileSync(probeFile, ks.issue('admin', 'nats-probe').creds, { mode: 0o600 });
  return {
    operatorJwt: ks.operatorJwt,
    systemAccount: ks.systemPub,
    accounts: { [ks.systemPub]: ks.systemJwt, [ks.accountPub]: ks.accountJwt },
    probeCreds: readFileSync(probeFile, 'utf8'),
  };
}

export class PushError extends Error {
  override readonly name = 'PushError';
}

/**
 * Send the keystore's account JWT to the running servers at `servers` (as the system-account user
 * `sys.creds`): a full resolver stores it and applies it at once (revoked users are disconnected);
 * cluster members pass it to each other. Resolves with the server's answer.
 */
export async function pushAccount(ks: Keystore, servers: string | readonly string[], o: { tlsCa?: string } = {}): Promise<string> {
  const list = typeof servers === 'string' ? servers.split(',').map((s) => s.trim()).filter((s) => s !== '') : [...servers];
  let nc;
  try {
    nc = await connect({
      servers: list,
      name: 'mesos-creds-push',
      timeout: 3000,
      authenticator: credsAuthenticator(readFileSync(ks.sysCredsFile)),
      ...(o.tlsCa !== undefined ? { tls: { ca: readFileSync(o.tlsCa, 'utf8') } } : {}),
    });
  } catch (err) {
    throw new PushError(`cannot reach NATS at ${list.join(',')} as the system account: ${(err as Error).message}`, { cause: err });
  }
  try {
    const r = await nc.request(claimsUpdate, new TextEncoder().encode(ks.accountJwt), { timeout: 5000 });
    const text = new TextDecoder().decode(r.data);
    const body = JSON.parse(text) as { error?: { description?: string }; data?: { message?: string } };
    if (body.error !== undefined) throw new PushError(`the server refused the account update: ${body.error.description ?? text}`);
    return body.data?.message ?? text;
  } finally {
    await nc.close().catch(() => undefined);
  }
}
