/**
 * The keystore: a directory (0700) holding the operator, the cluster account (with a signing
 * key), the system account, and a record of every user issued; files 0600.
 *
 *   operator.seed  operator.jwt         the operator (signs the accounts)
 *   account.seed   account.jwt          the cluster account (its JWT carries the revocations)
 *   signing.seed                        the account's signing key (signs the users)
 *   system.seed    system.jwt           the system account (servers' and `revoke`'s)
 *   sys.creds                           a system-account user: pushes account JWTs to servers
 *   users/<name>.json                   {name, party, pub, issuedAt}: who was issued what
 *
 * Users are signed by the signing key, so a server needs no change to let a new one in; revoking
 * one re-signs the account JWT with its public key in `revocations` (see `revoke`).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AccountNats, type OperatorNats, type UserNats, decodeJwt, encodeJwt, formatCreds } from './jwt.js';
import { NKey } from './nkey.js';
import { type FrameworkStore, type Party, PARTIES, checkName, permissionsFor } from './permissions.js';

export class KeystoreError extends Error {
  override readonly name = 'KeystoreError';
}

export interface IssuedUser {
  name: string;
  party: Party;
  pub: string;
  issuedAt: number;
}

const ACCOUNT_NAME = 'MESOS';
const SYSTEM_NAME = 'SYS';

const write = (file: string, text: string): void => {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
};

/** Unlimited JetStream for the cluster account (its limits are the stream's own). */
const ACCOUNT_LIMITS = {
  subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1,
  mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1, max_ack_pending: -1, mem_max_stream_bytes: -1, disk_max_stream_bytes: -1, max_bytes_required: false,
};
const SYSTEM_LIMITS = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };

export class Keystore {
  private constructor(readonly dir: string) {}

  /** Create the keys in `dir` (which must not hold a keystore yet). */
  static init(dir: string): Keystore {
    if (existsSync(join(dir, 'operator.seed'))) throw new KeystoreError(`${dir} already holds a keystore (operator.seed): remove it first, or use it`);
    mkdirSync(join(dir, 'users'), { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    chmodSync(join(dir, 'users'), 0o700);
    const op = NKey.create('operator');
    const acc = NKey.create('account');
    const signing = NKey.create('account');
    const sys = NKey.create('account');
    write(join(dir, 'operator.seed'), op.seed);
    write(join(dir, 'account.seed'), acc.seed);
    write(join(dir, 'signing.seed'), signing.seed);
    write(join(dir, 'system.seed'), sys.seed);
    const ks = new Keystore(dir);
    const opNats: OperatorNats = { type: 'operator', version: 2, system_account: sys.publicKey };
    write(join(dir, 'operator.jwt'), encodeJwt(op, { sub: op.publicKey, name: 'mesos', nats: opNats }));
    const sysNats: AccountNats = { type: 'account', version: 2, limits: SYSTEM_LIMITS, default_permissions: { pub: {}, sub: {} } };
    write(join(dir, 'system.jwt'), encodeJwt(op, { sub: sys.publicKey, name: SYSTEM_NAME, nats: sysNats }));
    ks.writeAccount({});
    // The system-account user that pushes account updates to running servers.
    const u = NKey.create('user');
    const uNats: UserNats = { type: 'user', version: 2, issuer_account: sys.publicKey, pub: {}, sub: {}, subs: -1, data: -1, payload: -1 };
    write(join(dir, 'sys.creds'), formatCreds(encodeJwt(sys, { sub: u.publicKey, name: 'sys', nats: uNats }), u.seed));
    return ks;
  }

  static open(dir: string): Keystore {
    if (!existsSync(join(dir, 'operator.seed'))) throw new KeystoreError(`no keystore in ${dir}: run \`mesos creds init --dir ${dir}\` first`);
    return new Keystore(dir);
  }

  private seed(name: string): NKey {
    return NKey.fromSeed(readFileSync(join(this.dir, `${name}.seed`), 'utf8'));
  }

  get operatorJwt(): string {
    return readFileSync(join(this.dir, 'operator.jwt'), 'utf8').trim();
  }
  get accountJwt(): string {
    return readFileSync(join(this.dir, 'account.jwt'), 'utf8').trim();
  }
  get systemJwt(): string {
    return readFileSync(join(this.dir, 'system.jwt'), 'utf8').trim();
  }
  get accountPub(): string {
    return this.seed('account').publicKey;
  }
  get systemPub(): string {
    return this.seed('system').publicKey;
  }
  get sysCredsFile(): string {
    return join(this.dir, 'sys.creds');
  }

  /** The account's revocations now. */
  revocations(): Record<string, number> {
    return decodeJwt<AccountNats>(this.accountJwt).nats.revocations ?? {};
  }

  private writeAccount(revocations: Record<string, number>): void {
    const op = this.seed('operator');
    const acc = this.seed('account');
    const nats: AccountNats = {
      type: 'account',
      version: 2,
      signing_keys: [this.seed('signing').publicKey],
      limits: ACCOUNT_LIMITS,
      default_permissions: { pub: {}, sub: {} },
      ...(Object.keys(revocations).length > 0 ? { revocations } : {}),
    };
    write(join(this.dir, 'account.jwt'), encodeJwt(op, { sub: acc.publicKey, name: ACCOUNT_NAME, nats }));
  }

  /** A `.creds` text for a new user of `party` named `name` (an agent's or framework's id). */
  issue(party: Party, name: string, o: { store?: FrameworkStore } = {}): { creds: string; user: IssuedUser } {
    if (!PARTIES.includes(party)) throw new KeystoreError(`unknown party ${JSON.stringify(party)}: one of ${PARTIES.join(', ')}`);
    checkName(name);
    if (o.store !== undefined && party !== 'framework') throw new KeystoreError(`a state store is granted to a framework only, not to ${party} ${name}`);
    const p = permissionsFor(party, name, o.store);
    const u = NKey.create('user');
    const nats: UserNats = {
      type: 'user',
      version: 2,
      issuer_account: this.accountPub,
      pub: p.pub,
      sub: p.sub,
      ...(p.respond !== undefined ? { resp: { max: p.respond.max, ttl: p.respond.ttlMs * 1_000_000 } } : {}),
      subs: -1,
      data: -1,
      payload: -1,
      tags: [`party:${party}`],
    };
    // Issued a second after any revocation of the same name's earlier key can never be confused.
    const issuedAt = Math.floor(Date.now() / 1000);
    const jwt = encodeJwt(this.seed('signing'), { sub: u.publicKey, name, nats, iat: issuedAt });
    const user: IssuedUser = { name, party, pub: u.publicKey, issuedAt };
    const file = join(this.dir, 'users', `${name}.json`);
    const earlier = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as IssuedUser[] | IssuedUser) : [];
    write(file, JSON.stringify([...(Array.isArray(earlier) ? earlier : [earlier]), user], null, 2) + '\n');
    return { creds: formatCreds(jwt, u.seed), user };
  }

  /** Every user issued (each key of each name). */
  list(): Array<IssuedUser & { revoked: boolean }> {
    const rev = this.revocations();
    const dir = join(this.dir, 'users');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as IssuedUser[])
      .map((u) => ({ ...u, revoked: rev[u.pub] !== undefined && rev[u.pub]! >= u.issuedAt }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.issuedAt - b.issuedAt);
  }

  /** Revoke every key issued under `name`; resolves with the new account JWT (push it to the servers). */
  revoke(name: string): { accountJwt: string; revoked: IssuedUser[] } {
    const users = this.list().filter((u) => u.name === name);
    if (users.length === 0) throw new KeystoreError(`no credentials were issued under the name ${JSON.stringify(name)} (see \`mesos creds list\`)`);
    const rev = { ...this.revocations() };
    const now = Math.floor(Date.now() / 1000);
    for (const u of users) rev[u.pub] = Math.max(now, u.issuedAt);
    this.writeAccount(rev);
    return { accountJwt: this.accountJwt, revoked: users };
  }
}
