/** The jobs framework (Chronos-like): its engine, its REST API, and a client of that API. */
import { type Served, startServed } from '../http/serve.js';
import type { Logger } from 'pino';
import { type Engine, type EngineOptions, startEngine } from './engine.js';
import { serveHttp } from './http.js';

export { validateJob, type JobDefinition, type ChronosError, type FieldError } from './job.js';
export { parseIso8601, parseCron, parsePeriod, parseEpsilon, firstAtOrAfter, nextAfter, countBetween, type Schedule } from './schedule.js';
export { JobsClient, JobsApiError } from './client.js';
export { JOBS_STREAM, jobsSubjects } from './store.js';
export type { Engine as JobsEngine, EngineOptions as JobsEngineOptions } from './engine.js';

export interface JobsOptions extends EngineOptions {
  /** HTTP port of the REST API (Chronos's 4400 by default; 0: any free port). */
  readonly port: number;
  readonly host?: string;
}

export type JobsHandle = Served<Engine>;

/** Its HTTP port is taken (checked before the framework subscribes, so it fails at once and says so). */
export class JobsPortInUseError extends Error {}
export function startJobs(o: JobsOptions): Promise<JobsHandle> {
  const host = o.host ?? '0.0.0.0';
  return startServed({
    port: o.port,
    host,
    portInUse: () => new JobsPortInUseError(`port ${o.port} on ${host} is in use (another Chronos, or another \`mesos jobs\`?): stop it, or choose a port with --port (mesos dev: --jobs-port; 0 for any free port)`),
    engine: () => startEngine(o),
    http: (engine) => serveHttp(engine, { port: o.port, ...(o.host !== undefined ? { host: o.host } : {}), log: o.log as Logger }),
  });
}
