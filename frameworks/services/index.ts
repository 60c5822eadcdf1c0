/** The services framework (Marathon-like): its engine, its REST API, and a client of that API. */
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import { type Engine, type EngineOptions, startEngine } from './engine.js';
import { type ServicesHttp, serveHttp } from './http.js';

export { validateApp, normaliseAppId, type AppDefinition, type ValidationFailure } from './app.js';
export { ServicesClient, ServicesApiError } from './client.js';
export { SERVICES_STREAM, servicesSubjects } from './store.js';
export type { Engine, EngineOptions } from './engine.js';

export interface ServicesOptions extends EngineOptions {
  /** HTTP port of the REST API (Marathon's 8080 by default; 0: any free port). */
  readonly port: number;
  readonly host?: string;
}

export interface ServicesHandle {
  readonly engine: Engine;
  readonly url: string;
  readonly port: number;
  /** Stop serving and disconnect; the framework stays registered (a restart takes over its tasks). */
  close(): Promise<void>;
}

/** The port is free (checked before the framework subscribes, so a taken port fails at once and says so). */
export class PortInUseError extends Error {}
function checkPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new PortInUseError(`port ${port} on ${host} is in use (another Marathon, or another \`mesos services\`?): stop it, or choose a port with --port (mesos dev: --services-port; 0 for any free port)`)
          : new Error(`cannot listen on ${host}:${port}: ${err.message}`),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export async function startServices(o: ServicesOptions): Promise<ServicesHandle> {
  await checkPortFree(o.port, o.host ?? '0.0.0.0');
  const engine = await startEngine(o);
  let http: ServicesHttp;
  try {
    http = await serveHttp(engine, { port: o.port, ...(o.host !== undefined ? { host: o.host } : {}), log: o.log as Logger });
  } catch (err) {
    await engine.close();
    throw err;
  }
  return {
    engine,
    url: http.url,
    port: http.port,
    async close() {
      await http.close();
      await engine.close();
    },
  };
}
