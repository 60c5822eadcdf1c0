/**
 * A client of the Docker Registry HTTP API v2 over HTTPS (http only when the registry URL says
 * so): GET of manifests and blobs, redirects followed (Authorization only to the registry itself),
 * and authentication as the registry asks: on a 401 with `Bearer realm,service,scope` a token is
 * fetched from the realm (anonymously, or with HTTP Basic credentials from `--docker-config`) and
 * kept per scope until it expires; on `Basic`, the credentials are sent. Blobs are checked against
 * their digest while they stream (and against their declared size), into a `.part` file renamed
 * into place only when they match.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ProvisionError } from '../errors.js';
import { basicHeader, type Challenge, type Credentials, credentialsFor, type DockerConfig, parseChallenge, registryKey, TokenResponse } from './auth.js';
import { type Descriptor, MANIFEST_ACCEPT } from './manifest.js';

export interface RegistryClientOptions {
  /** `https://host:port` (Mesos's `--docker_registry` URL). */
  readonly url: string;
  /** PEM of the CA(s) the registry's and the token server's certificates are verified against (else the system's). */
  readonly ca?: string;
  /** `--docker-config`: credentials per registry. */
  readonly config?: DockerConfig;
  /** Idle socket timeout. */
  readonly timeoutMs?: number;
}

export interface RegistryClient {
  /** `https://host:port`, as messages name it. */
  readonly url: string;
  /** `host:port`: the key of its credentials, and the registry part image names may carry. */
  readonly hostPort: string;
  manifest(image: string, repo: string, reference: string): Promise<{ body: string; contentType?: string; digest?: string }>;
  /** A small blob (a config) in memory, checked against its digest. */
  blob(image: string, repo: string, d: Descriptor, maxBytes: number): Promise<Buffer>;
  /** A blob into `file`, checked against its digest and size while it streams. */
  download(image: string, repo: string, d: Descriptor, file: string): Promise<void>;
}

const MAX_REDIRECTS = 5;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export function createRegistryClient(o: RegistryClientOptions): RegistryClient {
  const base = new URL(o.url);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new ProvisionError('REGISTRY_FAILED', `registry ${o.url}: only https:// (or http://) URLs`);
  const url = `${base.protocol}//${base.host}`;
  const hostPort = registryKey(url);
  const creds: Credentials | undefined = o.config === undefined ? undefined : credentialsFor(o.config, hostPort);
  const tokens = new Map<string, { header: string; until: number }>();
  let basic = false;
  const timeoutMs = o.timeoutMs ?? 60_000;

  function get(target: URL, headers: Record<string, string>, redirects = 0): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const lib = target.protocol === 'https:' ? https : http;
      const req = lib.get(target, { headers: { 'User-Agent': 'mesos-ts-agent', ...headers }, ...(o.ca !== undefined && target.protocol === 'https:' ? { ca: o.ca } : {}) }, (res) => {
        const status = res.statusCode ?? 0;
        const loc = res.headers.location;
        if ([301, 302, 303, 307, 308].includes(status) && loc !== undefined) {
          res.resume();
          if (redirects >= MAX_REDIRECTS) return reject(failed(`${target.href}: more than ${MAX_REDIRECTS} redirects`));
          const next = new URL(loc, target);
          const { Authorization: _drop, ...rest } = headers;
          resolve(get(next, next.origin === target.origin ? headers : rest, redirects + 1));
          return;
        }
        resolve(res);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer for ${Math.round(timeoutMs / 1000)} s`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const tls = /certificate|self.signed|SSL|TLS/i.test(`${err.code ?? ''} ${err.message}`);
        reject(failed(`cannot reach ${target.origin}: ${err.message}${tls ? ' (give the registry\'s CA with --docker-registry-ca FILE)' : ''}`, err));
      });
    });
  }

  const failed = (why: string, cause?: unknown): ProvisionError => new ProvisionError('REGISTRY_FAILED', `registry ${url}: ${why}`, cause !== undefined ? { cause } : undefined);

  async function text(res: http.IncomingMessage, max: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of res as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > max) {
        res.destroy();
        throw failed(`an answer of more than ${max} bytes where a small JSON document was expected`);
      }
      chunks.push(c);
    }
    return Buffer.concat(chunks);
  }

  /** The registry's own words for an error answer (`{"errors":[{"code","message"}]}`). */
  async function errorOf(res: http.IncomingMessage): Promise<string> {
    const body = await text(res, 64 * 1024).catch(() => Buffer.alloc(0));
    try {
      const e = (JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] }).errors?.[0];
      if (e !== undefined) return `${e.code ?? ''}${e.message !== undefined ? `: ${e.message}` : ''}`;
    } catch {
      /* not JSON */
    }
    return body.toString('utf8').slice(0, 200).trim();
  }

  async function token(image: string, ch: Extract<Challenge, { scheme: 'bearer' }>, scope: string): Promise<string> {
    const realm = new URL(ch.realm);
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && base.protocol === 'http:')) throw failed(`its token realm ${ch.realm} is not https`);
    if (ch.service !== undefined) realm.searchParams.set('service', ch.service);
    realm.searchParams.set('scope', ch.scope ?? scope);
    const res = await get(realm, creds !== undefined ? { Authorization: basicHeader(creds) } : {});
    const status = res.statusCode ?? 0;
    if (status === 401 || status === 403) {
      const why = await errorOf(res);
      throw new ProvisionError('REGISTRY_UNAUTHORIZED', `image ${image}: the token server ${realm.origin} refused ${creds !== undefined ? `the credentials of user ${creds.username} (from --docker-config)` : 'an anonymous token (give credentials for ' + hostPort + ' in --docker-config)'}: ${status}${why !== '' ? ` ${why}` : ''}`);
    }
    if (status !== 200) throw failed(`its token server ${realm.origin} answered ${status} ${await errorOf(res)}`);
    let parsed;
    try {
      parsed = TokenResponse.safeParse(JSON.parse((await text(res, 1024 * 1024)).toString('utf8')));
    } catch (err) {
      throw failed(`its token server ${realm.origin} answered something that is not JSON`, err);
    }
    if (!parsed.success) throw failed(`its token server ${realm.origin} answered without a token`);
    const t = parsed.data.token ?? parsed.data.access_token!;
    tokens.set(scope, { header: `Bearer ${t}`, until: Date.now() + Math.max(10, (parsed.data.expires_in ?? 60) - 10) * 1000 });
    return `Bearer ${t}`;
  }

  function known(scope: string): string | undefined {
    if (basic && creds !== undefined) return basicHeader(creds);
    const t = tokens.get(scope);
    return t !== undefined && t.until > Date.now() ? t.header : undefined;
  }

  /** GET `path` of `repo` with the auth the registry asks for; a second 401 is REGISTRY_UNAUTHORIZED. */
  async function send(image: string, repo: string, p: string, accept?: string): Promise<http.IncomingMessage> {
    const scope = `repository:${repo}:pull`;
    const target = new URL(p, url);
    const headers = (auth: string | undefined): Record<string, string> => ({ ...(accept !== undefined ? { Accept: accept } : {}), ...(auth !== undefined ? { Authorization: auth } : {}) });
    const first = known(scope);
    let res = await get(target, headers(first));
    if (res.statusCode !== 401) return res;
    const header = res.headers['www-authenticate'];
    res.resume();
    const ch = parseChallenge(Array.isArray(header) ? header[0] : header);
    if (ch === undefined) throw new ProvisionError('REGISTRY_UNAUTHORIZED', `image ${image}: registry ${url} answered 401 with no challenge this agent can answer (${String(header ?? 'no WWW-Authenticate')})`);
    let auth: string;
    if (ch.scheme === 'basic') {
      if (creds === undefined) throw new ProvisionError('REGISTRY_UNAUTHORIZED', `image ${image}: registry ${url} wants a user and password (HTTP Basic): give credentials for ${hostPort} in --docker-config`);
      basic = true;
      auth = basicHeader(creds);
    } else auth = await token(image, ch, scope);
    res = await get(target, headers(auth));
    if (res.statusCode === 401 || res.statusCode === 403) {
      const why = await errorOf(res);
      throw new ProvisionError(
        'REGISTRY_UNAUTHORIZED',
        `image ${image}: registry ${url} refused to let ${creds !== undefined ? `user ${creds.username}` : 'an anonymous client'} pull ${repo} (${res.statusCode}${why !== '' ? ` ${why}` : ''})${creds === undefined ? `; give credentials for ${hostPort} in --docker-config` : ''}`,
      );
    }
    return res;
  }

  const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const corrupt = (image: string, d: Descriptor, why: string): ProvisionError => new ProvisionError('LAYER_CORRUPT', `image ${image}: blob ${d.digest} from registry ${url} ${why}`);

  return {
    url,
    hostPort,
    async manifest(image, repo, reference) {
      const res = await send(image, repo, `/v2/${repo}/manifests/${reference}`, MANIFEST_ACCEPT);
      const status = res.statusCode ?? 0;
      if (status === 404) throw new ProvisionError('IMAGE_NOT_FOUND', `image ${image} is not in registry ${url} (${repo}:${reference}: ${await errorOf(res)})`);
      if (status !== 200) throw failed(`GET of the manifest of ${repo}:${reference} answered ${status} ${await errorOf(res)}`);
      const body = await text(res, MAX_MANIFEST_BYTES);
      const digest = res.headers['docker-content-digest'];
      const got = sha(body);
      // By digest, the body must hash to it; by tag, to the digest the registry says, when it says one.
      const want = reference.startsWith('sha256:') ? reference : typeof digest === 'string' ? digest : undefined;
      if (want !== undefined && want !== got) throw new ProvisionError('LAYER_CORRUPT', `image ${image}: the manifest registry ${url} sent hashes to ${got}, not ${want}`);
      return { body: body.toString('utf8'), ...(res.headers['content-type'] !== undefined ? { contentType: res.headers['content-type'] } : {}), digest: got };
    },
    async blob(image, repo, d, maxBytes) {
      if (d.size > maxBytes) throw new ProvisionError('IMAGE_INVALID', `image ${image}: blob ${d.digest} is ${d.size} bytes, more than the ${maxBytes} a config may have`);
      const res = await send(image, repo, `/v2/${repo}/blobs/${d.digest}`);
      const status = res.statusCode ?? 0;
      if (status === 404) throw new ProvisionError('IMAGE_INVALID', `image ${image}: blob ${d.digest} named by its manifest is not in registry ${url}`);
      if (status !== 200) throw failed(`GET of blob ${d.digest} answered ${status} ${await errorOf(res)}`);
      const body = await text(res, maxBytes);
      if (body.length !== d.size) throw corrupt(image, d, `is ${body.length} bytes, its manifest says ${d.size}`);
      const got = sha(body);
      if (got !== d.digest) throw corrupt(image, d, `is corrupt: its content hashes to ${got}`);
      return body;
    },
    async download(image, repo, d, file) {
      const res = await send(image, repo, `/v2/${repo}/blobs/${d.digest}`);
      const status = res.statusCode ?? 0;
      if (status === 404) {
        res.resume();
        throw new ProvisionError('IMAGE_INVALID', `image ${image}: layer ${d.digest} named by its manifest is not in registry ${url}`);
      }
      if (status !== 200) throw failed(`GET of layer ${d.digest} answered ${status} ${await errorOf(res)}`);
      const h = createHash('sha256');
      let n = 0;
      const part = `${file}.part`;
      const check = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          n += chunk.length;
          if (n > d.size) return cb(corrupt(image, d, `is longer than the ${d.size} bytes its manifest says`));
          h.update(chunk);
          cb(null, chunk);
        },
      });
      try {
        await pipeline(res, check, createWriteStream(part, { mode: 0o600 }));
        if (n !== d.size) throw corrupt(image, d, `ended after ${n} of its ${d.size} bytes`);
        const got = `sha256:${h.digest('hex')}`;
        if (got !== d.digest) throw corrupt(image, d, `is corrupt: its content hashes to ${got}`);
        await rename(part, file);
      } catch (err) {
        await rm(part, { force: true });
        if (err instanceof ProvisionError) throw err;
        throw failed(`the download of layer ${d.digest} failed: ${(err as Error).message}`, err);
      }
    },
  };
}
