/**
 * Registry authentication (pure): the `WWW-Authenticate` challenge a registry answers 401 with
 * (`Bearer realm="…",service="…",scope="…"` for the token dance, or `Basic realm="…"`), and the
 * credentials of Docker's `config.json` (`--docker-config`): `auths` keyed by registry (`host:port`,
 * optionally with a scheme and a path such as `/v1/`), each with `auth` (base64 `user:password`)
 * or `username` and `password` (an `identitytoken`, OAuth's refresh token, is not used).
 */
import { z } from 'zod';

export type Challenge =
  | { readonly scheme: 'bearer'; readonly realm: string; readonly service?: string; readonly scope?: string }
  | { readonly scheme: 'basic'; readonly realm?: string };

/** The first challenge of a `WWW-Authenticate` header we can answer, else undefined. */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (m === null) return undefined;
  const scheme = m[1]!.toLowerCase();
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/gy;
  const rest = m[2]!;
  re.lastIndex = 0;
  let p: RegExpExecArray | null;
  while (re.lastIndex < rest.length && (p = re.exec(rest)) !== null) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  if (scheme === 'bearer' && params.realm !== undefined) {
    return { scheme: 'bearer', realm: params.realm, ...(params.service !== undefined ? { service: params.service } : {}), ...(params.scope !== undefined ? { scope: params.scope } : {}) };
  }
  if (scheme === 'basic') return { scheme: 'basic', ...(params.realm !== undefined ? { realm: params.realm } : {}) };
  return undefined;
}

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export const DockerConfig = z.object({
  auths: z
    .record(
      z.string(),
      z.object({
        auth: z.string().optional(),
        username: z.string().optional(),
        password: z.string().optional(),
        identitytoken: z.string().optional(),
      }),
    )
    .default({}),
});
export type DockerConfig = z.infer<typeof DockerConfig>;

/** `host:port` of a config.json key or a registry URL. */
export function registryKey(s: string): string {
  return s.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

/** The credentials config.json holds for the registry `host:port`, or undefined. */
export function credentialsFor(config: DockerConfig, hostPort: string): Credentials | undefined {
  const want = hostPort.toLowerCase();
  for (const [key, e] of Object.entries(config.auths)) {
    if (registryKey(key) !== want) continue;
    if (e.auth !== undefined && e.auth !== '') {
      const text = Buffer.from(e.auth, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
    }
    if (e.username !== undefined && e.password !== undefined) return { username: e.username, password: e.password };
  }
  return undefined;
}

export const basicHeader = (c: Credentials): string => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

/** The token server's answer (Docker's token spec: `token`, or OAuth's `access_token`). */
export const TokenResponse = z
  .object({ token: z.string().min(1).optional(), access_token: z.string().min(1).optional(), expires_in: z.number().positive().optional() })
  .refine((t) => t.token !== undefined || t.access_token !== undefined, 'has neither token nor access_token');
