// Running one nats-server as a child process: write its config, spawn it, wait until it is
// ready, and hand back a handle that stops or kills it.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findNatsServer } from './binary.js';
import { type ServerConfig, renderConfig } from './config.js';
import { LaunchError, NatsServerError, isBindFailure } from './errors.js';
import { getFreePort } from './ports.js';
import { probe, sleep } from './probes.js';
import { cleanupOnExit, installExitHooks, liveChildren } from './reaper.js';
import type { NatsServerOptions, RunningNatsServer } from './types.js';

/** The server config's `tls` block (security/tls makes the files for `mesos dev --tls`). */
const tlsConfig = (t: NonNullable<NatsServerOptions['tls']>): string =>
  `tls {\n  cert_file: ${JSON.stringify(t.cert)}\n  key_file: ${JSON.stringify(t.key)}\n  ca_file: ${JSON.stringify(t.ca)}\n  timeout: 2\n}\n`;

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
  const renderOpts: ServerConfig = {
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
  if (opts.auth !== undefined) renderOpts.auth = opts.auth;
  await writeFile(configFile, renderConfig(renderOpts) + (opts.tls !== undefined ? tlsConfig(opts.tls) : ''));

  installExitHooks();
  const ring = new LineRing();
  const wrap = opts.wrap ?? [];
  const child = spawn(wrap[0] ?? bin, [...wrap.slice(1), ...(wrap.length > 0 ? [bin] : []), '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached === true });
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
      await probe(url, readyMode, opts.tls, opts.auth?.probeCreds);
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
