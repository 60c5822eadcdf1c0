/**
 * `mesos dev`: a whole local cluster in one command: NATS (one nats-server with JetStream, or with
 * `--nats-nodes 3` a three-node JetStream cluster on loopback with the log, the leader lease and
 * the snapshots replicated three times), M masters and N agents, as child processes (logs in the
 * data dir). A child that dies (a chaos test's SIGKILL) is reported and left dead while the rest
 * keep running, or restarted after `--restart-killed`. Ctrl-C, SIGTERM, SIGHUP (the terminal
 * closing) or the death of the parent (`npx`) stop every child and sweep what they left behind.
 * `<data>/dev-state.json` says who the children are (chaos/dev-state.ts), for `mesos chaos`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeHttpCredentials } from './dev-credentials.js';
import { basicHeader, loadClientCredential } from '../../security/http/index.js';
import { join, resolve } from 'node:path';
import { type DevState, devStatePath, writeDevState } from '../../chaos/dev-state.js';
import { runDemo } from '../../frameworks/demo.js';
import { agentPlan, type DevPlanContext, inNamespace, jobsPlan, masterPlan, servicesPlan } from '../dev/plans.js';
import { DevNetwork, NETNS_MODES, type NetnsMode, type NetSlot, netnsSupport, sweepNetworks } from '../dev/netns.js';
import { Supervisor, type UnitRun } from '../dev/supervisor.js';
import { sweep } from '../dev/sweep.js';
import { agentUnit, jobsUnit, masterUnit, natsUnit, servicesUnit, waitFor } from '../dev/units.js';
import { FlagError, type FlagSpec, bool, num, str } from '../flags.js';
import { LOG_LEVELS, createLogger } from '../log.js';
import { type RunningNatsServer, startNatsCluster, startNatsServer } from '../nats/index.js';
import { type LocalCa, httpGet, makeLocalCa } from '../../security/tls/index.js';
import { Keystore, type Party, type ServerAuth, serverAuth } from '../../security/nats/index.js';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { SERVICES_STREAM, servicesSubjects } from '../../frameworks/services/index.js';
import { JOBS_STREAM, jobsSubjects } from '../../frameworks/jobs/index.js';
import { type GoneRevoker, startGoneRevoker } from '../dev/revoker.js';

/** The CA of `--tls` (set once at start): the masters' HTTPS is verified against it. */
let caPem: Buffer | undefined;
const get = (url: string, headers: Readonly<Record<string, string>>): ReturnType<typeof httpGet> =>
  httpGet(url, { headers, ...(caPem !== undefined ? { ca: caPem } : {}) });

export const devFlags: readonly FlagSpec[] = [
  { name: 'agents', type: 'int', default: 2, help: 'Number of agents (0 allowed)' },
  { name: 'masters', type: 'int', default: 1, help: 'Number of masters: one leads, the others stand by (HTTP on port, port+1, …)' },
  { name: 'port', type: 'int', default: 5050, help: 'HTTP port of the first master (0: any free port for each)' },
  { name: 'agent-port', type: 'int', default: 5060, help: 'HTTP port of the first agent; the others take the next ones (0: any free port for each)' },
  { name: 'nats-port', type: 'int', default: 4222, help: 'Client port of nats-server; with --nats-nodes 3 the servers take this port and the next two (0: any free ports)' },
  {
    name: 'nats-nodes',
    type: 'int',
    default: 1,
    placeholder: '1|3',
    help: 'NATS servers: 1, or 3 for a JetStream cluster on loopback (stream, lease and snapshots R3; survives the loss of any one server)',
  },
  { name: 'nats-cluster', type: 'int', placeholder: '1|3', help: 'The old name of --nats-nodes' },
  {
    name: 'restart-killed',
    type: 'optional-duration',
    default: null,
    placeholder: 'delay',
    help: 'Restart a child that died (master, agent or NATS node) after this delay, e.g. 5s (default: leave it dead and report it)',
  },
  { name: 'data', type: 'string', placeholder: 'dir', help: 'Directory for the log, agent work dirs and logs (default: a temporary one, removed at exit)' },
  { name: 'agent-resources', type: 'string', default: 'cpus:2;mem:2048;disk:8192', placeholder: 'text', help: 'Resources of each agent (each gets its own ports range)' },
  { name: 'cgroups-root', type: 'string', placeholder: 'name', help: 'Cgroup the agents make task cgroups under (default: mesos-dev-<hash of the data dir>; removed at stop)' },
  { name: 'docker-registry', type: 'string', placeholder: 'dir|url', help: 'Image store (a directory) or registry (https://host:port) handed to every agent (mesos agent --docker-registry): tasks with container.mesos.image, `mesos execute --docker-image`' },
  { name: 'docker-registry-ca', type: 'string', placeholder: 'file', help: "Handed to every agent: the CA the registry's certificates are verified against" },
  { name: 'docker-config', type: 'string', placeholder: 'file', help: "Handed to every agent: registry credentials in Docker's config.json shape" },
  { name: 'isolation', type: 'string', default: 'auto', help: 'Isolation of the agents (see `mesos agent --help`), e.g. auto,namespaces/pid,disk/du' },
  {
    name: 'sync-interval',
    type: 'string',
    default: 'default',
    placeholder: 'always|default|2m',
    help: "JetStream fsync of every server: 'always' (each write before its ack), a duration (e.g. 30s, 1m), or 'default' (the server's: every 2 min)",
  },
  {
    name: 'netns',
    type: 'string',
    default: 'off',
    choices: NETNS_MODES,
    help: "Each master, agent and NATS node in a network namespace of its own, on a bridge (10.233.N.0/24), so that `mesos chaos` partitions by taking a child's link down: 'on' (fail where it cannot: needs root, ip and nsenter), 'auto' (where it can, else the host's network, said in a line), 'off'",
  },
  { name: 'tls', type: 'bool', default: false, help: 'Everything over TLS: a local CA (openssl) in <data>/tls signs a certificate for NATS, the masters and the agents; plain connections are refused' },
  { name: 'insecure', type: 'bool', default: false, help: 'An open bus: nats-server without authentication (anyone who reaches it can write and erase the log). Default: operator mode, every process its own credentials' },
  { name: 'frameworks', type: 'bool', default: true, help: 'Start the services framework (`mesos services`, Marathon-like) and the jobs framework (`mesos jobs`, Chronos-like); --no-frameworks leaves them out' },
  { name: 'services-port', type: 'int', default: 8080, help: "HTTP port of the services framework's REST API (Marathon's 8080; 0: any free port)" },
  { name: 'jobs-port', type: 'int', default: 4400, help: "HTTP port of the jobs framework's REST API (Chronos's 4400; 0: any free port)" },
  { name: 'demo', type: 'bool', default: false, help: 'Run a small demo workload once the cluster is up' },
  { name: 'demo-tasks', type: 'int', default: 6, help: 'Tasks the demo launches' },
  { name: 'exit-after-demo', type: 'bool', default: false, help: 'Stop the cluster when the demo is done' },
  { name: 'log-level', type: 'string', default: 'info', choices: LOG_LEVELS, help: 'Log level of the master and agents (their logs go to <data>/logs)' },
  {
    name: 'authenticate-http-readwrite',
    type: 'bool',
    default: true,
    help: 'The operator API and the other read-write endpoints need credentials (written to <data>/credentials/http.json)',
  },
  { name: 'authenticate-http-readonly', type: 'bool', default: false, help: 'The read-only endpoints (/master/state, …) need credentials too' },
  { name: 'authenticate-http-frameworks', type: 'bool', default: false, help: 'HTTP frameworks need credentials to subscribe (principal framework)' },
  { name: 'acls', type: 'string', placeholder: 'file', help: 'Mesos ACLs for the masters (see `mesos master --help`)' },
];

/** `--nats-nodes`: 1 or 3. Throws with the reason otherwise. */
export function checkNatsNodes(n: number): 1 | 3 {
  if (n === 1 || n === 3) return n;
  if (n === 2) {
    throw new FlagError(
      '--nats-nodes must be 1 or 3, not 2: JetStream needs a majority (a quorum) of the servers up to write, ' +
        'and the majority of 2 is 2, so two servers stop writing when either one is lost; they survive less than one server does',
    );
  }
  throw new FlagError(`--nats-nodes must be 1 or 3 (got ${n})`);
}

/** `--sync-interval`: 'default' (undefined: the server's own), 'always', or a Go duration for nats-server. */
export function checkSyncInterval(s: string): string | undefined {
  if (s === 'default') return undefined;
  if (s === 'always' || /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) return s;
  throw new FlagError(`--sync-interval must be always, default or a duration such as 30s, 2m, 1m30s (got "${s}")`);
}


/** The cgroup the agents of a dev cluster on `data` use: stable per data dir, so a restart finds its tasks. */
export function devCgroupsRoot(data: string): string {
  return `mesos-dev-${createHash('sha256').update(data).digest('hex').slice(0, 8)}`;
}

/** Port ranges [first, first + count) of masters and agents must not overlap (0: free ports). */
export function checkPortRanges(masterPort: number, masters: number, agentPort: number, agents: number): void {
  if (masterPort === 0 || agentPort === 0 || agents === 0) return;
  if (agentPort < masterPort + masters && masterPort < agentPort + agents) {
    throw new FlagError(
      `--agent-port ${agentPort} (agents on ${agentPort}..${agentPort + agents - 1}) overlaps the masters' ports ${masterPort}..${masterPort + masters - 1}; ` +
        `give --agent-port ${masterPort + masters} or more (or 0 for any free ports)`,
    );
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function runDev(v: Readonly<Record<string, unknown>>): Promise<number> {
  const out = (l: string): void => void process.stdout.write(`${l}\n`);
  const log = createLogger('warn', 'mesos-dev');
  const agents = num(v.agents as number) ?? 2;
  if (agents < 0) throw new FlagError('--agents must be 0 or more');
  const masterCount = num(v.masters as number) ?? 1;
  if (masterCount < 1) throw new FlagError('--masters must be 1 or more');
  const oldName = num(v['nats-cluster'] as number);
  const newName = num(v['nats-nodes'] as number) ?? 1;
  if (oldName !== undefined && newName !== 1 && oldName !== newName) throw new FlagError('give --nats-nodes only (--nats-cluster is its old name)');
  const natsNodes = checkNatsNodes(oldName ?? newName);
  const sync = checkSyncInterval(str(v['sync-interval'] as string) ?? 'default');
  const restartKilledMs = (v['restart-killed'] as number | null | undefined) ?? null;
  const firstPort = num(v.port as number) ?? 5050;
  const agentPort = num(v['agent-port'] as number) ?? 5060;
  checkPortRanges(firstPort, masterCount, agentPort, agents);
  const givenData = str(v.data as string);
  const data = givenData !== undefined ? resolve(givenData) : mkdtempSync(join(tmpdir(), 'mesos-dev-'));
  const cgroupsRoot = str(v['cgroups-root'] as string) ?? devCgroupsRoot(data);
  const netnsMode = (str(v.netns as string) ?? 'off') as NetnsMode;
  if (!(NETNS_MODES as readonly string[]).includes(netnsMode)) throw new FlagError(`--netns must be one of ${NETNS_MODES.join(', ')} (got "${netnsMode}")`);
  if (netnsMode === 'on' && bool(v.tls as boolean)) throw new FlagError('--netns on and --tls do not go together: the TLS certificate names 127.0.0.1 and localhost only');
  /** The dev network's tag: the data dir's hash, as in the cgroups root. */
  const netTag = devCgroupsRoot(data).slice('mesos-dev-'.length);
  if (givenData !== undefined && existsSync(devStatePath(data))) {
    try {
      const { readDevState } = await import('../../chaos/dev-state.js');
      const other = readDevState(data);
      if (other.pid !== process.pid && processAlive(other.pid)) {
        throw new FlagError(`another mesos dev (pid ${other.pid}) runs on ${data}; stop it first, or give another --data dir`);
      }
    } catch (err) {
      if (err instanceof FlagError) throw err; // a stale or broken state file is overwritten
    }
  }
  const logs = join(data, 'logs');
  mkdirSync(logs, { recursive: true });
  const natsStop: Array<() => Promise<void>> = [];
  let natsUrl = '';
  let headers: Record<string, string> = {};
  let ready = false;
  /** Each child's network namespace (--netns), when used. */
  let net: DevNetwork | undefined;
  const sup: Supervisor = new Supervisor({ restartKilledMs, out, onChange: () => writeState() });
  const writeState = (): void => {
    const s: DevState = {
      version: 1,
      pid: process.pid,
      data,
      logs,
      nats: natsUrl,
      natsNodes,
      restartKilledMs,
      cgroupsRoot,
      ready,
      network: net !== undefined ? 'netns' : 'host',
      children: sup.children.map((t) => ({
        name: t.unit.name,
        role: t.unit.role,
        pid: t.alive ? (t.run?.pid ?? 0) : 0,
        alive: t.alive,
        port: t.run?.port ?? 0,
        url: t.run?.url ?? '',
        ...(t.run?.monitorUrl !== undefined ? { monitorUrl: t.run.monitorUrl } : {}),
        restarts: t.restarts,
        ...(t.lastExit !== undefined ? { lastExit: t.lastExit } : {}),
        ...(t.unit.net !== undefined ? { netns: { ns: t.unit.net.ns, addr: t.unit.net.addr, veth: t.unit.net.veth } } : {}),
      })),
    };
    try {
      writeDevState(data, s);
    } catch (err) {
      log.warn({ err }, 'could not write the state file');
    }
  };

  let stopped: Promise<void> | undefined;
  /** Revokes the NATS user of each agent marked gone (a secured bus only). */
  let revoker: GoneRevoker | undefined;
  const stopAll = (): Promise<void> =>
    (stopped ??= (async () => {
      await revoker?.stop().catch((err: unknown) => log.warn({ err }, 'stopping the gone-agent revoker'));
      // Agents first (they kill their tasks and report), then the masters, then NATS.
      await sup.stopAll([['framework'], ['agent'], ['master'], ['nats']], 15_000);
      for (const stop of natsStop) await stop().catch(() => undefined);
      const left = await sweep(data, cgroupsRoot);
      const n = left.pids.length + left.mounts.length;
      if (n > 0) out(`swept what the children left: ${left.pids.length} processes, ${left.mounts.length} mounts`);
      if (net !== undefined) {
        const gone = await net.remove().catch((err: unknown) => {
          out(`could not remove the dev network ${net!.bridge}: ${(err as Error).message}`);
          return undefined;
        });
        if (gone !== undefined) out(`netns:  removed ${gone.namespaces} network namespaces and ${gone.links} links`);
      }
      rmSync(devStatePath(data), { force: true });
      if (givenData === undefined) rmSync(data, { recursive: true, force: true });
    })());

  // Ctrl-C, SIGTERM, SIGHUP (the terminal closed), or the parent gone (e.g. `npx`, which does not
  // pass its SIGTERM on): stop. A second signal while stopping forces the exit.
  let signals = 0;
  let onStop!: (why: string) => void;
  const signalled = new Promise<string>((res) => (onStop = res));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (++signals > 1) {
        process.stderr.write('second signal: exiting now\n');
        process.exit(130);
      }
      onStop(sig);
    });
  }
  const parent = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid !== parent) onStop('parent exited');
  }, 500);

  // --tls: one local CA and one certificate for this machine, for every server; clients verify with the CA.
  let tls: LocalCa | undefined;
  /** The demo framework's credentials, on a secured bus. */
  let demoCreds: string | undefined;
  const startup = async (): Promise<void> => {
    if (bool(v.tls as boolean)) {
      if (natsNodes !== 1) throw new FlagError('--tls runs one nats-server for now: leave out --nats-nodes 3');
      tls = await makeLocalCa(join(data, 'tls'));
      caPem = readFileSync(tls.ca);
      out(`tls:    everything over TLS; CA ${tls.ca} (clients: --tls-ca ${tls.ca}; curl --cacert ${tls.ca})`);
    }
    const tlsArgs = tls === undefined ? [] : ['--tls-cert', tls.cert, '--tls-key', tls.key, '--tls-ca', tls.ca];
    // What a killed mesos dev left of its network (namespaces, veths, bridge) goes first.
    if (process.platform === 'linux' && process.getuid?.() === 0) {
      const swept = await sweepNetworks(netTag).catch(() => undefined);
      if (swept !== undefined && swept.namespaces + swept.links > 0) out(`netns:  swept what an earlier mesos dev left: ${swept.namespaces} network namespaces, ${swept.links} links`);
    }
    if (netnsMode !== 'off') {
      const can = tls !== undefined ? { ok: false as const, why: 'the --tls certificate names 127.0.0.1 and localhost only' } : await netnsSupport();
      if (can.ok) {
        net = await DevNetwork.create(netTag, data);
        out(`netns:  each master, agent and NATS node in a network namespace of its own (${net.subnet}.0/24 on bridge ${net.bridge}, this host ${net.hostAddr}); a partition takes a child's link down`);
      } else if (netnsMode === 'on') {
        throw new FlagError(`--netns on: ${can.why}`);
      } else {
        out(`netns:  not used (${can.why}): every child shares the host's network; mesos chaos approximates a partition (ss -K)`);
      }
    }
    const slotOf = async (name: string): Promise<NetSlot | undefined> => (net !== undefined ? net.slot(name) : undefined);
    // The bus: operator mode by default (docs/security.md); --insecure is the only open bus.
    let auth: ServerAuth | undefined;
    let keystore: Keystore | undefined;
    /** A child's (or the user's) credentials file, issued once and kept (an agent's names its id). */
    const credsFile = (dir: string, file: string, party: Party, name: () => string): string => {
      const path = join(dir, file);
      if (!existsSync(path)) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileSync(path, keystore!.issue(party, name()).creds, { mode: 0o600 });
      }
      return path;
    };
    /** A framework child's credentials: its id, and its own state stream (services: SERVICES over svc.>; jobs: JOBS over jobs.>). */
    const frameworkCredsFile = (dir: string, file: string, store: { stream: string; subjects: string } = { stream: SERVICES_STREAM, subjects: servicesSubjects.all }): string => {
      const path = join(dir, file);
      if (!existsSync(path)) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileSync(path, keystore!.issue('framework', randomUUID(), { store }).creds, { mode: 0o600 });
      }
      return path;
    };
    let userCreds: { operator: string; framework: string; auditor: string } | undefined;
    if (bool(v.insecure as boolean)) {
      out('');
      out('!!! INSECURE: nats-server runs WITHOUT AUTHENTICATION (--insecure). Anyone who can reach it can');
      out('!!! publish commands to agents (run anything as root), forge elections, and purge the cluster log.');
      out('');
    } else {
      const keysDir = join(data, 'keys');
      keystore = existsSync(join(keysDir, 'operator.seed')) ? Keystore.open(keysDir) : Keystore.init(keysDir);
      auth = serverAuth(keystore);
      const credDir = join(data, 'credentials');
      userCreds = {
        operator: credsFile(credDir, 'operator.creds', 'admin', () => 'operator'),
        framework: credsFile(credDir, 'framework.creds', 'framework', () => randomUUID()),
        auditor: credsFile(credDir, 'auditor.creds', 'auditor', () => 'auditor'),
      };
      demoCreds = credsFile(join(data, 'keys', 'issued'), 'demo.creds', 'framework', () => randomUUID());
      out(`bus:    secured (NATS operator mode; keys ${keysDir}); every master and agent has its own credentials`);
      out(`        yours: ${userCreds.framework} (a framework), ${userCreds.auditor} (replay), ${userCreds.operator} (stream admin)`);
    }
    const natsPort = num(v['nats-port'] as number) ?? 4222;
    const store = join(data, 'nats');
    const fsync = `sync_interval ${sync ?? 'default (2m)'}`;
    const syncOpt = sync !== undefined ? { syncInterval: sync } : {};
    const natsUnits: Array<{ name: string; net?: NetSlot; first: RunningNatsServer; restart: () => Promise<RunningNatsServer> }> = [];
    if (natsNodes === 1) {
      if (existsSync(join(store, 'n1'))) out(`note:   ${store}/n1..n3 hold the log of a 3-node cluster (--nats-nodes 3); this single server does not see it`);
      const slot = await slotOf('nats');
      const opts = { port: slot !== undefined ? natsPort || 4222 : natsPort, ...(slot !== undefined ? { host: slot.addr, wrap: slot.wrap } : {}), storeDir: store, detached: true, logFile: join(logs, 'nats.log'), ...syncOpt, ...(tls !== undefined ? { tls } : {}), ...(auth !== undefined ? { auth } : {}) };
      let server = await startNatsServer(opts);
      natsStop.push(() => server.stop());
      natsUnits.push({
        name: 'nats',
        ...(slot !== undefined ? { net: slot } : {}),
        first: server,
        restart: async () => {
          await server.stop();
          server = await startNatsServer({ ...opts, port: server.port });
          return server;
        },
      });
      natsUrl = server.url;
      out(`nats:   ${server.url}  (JetStream store ${store}, ${fsync}; log ${join(logs, 'nats.log')})`);
    } else {
      if (existsSync(join(store, 'jetstream'))) out(`note:   ${store}/jetstream holds the log of a single server (--nats-nodes 1); this cluster does not see it`);
      const slots = net !== undefined ? [await net.slot('nats-n1'), await net.slot('nats-n2'), await net.slot('nats-n3')] : undefined;
      const cluster = await startNatsCluster({ size: 3, ...(slots !== undefined ? { nodes: slots.map((x) => ({ host: x.addr, wrap: x.wrap })) } : {}), storeRoot: store, firstPort: natsPort, clusterName: 'mesos-dev', logDir: logs, detached: true, ...syncOpt, ...(auth !== undefined ? { auth } : {}) }).catch(
        (err: unknown) => {
          throw new Error(`${(err as Error).message}\n(nats-server logs: ${join(logs, 'nats-n*.log')})`, { cause: err });
        },
      );
      natsStop.push(() => cluster.stop());
      cluster.servers.forEach((s, i) => natsUnits.push({ name: `nats-${cluster.names[i]}`, ...(slots?.[i] !== undefined ? { net: slots[i] } : {}), first: s, restart: () => cluster.restart(i) }));
      natsUrl = cluster.urls.join(',');
      out(`nats:   ${natsUrl}`);
      out(`        3-node JetStream cluster "mesos-dev" (servers ${cluster.names.join(', ')}; stores ${store}/n1..n3; logs ${join(logs, 'nats-n*.log')}; ${fsync}); stream, lease and snapshots R3`);
      out(`        monitoring (/healthz, /jsz): ${cluster.servers.map((s) => s.monitorUrl ?? '-').join(' ')}`);
    }
    for (const n of natsUnits) await sup.add(natsUnit(n.name, n.first, n.restart, n.net));

    // HTTP: Mesos's Basic authentication, read-write endpoints by default (see docs/security.md).
    const httpAuth = ['authenticate-http-readwrite', 'authenticate-http-readonly', 'authenticate-http-frameworks'].filter((f) => bool(v[f] as boolean));
    const httpFlags: string[] = [];
    if (httpAuth.length > 0) {
      const file = writeHttpCredentials(join(data, 'credentials'));
      const op = loadClientCredential(file, 'operator', 'credentials');
      headers = { Authorization: basicHeader(op.principal, op.secret) };
      httpFlags.push('--credentials', file, ...httpAuth.map((f) => `--${f}`));
      out(`http:   ${httpAuth.map((f) => ({ 'authenticate-http-readwrite': 'read-write', 'authenticate-http-readonly': 'read-only', 'authenticate-http-frameworks': 'scheduler' })[f]).join(', ')} endpoints need HTTP Basic credentials: ${file} (principals operator, framework; mode 600)`);
      out(`        e.g. MESOS_CREDENTIAL=${file} npx mesos quota get   (or --credential FILE --principal operator)`);
    } else {
      out('http:   no HTTP authentication (--no-authenticate-http-readwrite): anyone who reaches the masters can change the cluster');
    }
    const acls = str(v.acls as string);
    if (acls !== undefined) httpFlags.push('--acls', resolve(acls));

    const registryFlag = str(v['docker-registry'] as string);
    const registry = registryFlag === undefined || /^https?:\/\//i.test(registryFlag) ? registryFlag : resolve(registryFlag);
    if (registry !== undefined) out(`images: agents provision images from ${registry}`);
    const registryFiles = (['docker-registry-ca', 'docker-config'] as const).flatMap((f) => (str(v[f] as string) !== undefined ? [`--${f}`, resolve(str(v[f] as string)!)] : []));
    const ctx: DevPlanContext = {
      extraArgs: { master: [...httpFlags, ...tlsArgs], agent: [...tlsArgs, ...(registry !== undefined ? ['--docker-registry', registry] : []), ...registryFiles], framework: tls !== undefined ? ['--tls-ca', tls.ca] : [] },
      nats: natsUrl,
      data,
      logLevel: str(v['log-level'] as string) ?? 'info',
      streamReplicas: natsNodes,
      masterPort: (i) => (firstPort === 0 ? 0 : firstPort + i),
      agentPort: (i) => (agentPort === 0 ? 0 : agentPort + i),
      agentResources: str(v['agent-resources'] as string) ?? 'cpus:2;mem:2048;disk:8192',
      isolation: v.isolation as string,
      cgroupsRoot,
      ...(keystore !== undefined
        ? {
            creds: {
              master: (i: number) => credsFile(join(data, 'keys', 'issued'), `master-${i + 1}.creds`, 'master', () => `master-${i + 1}`),
              agent: (i: number) => credsFile(join(data, 'keys', 'issued'), `agent-${i + 1}.creds`, 'agent', () => randomUUID()),
              // A framework's credentials bind its id: one issued once per name and kept, so a
              // restarted framework (services) subscribes again with the same id.
              framework: (name: string) => frameworkCredsFile(join(data, 'keys', 'issued'), `${name}.creds`, name === 'jobs' ? { stream: JOBS_STREAM, subjects: jobsSubjects.all } : undefined),
            },
          }
        : {}),
    };
    const masters: UnitRun[] = [];
    for (let i = 0; i < masterCount; i++) {
      const plan = masterPlan(ctx, i, masterCount);
      const slot = await slotOf(plan.name);
      masters.push(await sup.add(masterUnit(slot !== undefined ? inNamespace(plan, slot) : plan, logs, slot)));
    }
    const leader = await waitForLeader(masters.map((m) => m.url), headers);
    for (const m of masters) out(`master: ${m.url}${m.url === leader ? `  (leading; try ${m.url}/master/state)` : '  (standing by)'}`);
    if (keystore !== undefined) {
      // The keystore is here: an agent the operator marks gone has its NATS user revoked at once.
      const ks = keystore;
      revoker = await startGoneRevoker({
        nats: natsUrl,
        creds: credsFile(join(data, 'keys', 'issued'), 'gone-revoker.creds', 'auditor', () => 'gone-revoker'),
        keystore: ks,
        ...(tls !== undefined ? { tlsCa: tls.ca } : {}),
        log,
        onRevoked: (id) => out(`revoked: agent ${id} was marked gone; its NATS credentials are revoked (mesos creds list --dir ${ks.dir})`),
      });
      out('        agents marked gone have their NATS credentials revoked (keys/issued/gone-revoker.creds follows the log)');
    }
    const agentSlots: Array<NetSlot | undefined> = [];
    for (let i = 0; i < agents; i++) agentSlots.push(await slotOf(agentPlan(ctx, i).name));
    const agentRuns = await Promise.all(
      Array.from({ length: agents }, (_, i) => {
        const plan = agentPlan(ctx, i);
        const slot = agentSlots[i];
        return sup.add(agentUnit(slot !== undefined ? inNamespace(plan, slot) : plan, logs, slot));
      }),
    );
    if (agents > 0) {
      await waitFor(
        async () => (JSON.parse((await get(`${leader}/master/state`, headers)).text) as { activated_slaves?: number }).activated_slaves! >= agents,
        30_000,
        `${agents} agents to register`,
      );
      out(`agents: ${agents} registered (${agentRuns.map((a) => `${a.url}/state`).join(', ')})`);
    }
    if (bool(v.frameworks as boolean)) {
      const svc = await sup.add(servicesUnit(servicesPlan(ctx, num(v['services-port'] as number) ?? 8080), logs));
      out(`services: ${svc.url}  (Marathon REST API v2; try ${svc.url}/v2/apps, or npx mesos services list --url ${svc.url})`);
      const jobs = await sup.add(jobsUnit(jobsPlan(ctx, num(v['jobs-port'] as number) ?? 4400), logs));
      out(`jobs:   ${jobs.url}  (Chronos REST API; try ${jobs.url}/v1/scheduler/jobs, or npx mesos jobs list --url ${jobs.url})`);
    }
    ready = true;
    writeState();
    out(`logs:   ${logs}`);
    out(`state:  ${devStatePath(data)}  (children, pids, ports; \`mesos chaos --data ${data}\` reads it)`);
    out(`run a task:  npx mesos execute --nats ${natsUrl}${tls !== undefined ? ` --tls-ca ${tls.ca}` : ''}${userCreds !== undefined ? ` --creds ${userCreds.framework}` : ''} --name hello --command 'echo hello'`);
  };

  try {
    const up = startup();
    up.catch(() => undefined); // a start that fails after a signal: the stop is under way already
    const first = await Promise.race([up.then(() => 'up'), signalled]);
    let why = first;
    if (first === 'up') {
      if (bool(v.demo as boolean)) {
        // As root, the demo's tasks run as nobody: the agents refuse root tasks (no --allow-root-tasks).
        if (process.getuid?.() === 0) out('demo:   its tasks run as nobody (the agents do not run root tasks)');
        await runDemo({ nats: natsUrl, ...(tls !== undefined ? { tlsCa: tls.ca } : {}), ...(demoCreds !== undefined ? { creds: demoCreds } : {}), ...(process.getuid?.() === 0 ? { user: 'nobody' } : {}), tasks: num(v['demo-tasks'] as number) ?? 6, log, out });
      }
      if (bool(v.demo as boolean) && bool(v['exit-after-demo'] as boolean)) why = 'demo done';
      else {
        out(`cluster is up; Ctrl-C stops it${restartKilledMs === null ? '' : `; dead children restart after ${restartKilledMs} ms`}`);
        why = await signalled;
      }
    }
    out(`stopping (${why})`);
    await stopAll();
    return 0;
  } catch (err) {
    process.stderr.write(`mesos dev: ${(err as Error).message}\n`);
    await stopAll();
    return 1;
  } finally {
    clearInterval(parentWatch);
  }
}

/** The URL of the master whose metrics say it is elected. */
async function waitForLeader(urls: readonly string[], headers: Record<string, string>): Promise<string> {
  let leader: string | undefined;
  await waitFor(
    async () => {
      for (const url of urls) {
        const m = JSON.parse((await get(`${url}/metrics/snapshot`, headers)).text) as Record<string, number>;
        if (m['master/elected'] === 1) leader = url;
      }
      return leader !== undefined;
    },
    20_000,
    'a master to be elected',
  );
  return leader!;
}
