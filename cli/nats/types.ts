import type { NatsAuthConfig } from './config.js';
// The shapes of the launcher: options and handles of one server and of a cluster.

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
  /**
   * Run the server in a process group of its own, so that a Ctrl-C at the terminal reaches only
   * the process that started it (which then stops it in order). Default false.
   */
  detached?: boolean;
  /** TLS for clients (PEM files): plain connections are then refused. The readiness probe verifies with `ca`. */
  tls?: { cert: string; key: string; ca: string };
  /** Operator mode (decentralized auth, see security/nats): anonymous clients are refused. */
  auth?: NatsAuthConfig;
  /** A command prefix the server runs under, e.g. `nsenter --net=/run/netns/x --` (it must exec: the pid is the server's). */
  wrap?: readonly string[];
}

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
  /** Each server in a process group of its own (see NatsServerOptions.detached). */
  detached?: boolean;
  /** Operator mode on every server (see NatsServerOptions.auth). */
  auth?: NatsAuthConfig;
  /**
   * Per server: its own listen address and command prefix (`mesos dev --netns`: a network namespace
   * each). Then every server has the whole port space of its address: client port `firstPort`+i
   * (4222+i when 0), routes on 6222, monitoring on 8222.
   */
  nodes?: ReadonlyArray<{ host: string; wrap: readonly string[] }>;
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
