/**
 * The benchmarks' nats-server: secured by default, as the cluster is. With `auth`, the server
 * runs in operator mode on a fresh keystore (security/nats) and every party a benchmark plays
 * connects with credentials of its own (`as(party, name)`); with `tls`, every connection is over
 * TLS to a local CA. `auth: false` is an open bus, asked for by name (`--auth off`), to measure
 * what authentication costs beside it.
 *
 * Two identities exist only here, because a benchmark does what no party of a cluster does, and
 * the benchmark holds the account's signing key as the cluster's owner would:
 * - the history writer appends a synthetic history (agents' facts, frameworks' calls, the
 *   master's decisions) before any master runs, as an import of another cluster's log would;
 * - the pong responder answers the leader's pings for every emulated agent at once
 *   (bench/agent-pongs.ts), where a real agent answers only its own.
 * Both are printed in the benchmarks' notes; neither is issued by `mesos creds`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NatsServerOptions, type RunningNatsServer, startNatsServer } from '../cli/nats/index.js';
import { subjects } from '../events/index.js';
import { type FrameworkStore, Keystore, NKey, type Party, type UserNats, encodeJwt, formatCreds, serverAuth } from '../security/nats/index.js';
import { type LocalCa } from '../security/tls/index.js';

export interface BenchBusOptions {
  /** Operator mode, every party with credentials of its own (default: true). */
  readonly auth?: boolean;
  /** TLS on every connection (a local CA). */
  readonly tls?: LocalCa;
  readonly server?: Omit<NatsServerOptions, 'auth' | 'tls'>;
}

/** What a client needs to connect as someone: spread into connectBus / startMaster / subscribe. */
export interface ConnectAs {
  creds?: string;
  tlsCa?: string;
}

export interface BenchBus {
  readonly server: RunningNatsServer;
  readonly url: string;
  readonly secure: boolean;
  readonly tls: boolean;
  /** A fresh user of `party` named `name` (empty on an open bus); a framework may be granted a state store. */
  as(party: Party, name: string, o?: { store?: FrameworkStore }): ConnectAs;
  /** The bench-only writer of synthetic history (see the module's comment). */
  historyWriter(): ConnectAs;
  /** The bench-only responder to every emulated agent's pings. */
  pongResponder(): ConnectAs;
  /** `--creds FILE` (and the CA) for a `mesos` command line playing `party` `name`. */
  cliArgs(party: Party, name: string): string[];
  /** Stops the server and removes the keystore. */
  stop(): Promise<void>;
}

export async function startBenchNats(o: BenchBusOptions = {}): Promise<BenchBus> {
  const secure = o.auth !== false;
  const dir = secure ? await mkdtemp(join(tmpdir(), 'mesos-bench-keys-')) : undefined;
  const ks = dir !== undefined ? Keystore.init(join(dir, 'keys')) : undefined;
  let server: RunningNatsServer;
  try {
    server = await startNatsServer({ ...o.server, ...(o.tls !== undefined ? { tls: o.tls } : {}), ...(ks !== undefined ? { auth: serverAuth(ks) } : {}) });
  } catch (err) {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const tlsCa = o.tls !== undefined ? { tlsCa: o.tls.ca } : {};
  let n = 0;
  const save = (name: string, creds: string): string => {
    const file = join(dir!, `${++n}-${name}.creds`);
    writeFileSync(file, creds, { mode: 0o600 });
    return file;
  };
  /** A user no party has: signed with the account's signing key, as `nsc` would. */
  const custom = (name: string, pub: string[], sub: string[]): ConnectAs => {
    if (ks === undefined) return { ...tlsCa };
    const signing = NKey.fromSeed(readFileSync(join(ks.dir, 'signing.seed'), 'utf8'));
    const u = NKey.create('user');
    const nats: UserNats = { type: 'user', version: 2, issuer_account: ks.accountPub, pub: { allow: pub }, sub: { allow: sub }, resp: { max: 1, ttl: 60_000 * 1_000_000 }, subs: -1, data: -1, payload: -1, tags: [`bench:${name}`] };
    const jwt = encodeJwt(signing, { sub: u.publicKey, name, nats });
    return { creds: save(name, formatCreds(jwt, u.seed)), ...tlsCa };
  };
  const as = (party: Party, name: string, io: { store?: FrameworkStore } = {}): ConnectAs => (ks === undefined ? { ...tlsCa } : { creds: save(`${party}-${name}`, ks.issue(party, name, io).creds), ...tlsCa });
  return {
    server,
    url: server.url,
    secure,
    tls: o.tls !== undefined,
    as,
    historyWriter: () => custom('bench-history-writer', [subjects.all, '$JS.API.>', '$JS.ACK.>', '$JS.FC.>', '$O.>', '$KV.>'], [subjects.all, '_INBOX.>']),
    pongResponder: () => custom('bench-pong-responder', ['$JS.API.INFO'], [subjects.agentPing('*' as never), '_INBOX.>']),
    cliArgs(party, name) {
      const c = as(party, name);
      return [...(c.creds !== undefined ? ['--creds', c.creds] : []), ...(o.tls !== undefined ? ['--tls-ca', o.tls.ca] : [])];
    },
    async stop() {
      await server.stop();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `--auth on|off|both`: secured (default), open, or each run on both (open right after secured). */
export type AuthMode = 'on' | 'off' | 'both';
export function parseAuthMode(v: string | undefined, usage: (msg: string) => Error): AuthMode {
  if (v === undefined) return 'on';
  if (v === 'on' || v === 'off' || v === 'both') return v;
  throw usage(`--auth must be on, off or both (got ${JSON.stringify(v)})`);
}
