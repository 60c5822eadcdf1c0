// Locating and running a local nats-server (>= 2.10, JetStream enabled), alone or as a cluster on
// loopback, for `mesos dev`, tests and benchmarks. No CLI parsing here. The public surface:
//   binary.ts  find a nats-server binary and check its version
//   server.ts  run one server as a child process (config from config.ts; reaped by reaper.ts)
//   cluster.ts run N servers with routes to each other
//   probes.ts  readiness and health (/healthz, /jsz, JetStream placement)
//   ports.ts   free ports; errors.ts typed errors with stable codes

export { MIN_NATS_VERSION, findNatsServer, isSupportedNatsVersion, natsServerVersion, onPath, projectRoot } from './binary.js';
export { startNatsCluster } from './cluster.js';
export { NatsServerError, type NatsServerErrorCode } from './errors.js';
export { getFreePort } from './ports.js';
export { natsHealth, waitForJetStream, waitForPlacement } from './probes.js';
export { startNatsServer } from './server.js';
export type { NatsClusterOptions, NatsServerOptions, RunningNatsCluster, RunningNatsServer } from './types.js';
