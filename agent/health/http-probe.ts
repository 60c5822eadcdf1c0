/**
 * An HTTP check round: `GET scheme://127.0.0.1:port/path` (`[::1]` for IPv6) from the agent,
 * following redirects as Mesos's `curl -L` does (up to 10), without verifying an https
 * certificate (`curl -k`). The result is the final status code; a request that fails (refused,
 * reset, a bad redirect) is an error.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Probe, ProbeResult } from './probe.js';

export interface HttpTarget {
  readonly port: number;
  readonly path?: string | undefined;
  readonly scheme?: 'http' | 'https' | undefined;
  readonly protocol?: 'IPv4' | 'IPv6' | undefined;
}

const MAX_REDIRECTS = 10;

export function checkUrl(t: HttpTarget): URL {
  const host = t.protocol === 'IPv6' ? '[::1]' : '127.0.0.1';
  return new URL(`${t.scheme ?? 'http'}://${host}:${t.port}${t.path ?? '/'}`);
}

function get(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    // A fresh connection each round (no keep-alive pool), as Mesos's curl: each check tests connecting.
    const options = { method: 'GET', signal, agent: false, headers: { 'User-Agent': 'mesos-ts-health-check', Accept: '*/*', Connection: 'close' } };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { ...options, rejectUnauthorized: false }, resolve)
        : httpRequest(url, options, resolve);
    req.once('error', reject);
    req.end();
  });
}

export function httpProbe(t: HttpTarget): Probe {
  return async (signal): Promise<ProbeResult> => {
    let url = checkUrl(t);
    for (let hop = 0; ; hop++) {
      let res: IncomingMessage;
      try {
        res = await get(url, signal);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return { type: 'ERROR', message: `HTTP request to ${url.href} failed: ${code ?? (err as Error).message}` };
      }
      res.resume(); // the body is not looked at
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location !== undefined) {
        if (hop >= MAX_REDIRECTS) return { type: 'ERROR', message: `HTTP check: more than ${MAX_REDIRECTS} redirects from ${checkUrl(t).href}` };
        try {
          url = new URL(location, url);
        } catch {
          return { type: 'ERROR', message: `HTTP check: cannot follow the redirect to '${location}'` };
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') {
          return { type: 'ERROR', message: `HTTP check: cannot follow the redirect to '${location}'` };
        }
        continue;
      }
      return { type: 'HTTP', statusCode: status };
    }
  };
}
