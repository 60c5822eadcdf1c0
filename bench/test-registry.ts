/**
 * A real Docker registry for the remote-pull tests and benchmark (here, with the benchmarks, which
 * may not import the tests; test/helpers/registry.ts hands it to the tests): the distribution registry
 * (Debian's `docker-registry`, fetched by scripts/registry.sh) on loopback over HTTPS with a test
 * CA, and, for token auth, a token server of ours that speaks Docker's token protocol (GET
 * `realm?service=…&scope=…`, HTTP Basic for users, an RS256 JWT whose `x5c` certificate the
 * registry trusts through its `rootcertbundle`). Basic auth uses the registry's own htpasswd
 * (bcrypt made with the system's crypt(3) through perl). Images are pushed with the registry's
 * own upload API (POST + PUT of each blob, PUT of the manifest). The registry's request log
 * (JSON lines) is kept, so a test can count its blob GETs.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, createSign, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { getFreePort } from '../cli/nats/ports.js';
import { makeLocalCa } from '../security/tls/local-ca.js';
import type { ImageSpec } from './test-image.js';

export interface RegistryUser {
  readonly password: string;
  /** May push (the test's own pushes use the first such user). */
  readonly push?: boolean;
  /** Repositories (prefixes) this user may pull; default all. */
  readonly pull?: readonly string[];
}

export interface RegistryOptions {
  /** `token` (Docker's token dance, with our token server), `basic` (htpasswd) or `none`. */
  readonly auth: 'token' | 'basic' | 'none';
  readonly users?: Readonly<Record<string, RegistryUser>>;
  /** Token auth: repositories (prefixes) anyone may pull without credentials. */
  readonly anonymousPull?: readonly string[];
  readonly dir: string;
}

export interface RequestSeen {
  readonly method: string;
  readonly uri: string;
  readonly status: number;
}

export interface PushedImage {
  /** The manifest (or list) digest the tag points at. */
  readonly digest: string;
  readonly layers: readonly string[];
  readonly config: string;
}

export interface TestRegistry {
  /** `https://127.0.0.1:port` */
  readonly url: string;
  readonly hostPort: string;
  /** The CA file the registry's and the token server's certificates verify against. */
  readonly ca: string;
  /** Requests the registry logged (each once it completed). */
  requests(): readonly RequestSeen[];
  /** Successful blob GETs, optionally only of one digest (in one repository). */
  blobGets(digest?: string, repo?: string): number;
  /** Token requests our token server answered, with their status. */
  tokenRequests(): readonly { scope: string; user?: string; status: number }[];
  /** Push `spec` as `repo:tag`: a Docker schema 2 manifest, an OCI manifest, or an OCI index over it and an arm64 decoy. */
  push(repo: string, tag: string, spec: Omit<ImageSpec, 'name'>, form?: 'docker' | 'oci' | 'index'): Promise<PushedImage>;
  /** Flip a byte in the middle of a stored blob (the registry serves it as it is). */
  corruptBlob(digest: string): void;
  /** A Docker config.json for `user` (written to a file in the registry's dir). */
  dockerConfig(user: string, password: string): string;
  stop(): Promise<void>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The registry binary (scripts/registry.sh fetches it), or a clear error. */
export function registryBinary(): string {
  const env = process.env.MESOS_DOCKER_REGISTRY_BIN;
  for (const c of [env, join(ROOT, '.registry', 'bin', 'docker-registry'), '/usr/bin/docker-registry']) {
    if (c !== undefined && c !== '' && existsSync(c)) return c;
  }
  throw new Error('no docker-registry binary: run `bash scripts/registry.sh` (it fetches Debian\'s docker-registry package into .registry/)');
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

function bcrypt(password: string): string {
  const salt = '$2b$05$' + randomUUID().replace(/-/g, '').slice(0, 21) + 'u';
  return execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, salt], { encoding: 'utf8' });
}

function request(url: URL, o: { method: string; headers?: Record<string, string>; body?: Buffer; ca: string }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((res, rej) => {
    const req = https.request(url, { method: o.method, headers: { ...(o.headers ?? {}), ...(o.body !== undefined ? { 'Content-Length': String(o.body.length) } : {}) }, ca: o.ca }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
      r.on('error', rej);
    });
    req.on('error', rej);
    req.end(o.body);
  });
}

export async function startRegistry(o: RegistryOptions): Promise<TestRegistry> {
  const bin = registryBinary();
  mkdirSync(o.dir, { recursive: true });
  const tls = await makeLocalCa(join(o.dir, 'tls'));
  const caPem = readFileSync(tls.ca, 'utf8');
  const users = o.users ?? {};
  const port = await getFreePort();
  const url = `https://127.0.0.1:${port}`;
  const storage = join(o.dir, 'data');
  const seen: RequestSeen[] = [];
  const tokens: { scope: string; user?: string; status: number }[] = [];
  let tokenServer: https.Server | undefined;
  let authYaml = '';
  const SERVICE = 'mesos-ts-test-registry';
  const ISSUER = 'mesos-ts-test-token-server';
  let signingKey = '';
  let x5c = '';

  const userOf = (header: string | undefined): { name: string; u: RegistryUser } | 'bad' | undefined => {
    if (header === undefined || !header.startsWith('Basic ')) return undefined;
    const [name, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    const u = users[name ?? ''];
    return u !== undefined && u.password === rest.join(':') ? { name: name!, u } : 'bad';
  };
  const allowed = (repo: string, who: { name: string; u: RegistryUser } | undefined, action: string): boolean => {
    if (action === 'push') return who?.u.push === true;
    if (action !== 'pull') return false;
    // A user may pull what anyone may, and their own repositories.
    if ((o.anonymousPull ?? []).some((p) => repo.startsWith(p))) return true;
    return who !== undefined && (who.u.pull === undefined || who.u.pull.some((p) => repo.startsWith(p)));
  };
  /** A JWT for `access` as Docker's token spec says (RS256, the signing certificate in x5c). */
  const jwt = (sub: string, access: { type: string; name: string; actions: string[] }[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [x5c] }));
    const claims = b64url(JSON.stringify({ iss: ISSUER, sub, aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access }));
    const s = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(signingKey);
    return `${header}.${claims}.${b64url(s)}`;
  };

  if (o.auth === 'token') {
    const keyFile = join(o.dir, 'token-key.pem');
    const certFile = join(o.dir, 'token-cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=mesos-ts test token signer'], { stdio: 'ignore' });
    signingKey = readFileSync(keyFile, 'utf8');
    x5c = readFileSync(certFile, 'utf8').replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const tokenPort = await getFreePort();
    tokenServer = https.createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
      const u = new URL(req.url ?? '/', `https://127.0.0.1:${tokenPort}`);
      const scope = u.searchParams.get('scope') ?? '';
      const who = userOf(req.headers.authorization);
      if (u.pathname !== '/token' || u.searchParams.get('service') !== SERVICE) {
        tokens.push({ scope, status: 400 });
        res.writeHead(400).end('{"errors":[{"code":"BAD_REQUEST","message":"unknown service"}]}');
        return;
      }
      if (who === 'bad') {
        tokens.push({ scope, status: 401 });
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]}');
        return;
      }
      // Docker's token servers grant what they may of the scope asked (possibly nothing); the registry then decides.
      const access: { type: string; name: string; actions: string[] }[] = [];
      for (const s of u.searchParams.getAll('scope')) {
        const [type, name, actions] = s.split(':');
        if (type !== 'repository' || name === undefined || actions === undefined) continue;
        const ok = actions.split(',').filter((a) => allowed(name, who, a));
        if (ok.length > 0) access.push({ type, name, actions: ok });
      }
      tokens.push({ scope, ...(who !== undefined ? { user: who.name } : {}), status: 200 });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: jwt(who?.name ?? '', access), expires_in: 300 }));
    });
    await new Promise<void>((r) => tokenServer!.listen(tokenPort, '127.0.0.1', r));
    authYaml = `auth:\n  token:\n    realm: https://127.0.0.1:${tokenPort}/token\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n    rootcertbundle: ${certFile}\n`;
  } else if (o.auth === 'basic') {
    const file = join(o.dir, 'htpasswd');
    writeFileSync(file, Object.entries(users).map(([n, u]) => `${n}:${bcrypt(u.password)}\n`).join(''));
    authYaml = `auth:\n  htpasswd:\n    realm: mesos-ts-test\n    path: ${file}\n`;
  }
  const config = join(o.dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: info\n  formatter: json\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: ${randomUUID()}\n  tls:\n    certificate: ${tls.cert}\n    key: ${tls.key}\n${authYaml}`,
  );
  const child: ChildProcess = spawn(bin, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const errors: string[] = [];
  let partial = '';
  const onLine = (line: string): void => {
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      if (typeof j['http.request.uri'] === 'string' && typeof j['http.response.status'] === 'number') {
        seen.push({ method: String(j['http.request.method']), uri: j['http.request.uri'], status: j['http.response.status'] });
      }
      if (j.level === 'fatal' || j.level === 'panic') errors.push(String(j.msg));
    } catch {
      if (line.trim() !== '') errors.push(line);
    }
  };
  for (const s of [child.stdout!, child.stderr!]) {
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(onLine);
    });
  }
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`docker-registry exited at start: ${errors.slice(-3).join(' | ')}`);
    const up = await request(new URL('/v2/', url), { method: 'GET', ca: caPem }).then(
      (r) => r.status === 200 || r.status === 401,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${url} within 20 s: ${errors.slice(-3).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const pusher = Object.entries(users).find(([, u]) => u.push === true);
  /** The Authorization a push needs (straight from our token server, or Basic). */
  const pushAuth = (repo: string): Record<string, string> => {
    if (o.auth === 'none') return {};
    if (pusher === undefined) throw new Error('startRegistry: a push needs a user with push: true');
    if (o.auth === 'basic') return { Authorization: `Basic ${Buffer.from(`${pusher[0]}:${pusher[1].password}`).toString('base64')}` };
    return { Authorization: `Bearer ${jwt(pusher[0], [{ type: 'repository', name: repo, actions: ['pull', 'push'] }])}` };
  };
  const putBlob = async (repo: string, b: Buffer): Promise<string> => {
    const digest = sha(b);
    const start = await request(new URL(`/v2/${repo}/blobs/uploads/`, url), { method: 'POST', headers: pushAuth(repo), body: Buffer.alloc(0), ca: caPem });
    if (start.status !== 202) throw new Error(`push ${repo}: POST blobs/uploads answered ${start.status} ${start.body.toString()}`);
    const loc = new URL(String(start.headers.location), url);
    loc.searchParams.set('digest', digest);
    const put = await request(loc, { method: 'PUT', headers: { ...pushAuth(repo), 'Content-Type': 'application/octet-stream' }, body: b, ca: caPem });
    if (put.status !== 201) throw new Error(`push ${repo}: PUT of blob ${digest} answered ${put.status} ${put.body.toString()}`);
    return digest;
  };
  const putManifest = async (repo: string, ref: string, mediaType: string, body: Buffer): Promise<string> => {
    const r = await request(new URL(`/v2/${repo}/manifests/${ref}`, url), { method: 'PUT', headers: { ...pushAuth(repo), 'Content-Type': mediaType }, body, ca: caPem });
    if (r.status !== 201) throw new Error(`push ${repo}:${ref}: PUT of the manifest answered ${r.status} ${r.body.toString()}`);
    return sha(body);
  };
  const pushImage = async (repo: string, ref: string, spec: Omit<ImageSpec, 'name'>, oci: boolean, arch = 'amd64'): Promise<{ digest: string; size: number; layers: string[]; config: string }> => {
    const configBlob = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', config: spec.config ?? {}, rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => sha(l)) } }));
    const layers = spec.layers.map((l) => gzipSync(l));
    const layerDigests: string[] = [];
    for (const l of layers) layerDigests.push(await putBlob(repo, l));
    const config = await putBlob(repo, configBlob);
    const mediaType = oci ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json';
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        config: { mediaType: oci ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json', digest: config, size: configBlob.length },
        layers: layers.map((l, i) => ({ mediaType: oci ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layerDigests[i], size: l.length })),
      }),
    );
    return { digest: await putManifest(repo, ref, mediaType, manifest), size: manifest.length, layers: layerDigests, config };
  };

  return {
    url,
    hostPort: `127.0.0.1:${port}`,
    ca: tls.ca,
    requests: () => seen,
    blobGets: (digest, repo) =>
      seen.filter((r) => r.method === 'GET' && r.status === 200 && /\/blobs\/sha256:/.test(r.uri) && (digest === undefined || r.uri.endsWith(`/blobs/${digest}`)) && (repo === undefined || r.uri.startsWith(`/v2/${repo}/`))).length,
    tokenRequests: () => tokens,
    async push(repo, tag, spec, form = 'docker') {
      if (form !== 'index') {
        const p = await pushImage(repo, tag, spec, form === 'oci');
        return { digest: p.digest, layers: p.layers, config: p.config };
      }
      // An index over the image (linux/amd64) and a decoy for linux/arm64 with a different layer.
      const amd = await pushImage(repo, `${tag}-amd64`, spec, true);
      const decoy = await pushImage(repo, `${tag}-arm64`, { layers: [Buffer.from(spec.layers[0]!.toString('latin1').replace(/ID=/g, 'IX='), 'latin1')] }, true, 'arm64');
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [
            { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: decoy.digest, size: decoy.size, platform: { os: 'linux', architecture: 'arm64' } },
            { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: amd.digest, size: amd.size, platform: { os: 'linux', architecture: 'amd64' } },
          ],
        }),
      );
      return { digest: await putManifest(repo, tag, 'application/vnd.oci.image.index.v1+json', index), layers: amd.layers, config: amd.config };
    },
    corruptBlob(digest) {
      const hex = digest.slice('sha256:'.length);
      const file = join(storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
      const b = readFileSync(file);
      const at = Math.floor(b.length / 2);
      b[at] = b[at]! ^ 0xff;
      writeFileSync(file, b);
    },
    dockerConfig(user, password) {
      const file = join(o.dir, `config-${user}-${readdirSync(o.dir).length}.json`);
      writeFileSync(file, JSON.stringify({ auths: { [`https://127.0.0.1:${port}`]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
      return file;
    },
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(t);
      }
      if (tokenServer !== undefined) {
        tokenServer.closeAllConnections();
        await new Promise((r) => tokenServer!.close(r));
      }
    },
  };
}
