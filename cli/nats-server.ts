// Locating and running a local nats-server (>= 2.10, JetStream enabled) for
// `mesos dev`, tests and benchmarks. No CLI parsing here.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

export const MIN_NATS_VERSION: readonly [number, number] = [2, 10];

const PROJECT_NAME = 'mesos-ts';
const SETUP_HINT =
  'run `npm run setup` (scripts/setup.sh) to fetch one, or install nats-server >= 2.10 ' +
  '(Debian trixie package `nats-server`, or a release from the NATS project) and put it on PATH ' +
  'or set MESOS_NATS_SERVER to its path';

export type NatsServerErrorCode = 'NATS_SERVER_MISSING' | 'NATS_SERVER_START_FAILED';

export class NatsServerError extends Error {
  readonly code: NatsServerErrorCode;
  constructor(code: NatsServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NatsServerError';
    this.code = code;
  }
}

// ---------------------------------------------------------------------------
// Locating the binary

let cachedRoot: string | undefined;

/** The repository root: the nearest ancestor of this module with a package.json named "mesos-ts". */
export function projectRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown };
        if (parsed.name === PROJECT_NAME) {
          cachedRoot = dir;
          return dir;
        }
      } catch {
        // unreadable package.json: keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  cachedRoot = process.cwd();
  return cachedRoot;
}

const versionCache = new Map<string, string | null>();

/** The version ("2.10.27") a nats-server binary reports, or undefined if it does not run as one. */
export function natsServerVersion(bin: string): string | undefined {
  const cached = versionCache.get(bin);
  if (cached !== undefined) return cached ?? undefined;
  let version: string | null = null;
  try {
    const st = statSync(bin);
    if (st.isFile()) {
      accessSync(bin, fsConstants.X_OK);
      const out = execFileSync(bin, ['--version'], {
        encoding: 'utf8',
        timeout: 10_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const m = /nats-server:?\s*v?(\d+\.\d+(?:\.\d+)?)/.exec(out) ?? /v?(\d+\.\d+\.\d+)/.exec(out);
      version = m?.[1] ?? null;
    }
  } catch {
    version = null;
  }
  versionCache.set(bin, version);
  return version ?? undefined;
}

/** True if `version` ("2.10.27") is at least MIN_NATS_VERSION. */
export function isSupportedNatsVersion(version: string | undefined): boolean {
  if (!version) return false;
  const [maj, min] = version.split('.').map((p) => Number.parseInt(p, 10));
  if (maj === undefined || min === undefined || Number.isNaN(maj) || Number.isNaN(min)) return false;
  const [reqMaj, reqMin] = MIN_NATS_VERSION;
  return maj > reqMaj || (maj === reqMaj && min >= reqMin);
}

function usable(bin: string): boolean {
  return isSupportedNatsVersion(natsServerVersion(bin));
}

function onPath(name: string, pathVar: string | undefined): string | undefined {
  if (!pathVar) return undefined;
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const cand = join(dir, name);
    try {
      if (statSync(cand).isFile()) {
        accessSync(cand, fsConstants.X_OK);
        return cand;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Finds a nats-server >= 2.10. Order: $MESOS_NATS_SERVER (an explicitly set
 * but unusable value is an error), `<root>/.nats/server-path` (written by
 * scripts/setup.sh), `<root>/.nats/bin/nats-server`, `nats-server` on PATH.
 * Returns an absolute path; throws NatsServerError (code NATS_SERVER_MISSING).
 */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env, cwd: string = projectRoot()): string {
  const explicit = env.MESOS_NATS_SERVER;
  if (explicit !== undefined && explicit.trim() !== '') {
    const raw = explicit.trim();
    const cand = raw.includes('/') ? resolve(cwd, raw) : onPath(raw, env.PATH);
    const version = cand ? natsServerVersion(cand) : undefined;
    if (cand && isSupportedNatsVersion(version)) return cand;
    const why = !cand || version === undefined ? 'is not a runnable nats-server' : `is version ${version}`;
    throw new NatsServerError(
      'NATS_SERVER_MISSING',
      `MESOS_NATS_SERVER=${explicit} ${why}; a nats-server >= 2.10 is required. ` +
        `Fix or unset MESOS_NATS_SERVER, or ${SETUP_HINT}.`,
    );
  }

  const pathFile = join(cwd, '.nats', 'server-path');
  if (existsSync(pathFile)) {
    try {
      const recorded = readFileSync(pathFile, 'utf8').trim();
      if (recorded) {
        const cand = isAbsolute(recorded) ? recorded : resolve(cwd, recorded);
        if (usable(cand)) return cand;
      }
    } catch {
      // fall through
    }
  }

  const local = join(cwd, '.nats', 'bin', 'nats-server');
  if (usable(local)) return local;

  const fromPath = onPath('nats-server', env.PATH);
  if (fromPath && usable(fromPath)) return resolve(fromPath);

  throw new NatsServerError(
    'NATS_SERVER_MISSING',
    `No nats-server >= 2.10 found (checked MESOS_NATS_SERVER, ${pathFile}, ${local}, PATH). ${SETUP_HINT}.`,
  );
}

// ---------------------------------------------------------------------------
// Running a server

export interface NatsServerOptions {
  /** Client port; 0/undefined = pick a free one. */
  port?: number;
  /** JetStream store dir; undefined = a fresh temp dir, removed at stop(). */
  storeDir?: string;
  /** JetStream sync_interval: 'always' or a duration such as '2m'. */
  syncInterval?: 'always' | string;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Cluster name (for multi-node setups). */
  clusterName?: string;
  /** Route URLs, e.g. nats-route://127.0.0.1:6223. */
  routes?: string[];
  /** Cluster (route) port; 0 = pick a free one. */
  clusterPort?: number;
  /** HTTP monitoring port (for `/healthz`); 0 = pick a free one; undefined = none. */
  monitorPort?: number;
  /** server_name; default `mesos-nats-<port>`. Must be unique within a cluster. */
  serverName?: string;
  /** Write the server log to this file instead of stderr. */
  logFile?: string;
  /** Binary to run; default findNatsServer(). */
  bin?: string;
  /** Readiness timeout in ms; default 10000. */
  readyTimeoutMs?: number;
  /**
   * What "ready" means: 'jetstream' = JetStream answers getAccountInfo();
   * 'client' = a client can connect. Default 'jetstream', except for a
   * cluster member (routes or clusterName given), which cannot answer
   * JetStream requests before a quorum of its peers is up: 'client'.
   */
  ready?: 'jetstream' | 'client';
  /** TLS for clients (PEM files): plain connections are then refused. The readiness probe verifies with `ca`. */
  tls?: { cert: string; key: string; ca: string };
}

/** The server config's `tls` block (security/tls makes the files for `mesos dev --tls`). */
const tlsConfig = (t: NonNullable<NatsServerOptions['tls']>): string =>
  `tls {\n  cert_file: ${q(t.cert)}\n  key_file: ${q(t.key)}\n  ca_file: ${q(t.ca)}\n  timeout: 2\n}\n`;

export interface RunningNatsServer {
  url: string;
  port: number;
  storeDir: string;
  pid: number;
  /** Path of the generated config file. */
  configFile: string;
  /** SIGTERM, wait up to 5 s, then SIGKILL; removes the temp dirs we created. Idempotent. */
  stop(): Promise<void>;
  /** Send a signal (default SIGKILL) without cleaning up; for failure tests. */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** The last ~50 lines the server wrote to stdout/stderr. */
  logTail(): string;
  /** The HTTP monitoring base URL, when `monitorPort` was given. */
  monitorUrl?: string;
}

/**
 * nats-server's own health check (`/healthz` on the monitoring port): `ok` once it serves clients
 * and, in a cluster, is current with the JetStream meta leader and with every stream and consumer
 * it holds a replica of; otherwise the server's reason.
 */
export async function natsHealth(s: Pick<RunningNatsServer, 'monitorUrl'>, timeoutMs = 2000): Promise<{ ok: boolean; error?: string }> {
  if (s.monitorUrl === undefined) return { ok: false, error: 'no monitoring port' };
  try {
    const res = await fetch(`${s.monitorUrl}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status === 200) return { ok: true };
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    return { ok: false, error: body.error ?? `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

const RING_LINES = 50;

class LineRing {
  private lines: string[] = [];
  private partial = '';
  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > RING_LINES) this.lines.shift();
    }
  }
  text(): string {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.slice(-RING_LINES).join('\n');
  }
}

/** A TCP port that was free a moment ago on `host`. */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close((err) => (err ? reject(err) : resolvePort(port)));
    });
  });
}

// Children that must not outlive this process.
const liveChildren = new Set<ChildProcess>();
const cleanupOnExit = new Set<string>();
let exitHooksInstalled = false;

/** Synchronously SIGKILLs every server started here and removes their temp dirs. */
function killAllNow(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of cleanupOnExit) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // best effort
    }
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllNow);
  // A signal with no other handler would end the process without 'exit'
  // running: kill the servers, then let the signal do what it would have done.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      if (process.listenerCount(sig) > 1) return; // someone else handles shutdown
      killAllNow();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

function q(s: string): string {
  return JSON.stringify(s);
}

function renderConfig(o: {
  serverName: string;
  host: string;
  port: number;
  storeDir: string;
  syncInterval?: string;
  logFile?: string;
  clusterName?: string;
  clusterPort?: number;
  routes?: string[];
  monitorPort?: number;
}): string {
  const lines: string[] = [
    '# generated by cli/nats-server.ts',
    `server_name: ${q(o.serverName)}`,
    `host: ${q(o.host)}`,
    `port: ${o.port}`,
    'jetstream {',
    `  store_dir: ${q(o.storeDir)}`,
  ];
  if (o.syncInterval !== undefined) {
    lines.push(`  sync_interval: ${o.syncInterval === 'always' ? 'always' : q(o.syncInterval)}`);
  }
  lines.push('}');
  if (o.logFile !== undefined) lines.push(`log_file: ${q(o.logFile)}`);
  if (o.monitorPort !== undefined) lines.push(`http: ${q(`${o.host}:${o.monitorPort}`)}`);
  if (o.clusterName !== undefined || o.clusterPort !== undefined || (o.routes && o.routes.length > 0)) {
    lines.push('cluster {');
    if (o.clusterName !== undefined) lines.push(`  name: ${q(o.clusterName)}`);
    lines.push(`  host: ${q(o.host)}`);
    if (o.clusterPort !== undefined) lines.push(`  port: ${o.clusterPort}`);
    if (o.routes && o.routes.length > 0) lines.push(`  routes: [${o.routes.map(q).join(', ')}]`);
    lines.push('}');
  }
  return lines.join('\n') + '\n';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function probe(url: string, ready: 'jetstream' | 'client', tls?: NatsServerOptions['tls']): Promise<void> {
  const nc = await connect({ servers: url, reconnect: false, timeout: 1000, name: 'mesos-nats-probe', ...(tls !== undefined ? { tls: { ca: readFileSync(tls.ca, 'utf8') } } : {}) });
  try {
    if (ready === 'jetstream') {
      const jsm = await jetstreamManager(nc, { timeout: 1000 });
      await jsm.getAccountInfo();
    } else {
      await nc.flush();
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}

function isBindFailure(log: string): boolean {
  return /address already in use|bind: /i.test(log);
}

/** Starts a nats-server with JetStream and waits until JetStream answers. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<RunningNatsServer> {
  const bin = opts.bin ?? findNatsServer();
  const host = opts.host ?? '127.0.0.1';
  const autoPort = !opts.port;
  const autoClusterPort = opts.clusterPort === 0;
  const attempts = autoPort || autoClusterPort || opts.monitorPort === 0 ? 5 : 1;

  const baseDir = await mkdtemp(join(tmpdir(), 'mesos-nats-'));
  const storeDir = opts.storeDir !== undefined ? resolve(opts.storeDir) : join(baseDir, 'store');
  await mkdir(storeDir, { recursive: true });
  cleanupOnExit.add(baseDir);

  let lastError: unknown;
  try {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const port = autoPort ? await getFreePort(host) : (opts.port as number);
      const clusterPort = autoClusterPort ? await getFreePort(host) : opts.clusterPort;
      const monitorPort = opts.monitorPort === 0 ? await getFreePort(host) : opts.monitorPort;
      try {
        return await launch({ bin, host, port, clusterPort, monitorPort, storeDir, baseDir, opts });
      } catch (err) {
        lastError = err;
        const retriable = err instanceof LaunchError && err.bindFailure;
        if (!retriable || attempt === attempts) break;
      }
    }
  } catch (err) {
    lastError = err;
  }
  cleanupOnExit.delete(baseDir);
  await rm(baseDir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  if (lastError instanceof NatsServerError) throw lastError;
  throw new NatsServerError('NATS_SERVER_START_FAILED', `nats-server failed to start: ${String(lastError)}`, {
    cause: lastError,
  });
}

class LaunchError extends NatsServerError {
  readonly bindFailure: boolean;
  constructor(message: string, bindFailure: boolean) {
    super('NATS_SERVER_START_FAILED', message);
    this.bindFailure = bindFailure;
  }
}

async function launch(a: {
  bin: string;
  host: string;
  port: number;
  clusterPort: number | undefined;
  monitorPort: number | undefined;
  storeDir: string;
  baseDir: string;
  opts: NatsServerOptions;
}): Promise<RunningNatsServer> {
  const { bin, host, port, storeDir, baseDir, opts } = a;
  const configFile = join(baseDir, 'nats-server.conf');
  const renderOpts: Parameters<typeof renderConfig>[0] = {
    serverName: opts.serverName ?? `mesos-nats-${port}`,
    host,
    port,
    storeDir,
  };
  if (opts.syncInterval !== undefined) renderOpts.syncInterval = opts.syncInterval;
  if (opts.logFile !== undefined) renderOpts.logFile = resolve(opts.logFile);
  if (opts.clusterName !== undefined) renderOpts.clusterName = opts.clusterName;
  if (a.clusterPort !== undefined) renderOpts.clusterPort = a.clusterPort;
  if (a.monitorPort !== undefined) renderOpts.monitorPort = a.monitorPort;
  if (opts.routes !== undefined) renderOpts.routes = opts.routes;
  await writeFile(configFile, renderConfig(renderOpts) + (opts.tls !== undefined ? tlsConfig(opts.tls) : ''));

  installExitHooks();
  const ring = new LineRing();
  const child = spawn(bin, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  child.stdout?.setEncoding('utf8').on('data', (d: string) => ring.push(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => ring.push(d));

  let hasExited = false;
  const exited = new Promise<number | null>((resolveExit) => {
    let done = false;
    const finish = (code: number | null): void => {
      if (done) return;
      done = true;
      hasExited = true;
      liveChildren.delete(child);
      resolveExit(code);
    };
    child.once('exit', (code) => finish(code));
    child.once('error', (err) => {
      ring.push(`spawn error: ${err.message}\n`);
      finish(null);
    });
  });

  const url = `nats://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const clustered = opts.clusterName !== undefined || (opts.routes !== undefined && opts.routes.length > 0);
  const readyMode = opts.ready ?? (clustered ? 'client' : 'jetstream');
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 10_000);
  let lastProbeError: unknown;
  for (;;) {
    if (hasExited) {
      await sleep(20); // let the last output arrive
      const log = ring.text();
      throw new LaunchError(
        `nats-server (${bin}) exited during startup on ${url}. Last output:\n${log}`,
        isBindFailure(log),
      );
    }
    try {
      await probe(url, readyMode, opts.tls);
      break;
    } catch (err) {
      lastProbeError = err;
    }
    if (Date.now() >= deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new LaunchError(
        `nats-server (${bin}) did not become ready on ${url} within ${opts.readyTimeoutMs ?? 10_000} ms ` +
          `(last error: ${String(lastProbeError)}). Last output:\n${ring.text()}`,
        isBindFailure(ring.text()),
      );
    }
    await sleep(50);
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!hasExited) {
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          exited.then(() => false),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(true), 5000);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut && !hasExited) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      // remove the temp dir with the config (and the store, when it is ours)
      cleanupOnExit.delete(baseDir);
      await rm(baseDir, { recursive: true, force: true, maxRetries: 3 });
    })();
    return stopping;
  };

  return {
    url,
    port,
    storeDir,
    pid: child.pid ?? -1,
    configFile,
    stop,
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (!hasExited) child.kill(signal);
    },
    exited,
    logTail: () => ring.text(),
    ...(a.monitorPort !== undefined ? { monitorUrl: `http://${host.includes(':') ? `[${host}]` : host}:${a.monitorPort}` } : {}),
  };
}

// ---------------------------------------------------------------------------
// A JetStream cluster on one machine

export interface NatsClusterOptions {
  /** Number of servers (3 for a cluster that survives the loss of one). */
  size: number;
  /** Store dirs: `<storeRoot>/n1`, `<storeRoot>/n2`, …; undefined = fresh temp dirs, removed at stop(). */
  storeRoot?: string;
  /** Client port of the first server (the others follow: port+1, …); 0/undefined = free ports. */
  firstPort?: number;
  /** Cluster name; default `mesos`. */
  clusterName?: string;
  /** JetStream sync_interval of every server: 'always' or a duration such as '2m'. */
  syncInterval?: 'always' | string;
  /** Write server i's log to `<logDir>/nats-n<i>.log`. */
  logDir?: string;
  host?: string;
  bin?: string;
  /** Per server, for the JetStream meta leader election, and for every member to be healthy; default 10000. */
  readyTimeoutMs?: number;
}

export interface RunningNatsCluster {
  /** Servers n1, n2, … (an entry is replaced by restart()). */
  readonly servers: RunningNatsServer[];
  /** Client URLs of all servers. */
  readonly urls: string[];
  /** Route (cluster) URLs of all servers (none for a single server). */
  readonly routes: string[];
  /** The server names: n1, n2, … */
  readonly names: string[];
  /** Start server i (0-based) again with the same ports, store dir and configuration (after a kill). */
  restart(i: number): Promise<RunningNatsServer>;
  /**
   * Waits until these members (default: all) are healthy (`natsHealth`: current with the meta
   * leader and with every stream replica they hold). Resolves with those that are not by then.
   */
  waitHealthy(indices?: readonly number[], timeoutMs?: number): Promise<Array<{ index: number; name: string; error: string }>>;
  /** Stop every server (the store dirs stay when storeRoot was given). */
  stop(): Promise<void>;
}

/**
 * Waits until JetStream answers on a cluster: the meta group has elected a leader (account info
 * is answered by the meta leader only). Throws after `timeoutMs`.
 */
export async function waitForJetStream(urls: readonly string[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  const nc = await connect({ servers: [...urls], name: 'mesos-nats-probe', timeout: 1000, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 1000, checkAPI: false });
    for (;;) {
      try {
        await jsm.getAccountInfo();
        return;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() >= deadline) {
        throw new NatsServerError(
          'NATS_SERVER_START_FAILED',
          `JetStream did not become available on ${urls.join(',')} within ${timeoutMs} ms (no meta leader elected?); last error: ${String(lastError)}`,
        );
      }
      await sleep(100);
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/** A member's view of the JetStream meta group (`/jsz`): its leader, and (on the leader) the current peers. */
async function metaView(s: Pick<RunningNatsServer, 'monitorUrl'>, self: string): Promise<{ self: string; leader: string; current: Set<string> } | null> {
  if (s.monitorUrl === undefined) return null;
  try {
    const res = await fetch(`${s.monitorUrl}/jsz`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { meta_cluster?: { leader?: string; replicas?: Array<{ name: string; current: boolean }> } };
    const m = body.meta_cluster;
    return {
      self,
      leader: m?.leader ?? '',
      current: new Set((m?.replicas ?? []).filter((r) => r.current).map((r) => r.name)),
    };
  } catch {
    return null;
  }
}

/**
 * Waits until the cluster can place a stream with `replicas` replicas: it creates a small probe
 * stream (and deletes it) until that works. Every member healthy is not yet enough: for a moment
 * after forming, the meta leader still answers "no suitable peers for placement" (10005).
 */
export async function waitForPlacement(urls: readonly string[], replicas: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  const nc = await connect({ servers: [...urls], name: 'mesos-nats-probe', timeout: 1000, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2000, checkAPI: false });
    const name = `MESOS_PLACEMENT_PROBE_${process.pid}_${Date.now()}`;
    for (;;) {
      try {
        await jsm.streams.add({ name, subjects: [`mesos.placement-probe.${process.pid}.${Date.now()}`], num_replicas: replicas });
        await jsm.streams.delete(name).catch(() => undefined);
        return;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() >= deadline) {
        throw new NatsServerError('NATS_SERVER_START_FAILED', `the NATS cluster at ${urls.join(',')} cannot place a ${replicas}-replica stream after ${timeoutMs} ms; last error: ${String(lastError)}`);
      }
      await sleep(200);
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/**
 * Starts `size` nats-servers on `host` with routes to each other (a full mesh), distinct client,
 * cluster and monitoring ports and one store dir each (`<storeRoot>/n1`, …), then waits until
 * JetStream answers and every member is healthy (`/healthz`). A size of 1 is a plain server (no
 * cluster block) with the same layout.
 */
export async function startNatsCluster(o: NatsClusterOptions): Promise<RunningNatsCluster> {
  if (!Number.isInteger(o.size) || o.size < 1) throw new Error(`a NATS cluster needs 1 or more servers (got ${o.size})`);
  const host = o.host ?? '127.0.0.1';
  const bin = o.bin ?? findNatsServer();
  const clientPorts: number[] = [];
  const clusterPorts: number[] = [];
  const monitorPorts: number[] = [];
  for (let i = 0; i < o.size; i++) {
    clientPorts.push(o.firstPort ? o.firstPort + i : await getFreePort(host));
    clusterPorts.push(await getFreePort(host));
    monitorPorts.push(await getFreePort(host));
  }
  const fmtHost = host.includes(':') ? `[${host}]` : host;
  const routes = clusterPorts.map((p) => `nats-route://${fmtHost}:${p}`);
  const names = clientPorts.map((_, i) => `n${i + 1}`);
  if (o.logDir !== undefined) await mkdir(o.logDir, { recursive: true });
  let tempRoot: string | undefined;
  let storeRoot = o.storeRoot;
  if (storeRoot === undefined) {
    tempRoot = await mkdtemp(join(tmpdir(), 'mesos-nats-cluster-'));
    cleanupOnExit.add(tempRoot);
    storeRoot = tempRoot;
  }
  // One server is not a cluster (a lone server with a cluster block never elects a meta leader).
  const clustered = o.size > 1;
  const optionsOf = (i: number): NatsServerOptions => ({
    bin,
    host,
    port: clientPorts[i]!,
    ...(clustered ? { clusterPort: clusterPorts[i]!, clusterName: o.clusterName ?? 'mesos', routes } : {}),
    serverName: names[i]!,
    storeDir: join(storeRoot, names[i]!),
    monitorPort: monitorPorts[i]!,
    ready: 'client',
    ...(o.syncInterval !== undefined ? { syncInterval: o.syncInterval } : {}),
    ...(o.logDir !== undefined ? { logFile: join(o.logDir, `nats-${names[i]}.log`) } : {}),
    ...(o.readyTimeoutMs !== undefined ? { readyTimeoutMs: o.readyTimeoutMs } : {}),
  });
  const servers: RunningNatsServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
    if (tempRoot !== undefined) {
      cleanupOnExit.delete(tempRoot);
      await rm(tempRoot, { recursive: true, force: true, maxRetries: 3 });
    }
  };
  const restart = async (i: number): Promise<RunningNatsServer> => {
    const old = servers[i];
    if (old === undefined) throw new Error(`no server ${i} in this cluster`);
    await old.stop(); // waits for it to be gone (after a kill, only cleans up)
    const s = await startNatsServer(optionsOf(i));
    servers[i] = s;
    return s;
  };
  const waitHealthy = async (indices: readonly number[] = servers.map((_, i) => i), timeoutMs = o.readyTimeoutMs ?? 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const health = await Promise.all(indices.map(async (i) => ({ index: i, name: names[i]!, ...(await natsHealth(servers[i]!)) })));
      // /healthz can say ok for a member that has never reached the meta leader (it is still
      // "bootstrapping"): in a cluster, a member must also see a meta leader, and that leader must
      // count it a current peer.
      if (clustered) {
        const views = await Promise.all(servers.map((srv, i) => metaView(srv, names[i]!)));
        const leaderName = views.find((v) => v !== null && v.leader !== '' && v.self === v.leader)?.leader;
        const leaderView = views.find((v) => v?.self === leaderName) ?? null;
        for (const h of health) {
          if (!h.ok) continue;
          const v = views[h.index];
          if (v === null || v === undefined || v.leader === '') Object.assign(h, { ok: false, error: 'has no JetStream meta leader' });
          else if (leaderView !== null && v.self !== leaderView.self && !leaderView.current.has(h.name)) {
            Object.assign(h, { ok: false, error: `is not a current peer of the meta leader ${leaderView.self}` });
          }
        }
      }
      const sick = health.filter((h) => !h.ok).map((h) => ({ index: h.index, name: h.name, error: h.error ?? 'unhealthy' }));
      if (sick.length === 0 || Date.now() >= deadline) return sick;
      await sleep(200);
    }
  };
  const readyMs = o.readyTimeoutMs ?? 10_000;
  try {
    // In parallel: a member is "ready" once it takes clients; JetStream needs a quorum of them.
    const started = await Promise.allSettled(clientPorts.map((_, i) => startNatsServer(optionsOf(i))));
    for (const r of started) if (r.status === 'fulfilled') servers.push(r.value);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await waitForJetStream(
      servers.map((s) => s.url),
      readyMs,
    );
    // A meta leader is not enough: until every member has joined it, an R3 stream cannot be placed
    // ("no suitable peers"). Now and then (nats-server 2.10) a member never gets in contact with the
    // meta leader; restarting it once brings it in.
    let sick = await waitHealthy(undefined, readyMs);
    if (sick.length > 0) {
      for (const m of sick) await restart(m.index);
      sick = await waitHealthy(
        sick.map((m) => m.index),
        readyMs,
      );
    }
    if (sick.length > 0) {
      throw new NatsServerError('NATS_SERVER_START_FAILED', `NATS cluster members not healthy: ${sick.map((m) => `${m.name}: ${m.error}`).join('; ')}`);
    }
    if (clustered) await waitForPlacement(servers.map((s) => s.url), o.size, readyMs);
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return {
    servers,
    urls: servers.map((s) => s.url),
    routes: clustered ? routes : [],
    names,
    restart,
    waitHealthy,
    stop,
  };
}
