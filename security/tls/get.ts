/**
 * A GET that verifies an HTTPS server against a given CA (node's fetch cannot be given one): for
 * `mesos dev --tls` waiting on its masters, and for tests.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface GetReply {
  readonly status: number;
  readonly text: string;
}

export function httpGet(url: string, o: { ca?: Buffer | string; timeoutMs?: number; headers?: Readonly<Record<string, string>> } = {}): Promise<GetReply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const headers = { ...(o.headers ?? {}) };
    const req = u.protocol === 'https:' ? httpsRequest(u, { method: 'GET', headers, ...(o.ca !== undefined ? { ca: o.ca } : {}) }, onResponse) : httpRequest(u, { method: 'GET', headers }, onResponse);
    req.setTimeout(o.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer from ${url} within ${o.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end();
  });
}
