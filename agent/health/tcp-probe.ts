/**
 * A TCP check round: connect to 127.0.0.1:port (::1 for IPv6) from the agent and close at once.
 * The result says whether the connection was established (as Mesos's `mesos-tcp-connect`).
 */
import { connect } from 'node:net';
import type { Probe, ProbeResult } from './probe.js';

export interface TcpTarget {
  readonly port: number;
  readonly protocol?: 'IPv4' | 'IPv6' | undefined;
}

export function tcpProbe(t: TcpTarget): Probe {
  return (signal) =>
    new Promise<ProbeResult>((resolve) => {
      const socket = connect({ host: t.protocol === 'IPv6' ? '::1' : '127.0.0.1', port: t.port });
      const done = (succeeded: boolean): void => {
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve({ type: 'TCP', succeeded });
      };
      const onAbort = (): void => {
        socket.destroy();
        resolve({ type: 'ERROR', message: 'TCP check aborted' });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
      if (signal.aborted) onAbort();
    });
}
