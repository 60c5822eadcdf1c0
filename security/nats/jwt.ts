/**
 * NATS decentralized-auth JWTs and `.creds` files, encoded here (they are small): a JWT is
 * base64url(header).base64url(claims).base64url(ed25519 signature of the first two parts, by the
 * issuer's nkey). The header is {"typ":"JWT","alg":"ed25519-nkey"}; `jti` is the unpadded base32 of
 * the SHA-256 of the claims without it, as nats-server's own jwt library computes it.
 */
import { createHash } from 'node:crypto';
import { type NKey, base32, verifyNKey } from './nkey.js';

const HEADER = { typ: 'JWT', alg: 'ed25519-nkey' } as const;

const b64url = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url');

export { base32 };

/** A subject permission: what is allowed, what is denied (deny wins). */
export interface SubjectPermission {
  allow?: string[];
  deny?: string[];
}

export interface UserNats {
  type: 'user';
  version: 2;
  issuer_account: string;
  pub: SubjectPermission;
  sub: SubjectPermission;
  /** Allow publishing to the reply subject of requests received (at most `max` replies within `ttl` ns). */
  resp?: { max: number; ttl: number };
  subs: number;
  data: number;
  payload: number;
  tags?: string[];
}

export interface AccountNats {
  type: 'account';
  version: 2;
  signing_keys?: string[];
  /** User public key → unix seconds: users issued at or before it are refused. */
  revocations?: Record<string, number>;
  limits: Record<string, number | boolean>;
  default_permissions: { pub: SubjectPermission; sub: SubjectPermission };
}

export interface OperatorNats {
  type: 'operator';
  version: 2;
  system_account?: string;
  signing_keys?: string[];
}

export interface Claims<N> {
  jti: string;
  iat: number;
  iss: string;
  sub: string;
  name: string;
  nats: N;
}

/** Sign claims (`iss` is the signer's public key) into a JWT. */
export function encodeJwt<N>(signer: NKey, c: { sub: string; name: string; nats: N; iat?: number }): string {
  const body: Omit<Claims<N>, 'jti'> & { jti?: string } = {
    iat: c.iat ?? Math.floor(Date.now() / 1000),
    iss: signer.publicKey,
    name: c.name,
    sub: c.sub,
    nats: c.nats,
  };
  const jti = base32(createHash('sha256').update(JSON.stringify(body)).digest());
  const claims = { jti, ...body };
  const head = `${b64url(JSON.stringify(HEADER))}.${b64url(JSON.stringify(claims))}`;
  const sig = signer.sign(new TextEncoder().encode(head));
  return `${head}.${b64url(sig)}`;
}

export class JwtError extends Error {
  override readonly name = 'JwtError';
}

/** Decode a JWT and check its signature against its `iss`. */
export function decodeJwt<N = unknown>(jwt: string): Claims<N> {
  const parts = jwt.trim().split('.');
  if (parts.length !== 3) throw new JwtError('not a JWT: expected three dot-separated parts');
  const [h, p, s] = parts as [string, string, string];
  let header: unknown;
  let claims: Claims<N>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Claims<N>;
  } catch {
    throw new JwtError('not a JWT: its parts are not base64url JSON');
  }
  if ((header as { alg?: string }).alg !== HEADER.alg) throw new JwtError(`unsupported JWT algorithm ${JSON.stringify((header as { alg?: string }).alg)}`);
  if (typeof claims.iss !== 'string') throw new JwtError('JWT without an issuer');
  const ok = verifyNKey(claims.iss, new TextEncoder().encode(`${h}.${p}`), Buffer.from(s, 'base64url'));
  if (!ok) throw new JwtError(`JWT signature does not verify against its issuer ${claims.iss}`);
  return claims;
}

/** A `.creds` file as `nsc` writes it (the `nats` CLI and every NATS client read it). */
export function formatCreds(jwt: string, seed: Uint8Array | string): string {
  const s = typeof seed === 'string' ? seed : new TextDecoder().decode(seed);
  return [
    '-----BEGIN NATS USER JWT-----',
    jwt,
    '------END NATS USER JWT------',
    '',
    '************************* IMPORTANT *************************',
    'NKEY Seed printed below can be used to sign and prove identity.',
    'NKEYs are sensitive and should be treated as secrets.',
    '',
    '-----BEGIN USER NKEY SEED-----',
    s,
    '------END USER NKEY SEED------',
    '',
    '*************************************************************',
    '',
  ].join('\n');
}

/** The JWT and seed of a `.creds` file. */
export function parseCreds(text: string): { jwt: string; seed: string } {
  const block = (what: string): string | undefined => {
    const m = new RegExp(`-{3,}BEGIN ${what}-{3,}\\s*\\n\\s*(\\S+)\\s*\\n\\s*-{3,}END ${what}-{3,}`).exec(text);
    return m?.[1];
  };
  const jwt = block('NATS USER JWT');
  const seed = block('USER NKEY SEED');
  if (jwt === undefined || seed === undefined) throw new JwtError('not a NATS .creds file: expected a "BEGIN NATS USER JWT" and a "BEGIN USER NKEY SEED" block');
  return { jwt, seed };
}
