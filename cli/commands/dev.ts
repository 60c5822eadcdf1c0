/**
 * `mesos dev`: a whole local cluster in one command: a nats-server with JetStream (or, with
 * `--nats-cluster 3`, a three-node JetStream cluster on loopback with the log, the leader lease
 * and the snapshots replicated three times), a master and N agents (as child processes, logs in
 * the data dir). Ctrl-C or SIGTERM stops everything it started; the children also stop by
 * themselves if this process dies (IPC channel).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDemo } from '../../frameworks/demo.js';
import { FlagError, type FlagSpec, bool, num, str } from '../flags.js';
import { LOG_LEVELS, createLogger } from '../log.js';
import { startNatsCluster, startNatsServer } from '../nats-server.js';
import { type LocalCa, httpGet, makeLocalCa } from '../../security/tls/index.js';

export const devFlags: readonly FlagSpec[] = [
  { name: 'agents', type: 'int', default: 2, help: 'Number of agents (0 allowed)' },
  { name: 'masters', type: 'int', default: 1, help: 'Number of masters: one leads, the others stand by (HTTP on port, port+1, …)' },
  { name: 'port', type: 'int', default: 5050, help: 'HTTP port of the first master (0: any free port for each)' },
  { name: 'nats-port', type: 'int', default: 4222, help: 'Client port of nats-server; with --nats-cluster 3 the servers take this port and the next two (0: any free ports)' },
  {
    name: 'nats-cluster',
    type: 'int',
    default: 1,
    placeholder: '1|3',
    help: 'NATS servers: 1, or 3 for a JetStream cluster on loopback (stream, lease and snapshots R3; survives the loss of any one server)',
  },
  { name: 'data', type: 'string', placeholder: 'dir', help: 'Directory for the log, agent work dirs and logs (default: a temporary one, removed at exit)' },
  { name: 'agent-resources', type: 'string', default: 'cpus:2;mem:2048;disk:8192', placeholder: 'text', help: 'Resources of each agent (each gets its own ports range)' },
  { name: 'isolation', type: 'string', default: 'auto', help: 'Isolation of the agents (see `mesos agent --help`), e.g. auto,namespaces/pid,disk/du' },
  {
    name: 'sync-interval',
    type: 'string',
    default: 'default',
    placeholder: 'always|default|2m',
    help: "JetStream fsync of every server: 'always' (each write before its ack), a duration (e.g. 30s, 1m), or 'default' (the server's: every 2 min)",
  },
  { name: 'tls', type: 'bool', default: false, help: 'Everything over TLS: a local CA (openssl) in <data>/tls signs a certificate for NATS, the masters and the agents; plain connections are refused' },
  { name: 'demo', type: 'bool', default: false, help: 'Run a small demo workload once the cluster is up' },
  { name: 'demo-tasks', type: 'int', default: 6, help: 'Tasks the demo launches' },
  { name: 'exit-after-demo', type: 'bool', default: false, help: 'Stop the cluster when the demo is done' },
  { name: 'log-level', type: 'string', default: 'info', choices: LOG_LEVELS, help: 'Log level of the master and agents (their logs go to <data>/logs)' },
];

const MESOS_JS = fileURLToPath(new URL('../mesos.js', import.meta.url));

/** The CA of `--tls` (set once at start): the masters' HTTPS is verified against it. */
let caPem: Buffer | undefined;
const get = (url: string): ReturnType<typeof httpGet> => httpGet(url, caPem !== undefined ? { ca: caPem } : {});

interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly logFile: string;
  /** Size of the log file when this child started (logs are appended across runs). */
  readonly logStart: number;
  exited: boolean;
}

/** `--nats-cluster`: 1 or 3. Throws with the reason otherwise. */
export function checkNatsCluster(n: number): 1 | 3 {
  if (n === 1 || n === 3) return n;
  if (n === 2) {
    throw new FlagError(
      '--nats-cluster must be 1 or 3, not 2: JetStream needs a majority (a quorum) of the servers up to write, ' +
        'and the majority of 2 is 2, so two servers stop writing when either one is lost; they survive less than one server does',
    );
  }
  throw new FlagError(`--nats-cluster must be 1 or 3 (got ${n})`);
}

/** `--sync-interval`: 'default' (undefined: the server's own), 'always', or a Go duration for nats-server. */
export function checkSyncInterval(s: string): string | undefined {
  if (s === 'default') return undefined;
  if (s === 'always' || /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) return s;
  throw new FlagError(`--sync-interval must be always, default or a duration such as 30s, 2m, 1m30s (got "${s}")`);
}

export async function runDev(v: Readonly<Record<string, unknown>>): Promise<number> {
  const out = (l: string): void => void process.stdout.write(`${l}\n`);
  const log = createLogger('warn', 'mesos-dev');
  const agents = num(v.agents as number) ?? 2;
  if (agents < 0) throw new Error('--agents must be 0 or more');
  const natsServers = checkNatsCluster(num(v['nats-cluster'] as number) ?? 1);
  const sync = checkSyncInterval(str(v['sync-interval'] as string) ?? 'default');
  const givenData = str(v.data as string);
  const data = givenData !== undefined ? resolve(givenData) : mkdtempSync(join(tmpdir(), 'mesos-dev-'));
  const logs = join(data, 'logs');
  mkdirSync(logs, { recursive: true });
  const children: Child[] = [];
  let nats: { urls: string[]; stop(): Promise<void> } | undefined;
  let stopping = false;

  const stopAll = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // Agents first (they kill their tasks and report), then the master, then NATS.
    const isMaster = (c: Child): boolean => c.name.startsWith('master');
    for (const group of [children.filter((c) => !isMaster(c)), children.filter(isMaster)]) {
      await Promise.all(group.map((c) => stopChild(c, 15_000)));
    }
    await nats?.stop(); // every server of the cluster
    if (givenData === undefined) rmSync(data, { recursive: true, force: true });
  };

  // Persistent handlers: a second Ctrl-C while stopping forces the exit.
  let signals = 0;
  const signalled = new Promise<string>((res) => {
    const on = (sig: string): void => {
      if (++signals > 1) {
        process.stderr.write('second signal: exiting now\n');
        process.exit(130);
      }
      res(sig);
    };
    process.on('SIGINT', () => on('SIGINT'));
    process.on('SIGTERM', () => on('SIGTERM'));
  });

  try {
    // --tls: one local CA and one certificate for this machine, for every server; clients verify with the CA.
    let tls: LocalCa | undefined;
    if (bool(v.tls as boolean)) {
      if (natsServers !== 1) throw new FlagError('--tls runs one nats-server for now: leave out --nats-cluster 3');
      tls = await makeLocalCa(join(data, 'tls'));
      caPem = readFileSync(tls.ca);
      out(`tls:    everything over TLS; CA ${tls.ca} (clients: --tls-ca ${tls.ca}; curl --cacert ${tls.ca})`);
    }
    const tlsArgs = tls === undefined ? [] : ['--tls-cert', tls.cert, '--tls-key', tls.key, '--tls-ca', tls.ca];
    const natsPort = num(v['nats-port'] as number) ?? 4222;
    const store = join(data, 'nats');
    const fsync = `sync_interval ${sync ?? 'default (2m)'}`;
    if (natsServers === 1) {
      if (existsSync(join(store, 'n1'))) out(`note:   ${store}/n1..n3 hold the log of a 3-node cluster (--nats-cluster 3); this single server does not see it`);
      const server = await startNatsServer({ port: natsPort, storeDir: store, ...(sync !== undefined ? { syncInterval: sync } : {}), ...(tls !== undefined ? { tls } : {}) });
      nats = { urls: [server.url], stop: () => server.stop() };
      out(`nats:   ${server.url}  (JetStream store ${store}, ${fsync})`);
    } else {
      if (existsSync(join(store, 'jetstream'))) out(`note:   ${store}/jetstream holds the log of a single server (--nats-cluster 1); this cluster does not see it`);
      const cluster = await startNatsCluster({
        size: 3,
        storeRoot: store,
        firstPort: natsPort,
        clusterName: 'mesos-dev',
        logDir: logs,
        ...(sync !== undefined ? { syncInterval: sync } : {}),
      }).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\n(nats-server logs: ${join(logs, 'nats-n*.log')})`, { cause: err });
      });
      nats = cluster;
      out(`nats:   ${cluster.urls.join(',')}`);
      out(`        3-node JetStream cluster "mesos-dev" (servers ${cluster.names.join(', ')}; stores ${store}/n1..n3; logs ${join(logs, 'nats-n*.log')}; ${fsync}); stream, lease and snapshots R3`);
      out(`        monitoring (/healthz, /jsz): ${cluster.servers.map((s) => s.monitorUrl ?? '-').join(' ')}`);
    }
    const natsUrl = nats.urls.join(',');
    const replicas = natsServers === 3 ? ['--stream-replicas', '3'] : [];
    const level = str(v['log-level'] as string) ?? 'info';
    const masterCount = num(v.masters as number) ?? 1;
    if (masterCount < 1) throw new Error('--masters must be 1 or more');
    const firstPort = num(v.port as number) ?? 5050;
    const urls: string[] = [];
    for (let i = 0; i < masterCount; i++) {
      const name = masterCount === 1 ? 'master' : `master-${i + 1}`;
      const port = firstPort === 0 ? 0 : firstPort + i;
      const m = spawnChild(name, ['master', '--nats', natsUrl, '--port', String(port), ...replicas, ...tlsArgs, '--log-level', level], logs, children);
      const url = await waitForMasterUrl(m);
      await waitFor(async () => (await get(`${url}/health`)).status === 200, 20_000, `${name} to catch up`, m);
      urls.push(url);
    }
    const masterUrl = await waitForLeader(urls);
    for (const url of urls) out(`master: ${url}${url === masterUrl ? '  (leading; try ' + url + '/master/state)' : '  (standing by)'}`);
    const base = str(v['agent-resources'] as string) ?? 'cpus:2;mem:2048;disk:8192';
    for (let i = 0; i < agents; i++) {
      const ports = base.includes('ports') ? '' : `;ports:[${31000 + i * 1000}-${31999 + i * 1000}]`;
      spawnChild(
        `agent-${i + 1}`,
        // Each agent's HTTP endpoint takes a free port (the masters may hold 5050, 5051, …); they are printed below.
        ['agent', '--nats', natsUrl, '--work-dir', join(data, 'agents', String(i + 1)), '--resources', `${base}${ports}`, '--isolation', v.isolation as string, '--port', '0', ...tlsArgs, '--log-level', level],
        logs,
        children,
      );
    }
    if (agents > 0) {
      let endpoints: string[] = [];
      await waitFor(
        async () => {
          const s = JSON.parse((await get(`${masterUrl}/master/state`)).text) as { activated_slaves?: number; slaves?: { pid?: string }[] };
          endpoints = (s.slaves ?? []).flatMap((a) => (a.pid?.startsWith('slave(1)@') ? [`${tls !== undefined ? 'https' : 'http'}://${a.pid.slice('slave(1)@'.length)}/state`] : []));
          return (s.activated_slaves ?? 0) >= agents;
        },
        30_000,
        `${agents} agents to register`,
        children.find((c) => c.name.startsWith('agent')),
      );
      out(`agents: ${agents} registered (${endpoints.sort().join(', ')})`);
    }
    out(`logs:   ${logs}`);
    out(`run a task:  npx mesos execute --nats ${natsUrl}${tls !== undefined ? ` --tls-ca ${tls.ca}` : ''} --name hello --command 'echo hello'`);
    if (bool(v.demo as boolean)) {
      // As root, the demo's tasks run as nobody: the agents refuse root tasks (no --allow-root-tasks).
      if (process.getuid?.() === 0) out('demo:   its tasks run as nobody (the agents do not run root tasks)');
      await runDemo({ nats: natsUrl, ...(tls !== undefined ? { tlsCa: tls.ca } : {}), ...(process.getuid?.() === 0 ? { user: 'nobody' } : {}), tasks: num(v['demo-tasks'] as number) ?? 6, log, out });
      if (bool(v['exit-after-demo'] as boolean)) {
        await stopAll();
        return 0;
      }
    }
    out('cluster is up; Ctrl-C stops it');
    const why = await Promise.race([signalled, firstUnexpectedExit(children)]);
    out(`stopping (${why})`);
    await stopAll();
    return why.startsWith('SIG') ? 0 : 1;
  } catch (err) {
    process.stderr.write(`mesos dev: ${(err as Error).message}\n`);
    await stopAll();
    return 1;
  }
}

function spawnChild(name: string, args: string[], logs: string, children: Child[]): Child {
  const logFile = join(logs, `${name}.log`);
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const fd = openSync(logFile, 'a');
  const proc = spawn(process.execPath, [MESOS_JS, ...args], { stdio: ['ignore', fd, fd, 'ipc'] });
  const c: Child = { name, proc, logFile, logStart, exited: false };
  proc.once('exit', () => (c.exited = true));
  children.push(c);
  return c;
}

async function stopChild(c: Child, graceMs: number): Promise<void> {
  if (c.exited) return;
  const gone = new Promise<void>((r) => c.proc.once('exit', () => r()));
  c.proc.kill('SIGTERM');
  const t = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(t);
}

function firstUnexpectedExit(children: readonly Child[]): Promise<string> {
  return new Promise((res) => {
    for (const c of children) {
      c.proc.once('exit', (code, signal) => res(`${c.name} exited (${signal ?? code}); see ${c.logFile}`));
    }
  });
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** The URL of the master whose metrics say it is elected. */
async function waitForLeader(urls: readonly string[]): Promise<string> {
  let leader: string | undefined;
  await waitFor(
    async () => {
      for (const url of urls) {
        const m = JSON.parse((await get(`${url}/metrics/snapshot`)).text) as Record<string, number>;
        if (m['master/elected'] === 1) leader = url;
      }
      return leader !== undefined;
    },
    20_000,
    'a master to be elected',
  );
  return leader!;
}

async function waitForMasterUrl(c: Child): Promise<string> {
  let url: string | undefined;
  await waitFor(
    async () => {
      const m = /master listening on (https?:\/\/\S+)/.exec(existsSync(c.logFile) ? readFileSync(c.logFile).subarray(c.logStart).toString('utf8') : '');
      url = m?.[1];
      return url !== undefined;
    },
    20_000,
    'the master to listen',
    c,
  );
  return url!;
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string, watch?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (watch?.exited) throw new Error(`${watch.name} exited while waiting for ${what}:\n${tail(watch.logFile)}`);
    try {
      if (await cond()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${watch ? `; last lines of ${watch.logFile}:\n${tail(watch.logFile)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
