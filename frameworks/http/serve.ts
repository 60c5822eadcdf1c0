/**
 * How a reference framework starts: its HTTP port checked first (a taken port fails before the
 * framework subscribes), then its engine, then its REST API (the engine closed again if the API
 * cannot listen). The handle closes the API, then the engine.
 */
import { checkPortFree } from './port.js';

export interface Served<E> {
  readonly engine: E;
  readonly url: string;
  readonly port: number;
  /** Stop serving and disconnect; the framework stays registered (a restart takes over its tasks). */
  close(): Promise<void>;
}

export async function startServed<E extends { close(): Promise<void> }>(o: {
  port: number;
  host: string;
  portInUse: () => Error;
  engine: () => Promise<E>;
  http: (engine: E) => Promise<{ url: string; port: number; close(): Promise<void> }>;
}): Promise<Served<E>> {
  await checkPortFree(o.port, o.host, o.portInUse);
  const engine = await o.engine();
  let http: Awaited<ReturnType<typeof o.http>>;
  try {
    http = await o.http(engine);
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
