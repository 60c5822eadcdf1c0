/**
 * Executor authentication, as Mesos's agent does with --authenticate_http_executors: each executor
 * is given a token in MESOS_EXECUTOR_AUTHENTICATION_TOKEN, a JWT (HS256, RFC 7519) signed with a
 * secret of this agent and naming the executor (`fid`, `eid`, `cid`: its framework, executor and
 * container ids, Mesos's claim names). It sends it on every call (`Authorization: Bearer …`); a
 * call without a valid token is 401, a call for another executor than the token names is 403.
 *
 * The secret (32 random bytes) is kept in the agent's meta dir (`executor-secret`, mode 0600), so
 * that the executors an agent re-attaches to after a restart keep valid tokens.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { writeFileDurably } from '../durable-file.js';

export const EXECUTOR_SECRET_FILE = 'executor-secret';

export interface ExecutorPrincipal {
  readonly frameworkId: string;
  readonly executorId: string;
  readonly containerId: string;
}

export type TokenCheck = { readonly ok: true; readonly principal: ExecutorPrincipal } | { readonly ok: false; readonly status: 401 | 403; readonly why: string };

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** This agent's secret: read from the meta dir, made (once) when missing. */
export async function loadExecutorSecret(metaDir: string): Promise<Buffer> {
  const file = path.join(metaDir, EXECUTOR_SECRET_FILE);
  try {
    const hex = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(hex)) return Buffer.from(hex, 'hex');
    throw new Error(`${file} is not 64 hex digits: remove it (the running executors' tokens then stop working) and restart the agent`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32);
  await writeFileDurably(file, `${secret.toString('hex')}\n`, 0o600);
  return secret;
}

const sign = (secret: Buffer, data: string): string => createHmac('sha256', secret).update(data).digest('base64url');

export function issueExecutorToken(secret: Buffer, p: ExecutorPrincipal, now = Date.now()): string {
  const claims = Buffer.from(JSON.stringify({ fid: p.frameworkId, eid: p.executorId, cid: p.containerId, iat: Math.floor(now / 1000) })).toString('base64url');
  const unsigned = `${HEADER}.${claims}`;
  return `${unsigned}.${sign(secret, unsigned)}`;
}

/** Check an `Authorization` header against the call's framework and executor ids. */
export function checkExecutorToken(secret: Buffer, authorization: string | undefined, call: { readonly frameworkId: string; readonly executorId: string }): TokenCheck {
  if (authorization === undefined || authorization === '') return { ok: false, status: 401, why: "Missing 'Authorization' header: send 'Authorization: Bearer $MESOS_EXECUTOR_AUTHENTICATION_TOKEN'" };
  const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (m === null) return { ok: false, status: 401, why: "The 'Authorization' header must be 'Bearer <token>' (the MESOS_EXECUTOR_AUTHENTICATION_TOKEN the agent gave the executor)" };
  const parts = m[1]!.split('.');
  if (parts.length !== 3) return { ok: false, status: 401, why: 'The token is not a JWT (three base64url parts)' };
  const [h, c, s] = parts as [string, string, string];
  const expected = Buffer.from(sign(secret, `${h}.${c}`));
  const given = Buffer.from(s);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, status: 401, why: 'The token was not issued by this agent (bad signature)' };
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, status: 401, why: 'The token is not valid JSON' };
  }
  if ((header as { alg?: unknown } | null)?.alg !== 'HS256') return { ok: false, status: 401, why: 'The token is not HS256' };
  const { fid, eid, cid } = (claims ?? {}) as { fid?: unknown; eid?: unknown; cid?: unknown };
  if (typeof fid !== 'string' || typeof eid !== 'string' || typeof cid !== 'string') return { ok: false, status: 401, why: 'The token does not name an executor (fid, eid, cid)' };
  if (fid !== call.frameworkId || eid !== call.executorId) {
    return { ok: false, status: 403, why: `The token is executor ${eid}'s of framework ${fid}: it may not call for executor ${call.executorId} of framework ${call.frameworkId}` };
  }
  return { ok: true, principal: { frameworkId: fid, executorId: eid, containerId: cid } };
}
