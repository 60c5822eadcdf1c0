// Test helper: a fresh nats-server (JetStream, temp store dir) per call.

import { startNatsServer, type NatsServerOptions, type RunningNatsServer } from '../../cli/nats/index.js';

export interface TestNats {
  url: string;
  server: RunningNatsServer;
  stop(): Promise<void>;
}

/** Starts a nats-server on a free port with a fresh temp store dir (removed by stop()). */
export async function withNats(opts: Omit<NatsServerOptions, 'storeDir'> = {}): Promise<TestNats> {
  const server = await startNatsServer(opts);
  return { url: server.url, server, stop: () => server.stop() };
}
