/**
 * A small HTTP shell over node:http: a route table, JSON (and Mesos's `?jsonp=`) responses, clear
 * errors for unknown paths (404) and wrong methods (405 with Allow), and no crash on a handler
 * error (500 with the reason). Each route names its Mesos authentication realm; a request the
 * realm requires credentials of is answered 401 before its handler runs (security/http), and the
 * handler is told the authenticated principal. Used by the master and the agent. With `tls` it
 * serves HTTPS only (node:https; a plain HTTP request on that port gets no answer).
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerTls } from '../../../security/tls/index.js';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { type HttpAuthConfig, OPEN, type Realm, authenticate } from '../../../security/http/index.js';

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly text?: string;
  /** Bytes sent as they are (a static file); the handler gives their Content-Type in `headers`. */
  readonly raw?: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A JSON body given as its text in pieces (joined, the body): written in chunks of about
   * PIECES_CHUNK characters, the event loop free between two chunks, so a body of 100+ MB (a large
   * `/master/state`, state-text.ts) does not hold up the fold and the allocator while it is sent.
   */
  readonly pieces?: readonly string[];
  /** The handler writes the response itself (a long-lived stream). */
  readonly takeover?: (res: ServerResponse) => void;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Read a request body, refusing more than `limit` bytes (413). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, `Request body of ${declared} bytes is larger than the ${limit} bytes allowed`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        reject(new HttpError(413, `Request body is larger than the ${limit} bytes allowed`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', (e) => {
      if (!done) {
        done = true;
        reject(e);
      }
    });
  });
}

/** What the server knows of a request before its handler runs. */
export interface RequestContext {
  /** The principal its HTTP Basic credentials authenticated (undefined: none presented). */
  readonly principal: string | undefined;
}

export type Handler = (req: IncomingMessage, url: URL, ctx: RequestContext) => Reply | Promise<Reply>;

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly handler: Handler;
  /** Mesos's authentication realm of the endpoint (absent: always open, as /health). */
  readonly realm?: Realm;
}

export const json = (body: unknown, status = 200): Reply => ({ status, body });
export const text = (t: string, status: number): Reply => ({ status, text: t });

export interface HttpApi {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * What answers a GET or HEAD of a path no route has (static files: the web UI), open in every
 * realm; undefined: the path is not its either (404).
 */
export type Fallback = (req: IncomingMessage, url: URL) => Reply | undefined;

export async function startHttpApi(o: {
  ip: string;
  port: number;
  routes: readonly Route[];
  log: Logger;
  auth?: HttpAuthConfig;
  tls?: ServerTls | undefined;
  fallback?: Fallback;
  /**
   * Node's limit on receiving a whole request (default 300 s); 0: none, for a server that takes
   * streaming request bodies (the agent's ATTACH_CONTAINER_INPUT). Headers stay bounded by Node's
   * headersTimeout either way.
   */
  requestTimeoutMs?: number;
}): Promise<HttpApi> {
  const auth = o.auth ?? OPEN;
  const byPath = new Map<string, Route[]>();
  for (const r of o.routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  const log = o.log.child({ component: 'http' });

  const listener: RequestListener = (req, res) => {
    void handle(req, res).catch((err: unknown) => {
      log.error({ err, path: req.url }, 'http handler failed');
      if (!res.headersSent) send(res, text(`Internal error: ${(err as Error).message}`, 500), undefined);
      else res.destroy();
    });
  };
  const server: Server = o.tls === undefined ? createServer(listener) : createHttpsServer({ ...o.tls }, listener);
  if (o.requestTimeoutMs !== undefined) server.requestTimeout = o.requestTimeoutMs;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const routes = byPath.get(url.pathname);
    if (routes === undefined) {
      const r = o.fallback !== undefined && (req.method === 'GET' || req.method === 'HEAD') ? o.fallback(req, url) : undefined;
      if (r !== undefined) {
        send(res, r, undefined, req.method === 'HEAD');
        return;
      }
      send(res, text(`No such endpoint: ${url.pathname}`, 404), undefined);
      return;
    }
    const route = routes.find((r) => r.method === req.method || (r.method === 'GET' && req.method === 'HEAD'));
    if (route === undefined) {
      const allow = routes.map((r) => r.method).join(', ');
      send(res, { status: 405, text: `Expecting one of { ${allow} }, but received '${req.method ?? ''}'`, headers: { Allow: allow } }, undefined);
      return;
    }
    const who = authenticate(auth, route.realm ?? null, req.headers.authorization);
    if (!who.ok) {
      req.resume();
      log.info({ path: url.pathname, realm: route.realm }, 'http request not authenticated');
      send(res, { status: who.status, text: who.text, headers: who.headers }, undefined);
      return;
    }
    let reply: Reply;
    try {
      reply = await route.handler(req, url, { principal: who.principal });
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      reply = text(e.message, e.status);
      if (e.status === 413) reply = { ...reply, headers: { Connection: 'close' } };
    }
    if (reply.takeover !== undefined) reply.takeover(res);
    else send(res, reply, url.searchParams.get('jsonp') ?? undefined, req.method === 'HEAD');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.ip, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((cause: unknown) => {
    const e = cause as NodeJS.ErrnoException;
    throw new Error(
      e.code === 'EADDRINUSE' ? `port ${o.port} on ${o.ip} is already in use: pick another with --port` : `cannot listen on ${o.ip}:${o.port}: ${e.message}`,
      { cause },
    );
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** About how many characters of a `pieces` body are written per turn of the event loop. */
export const PIECES_CHUNK = 1 << 20;

function sendPieces(res: ServerResponse, r: Reply & { pieces: readonly string[] }, jsonp: string | undefined, headOnly: boolean): void {
  const wrap = jsonp !== undefined && /^[A-Za-z_$][\w$.]*$/.test(jsonp);
  const pieces = wrap ? [`${jsonp}(`, ...r.pieces, ');'] : r.pieces;
  // Chunked: its length is not worked out first (a pass over every piece for a number).
  res.writeHead(r.status, { 'Content-Type': wrap ? 'text/javascript; charset=utf-8' : 'application/json', ...r.headers });
  if (headOnly) {
    res.end();
    return;
  }
  let i = 0;
  const next = (): void => {
    if (i > pieces.length) return; // the client went away
    let chunk = '';
    while (i < pieces.length && chunk.length < PIECES_CHUNK) chunk += pieces[i++]!;
    if (i >= pieces.length) {
      res.end(chunk);
      return;
    }
    // Let the fold, the allocator and other requests run before the next chunk.
    if (res.write(chunk)) setImmediate(next);
    else res.once('drain', next);
  };
  res.on('close', () => {
    i = pieces.length + 1;
  });
  next();
}

function send(res: ServerResponse, r: Reply, jsonp: string | undefined, headOnly = false): void {
  if (r.pieces !== undefined) {
    sendPieces(res, r as Reply & { pieces: readonly string[] }, jsonp, headOnly);
    return;
  }
  if (r.raw !== undefined) {
    res.writeHead(r.status, { 'Content-Length': r.raw.length, ...r.headers });
    res.end(headOnly || r.status === 304 ? undefined : r.raw);
    return;
  }
  let body: string;
  let type: string;
  if (r.text !== undefined) {
    body = r.text;
    type = 'text/plain; charset=utf-8';
  } else if (r.body !== undefined) {
    const s = JSON.stringify(r.body);
    if (jsonp !== undefined && /^[A-Za-z_$][\w$.]*$/.test(jsonp)) {
      body = `${jsonp}(${s});`;
      type = 'text/javascript; charset=utf-8';
    } else {
      body = s;
      type = 'application/json';
    }
  } else {
    body = '';
    type = 'text/plain; charset=utf-8';
  }
  res.writeHead(r.status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...r.headers });
  res.end(headOnly ? undefined : body);
}
