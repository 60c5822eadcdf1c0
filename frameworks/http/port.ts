/** Whether a reference framework's HTTP port is free, checked before it subscribes (a taken port fails at once). */
import { createServer } from 'node:net';

/** `inUse` makes the error for a taken port (each framework says who else may hold it and its flag). */
export function checkPortFree(port: number, host: string, inUse: () => Error): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? inUse() : new Error(`cannot listen on ${host}:${port}: ${err.message}`)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
