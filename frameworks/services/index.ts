/** The services framework (Marathon-like): its engine, its REST API, and a client of that API. */
import { type Served, startServed } from '../http/serve.js';
import type { Logger } from 'pino';
import { type Engine, type EngineOptions, startEngine } from './engine.js';
import { serveHttp } from './http.js';

export { validateApp, normaliseAppId, type AppDefinition, type ValidationFailure } from './app.js';
export { ServicesClient, ServicesApiError } from './client.js';
export { SERVICES_STREAM, servicesSubjects } from './store.js';
export type { Engine, EngineOptions } from './engine.js';

export interface ServicesOptions extends EngineOptions {
  /** HTTP port of the REST API (Marathon's 8080 by default; 0: any free port). */
  readonly port: number;
  readonly host?: string;
}

export type ServicesHandle = Served<Engine>;

/** Its HTTP port is taken (checked before the framework subscribes, so it fails at once and says so). */
export class PortInUseError extends Error {}
export function startServices(o: ServicesOptions): Promise<ServicesHandle> {
  const host = o.host ?? '0.0.0.0';
  return startServed({
    port: o.port,
    host,
    portInUse: () => new PortInUseError(`port ${o.port} on ${host} is in use (another Marathon, or another \`mesos services\`?): stop it, or choose a port with --port (mesos dev: --services-port; 0 for any free port)`),
    engine: () => startEngine(o),
    http: (engine) => serveHttp(engine, { port: o.port, ...(o.host !== undefined ? { host: o.host } : {}), log: o.log as Logger }),
  });
}
