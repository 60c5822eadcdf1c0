/**
 * Which HTTP requests must authenticate, as Mesos decides it: every endpoint belongs to a realm —
 * read-only (`--authenticate_http_readonly`), read-write (`--authenticate_http_readwrite`), the
 * scheduler API (`--authenticate_http_frameworks`) — or to none (`/health`, `/redirect`, `/version`
 * are always open). A request to a realm whose flag is on must carry valid HTTP Basic credentials,
 * else 401 with `WWW-Authenticate: Basic realm="<the realm>"`, Mesos's realm names. A request that
 * presents credentials where none are required has them checked all the same (a wrong secret is
 * a 401, never silently anonymous), so that the principal is known to the ACLs and to the
 * framework it registers. Pure.
 */
import type { CredentialStore } from './basic.js';

export type Realm = 'readonly' | 'readwrite' | 'scheduler';

export interface HttpAuthConfig {
  /** The accepted credentials (null: none given; then no realm can require authentication). */
  readonly credentials: CredentialStore | null;
  readonly readonly: boolean;
  readonly readwrite: boolean;
  readonly frameworks: boolean;
  /** Mesos's realm names of this process (the master's or the agent's). */
  readonly realmNames: Readonly<Record<Realm, string>>;
}

export const MASTER_REALMS: Readonly<Record<Realm, string>> = {
  readonly: 'mesos-master-readonly',
  readwrite: 'mesos-master-readwrite',
  scheduler: 'mesos-master-scheduler',
};
export const AGENT_REALMS: Readonly<Record<Realm, string>> = {
  readonly: 'mesos-agent-readonly',
  readwrite: 'mesos-agent-readwrite',
  scheduler: 'mesos-agent-executor',
};

export const OPEN: HttpAuthConfig = { credentials: null, readonly: false, readwrite: false, frameworks: false, realmNames: MASTER_REALMS };

export type AuthOutcome =
  | { readonly ok: true; readonly principal: string | undefined }
  | { readonly ok: false; readonly status: 401; readonly headers: Readonly<Record<string, string>>; readonly text: string };

export function required(c: HttpAuthConfig, realm: Realm): boolean {
  return realm === 'readonly' ? c.readonly : realm === 'readwrite' ? c.readwrite : c.frameworks;
}

/** Check one request of `realm` (null: an endpoint that is always open) by its Authorization header. */
export function authenticate(c: HttpAuthConfig, realm: Realm | null, authorization: string | undefined): AuthOutcome {
  if (c.credentials === null) return { ok: true, principal: undefined };
  const must = realm !== null && required(c, realm);
  const r = c.credentials.check(authorization);
  if (r.kind === 'ok') return { ok: true, principal: r.principal };
  if (r.kind === 'absent' && !must) return { ok: true, principal: undefined };
  const name = c.realmNames[realm ?? 'readonly'];
  const text =
    r.kind === 'absent'
      ? `Authentication is required (realm ${name}): send HTTP Basic credentials of a principal in the master's --credentials file`
      : `Authentication failed (realm ${name}): ${r.why}`;
  return { ok: false, status: 401, headers: { 'WWW-Authenticate': `Basic realm="${name}"` }, text };
}
