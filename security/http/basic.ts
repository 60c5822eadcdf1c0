/**
 * HTTP Basic authentication (RFC 7617) against a set of credentials, as Mesos's default `basic`
 * HTTP authenticator. Secrets are compared in constant time: both sides are hashed to the same
 * length and compared with `timingSafeEqual`, and an unknown principal is compared against a
 * dummy digest, so the time taken says nothing about the secret or whether the principal exists.
 * No I/O, no clock.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Credential } from './credentials.js';

export type BasicResult =
  /** No Authorization header at all. */
  | { readonly kind: 'absent' }
  | { readonly kind: 'ok'; readonly principal: string }
  | { readonly kind: 'refused'; readonly why: string };

export interface CredentialStore {
  readonly principals: readonly string[];
  /** Check an `Authorization` header value. */
  check(header: string | undefined): BasicResult;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** `Basic base64(principal:secret)` → its parts, or why not. */
export function parseBasic(header: string): { principal: string; secret: string } | string {
  const m = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (m === null) return 'the Authorization header is not HTTP Basic (expected "Basic base64(principal:secret)")';
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return 'the Basic credentials are not "principal:secret"';
  return { principal: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

export function credentialStore(credentials: readonly Credential[]): CredentialStore {
  const secrets = new Map(credentials.map((c) => [c.principal, digest(c.secret)]));
  const dummy = digest(randomBytes(32).toString('hex'));
  return {
    principals: credentials.map((c) => c.principal),
    check(header) {
      if (header === undefined || header.trim() === '') return { kind: 'absent' };
      const p = parseBasic(header);
      if (typeof p === 'string') return { kind: 'refused', why: p };
      const known = secrets.get(p.principal);
      const same = timingSafeEqual(digest(p.secret), known ?? dummy);
      if (known === undefined || !same) return { kind: 'refused', why: 'the principal or secret is wrong' };
      return { kind: 'ok', principal: p.principal };
    },
  };
}

/** The header value a client sends. */
export const basicHeader = (principal: string, secret: string): string => `Basic ${Buffer.from(`${principal}:${secret}`, 'utf8').toString('base64')}`;
