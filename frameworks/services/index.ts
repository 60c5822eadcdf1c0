/** The services framework (Marathon-like): its engine, its REST API, and a client of that API. */
import { checkPortFree } from '../http/port.js';
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

/** Its HTTP port is taken (checked before the framework subscribes, so it fails at once and says so). */
export class PortInUseError extends Error {}
export async function startServices(o: ServicesOptions): Promise<ServicesHandle> {
  const host = o.host ?? '0.0.0.0';
  await checkPortFree(o.port, host, () => new PortInUseError(`port ${o.port} on ${host} is in use (another Marathon, or another \`mesos services\`?): stop it, or choose a port with --port (mesos dev: --services-port; 0 for any free port)`));
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
