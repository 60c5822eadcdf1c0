/**
 * The web dashboard's files (webui/, built by `npm run build` into dist/webui/), served by every
 * master: `/` and every path under `/ui/` answer the app's index.html (the app routes itself:
 * `/ui/tasks` reloaded in the browser is the same page), `/assets/…` the files Vite wrote, with
 * their content type. The asset names carry a hash of their content, so they are cached for a
 * year (`immutable`); index.html is `no-cache` (revalidated every time, so a new build is seen at
 * once). The files hold no cluster data: they are open in every realm, and the app's requests to
 * the JSON endpoints carry the user's credentials.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage } from 'node:http';
import type { Reply } from './server.js';

/** dist/kernel/shell/http/static.js -> dist/webui */
export const WEBUI_DIR = fileURLToPath(new URL('../../../webui/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export const contentTypeOf = (path: string): string => TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

export interface StaticSite {
  /** The reply for a GET/HEAD of `pathname`, or undefined when it is none of the site's paths. */
  reply(req: IncomingMessage, pathname: string): Reply | undefined;
}

const NOT_BUILT = 'The web UI is not built in this installation: run `npm run build` (it writes dist/webui/).';

/**
 * The site in `dir`, read once into memory (a build is a few hundred kB). A missing build answers
 * 503 with how to build it, so `/` says what is wrong instead of a bare 404.
 */
export function staticSite(dir: string = WEBUI_DIR): StaticSite {
  const root = resolve(dir);
  const files = new Map<string, StaticFile>();
  if (existsSync(join(root, 'index.html'))) {
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        const full = join(d, name);
        if (statSync(full).isDirectory()) walk(full);
        else {
          const body = readFileSync(full);
          const url = `/${relative(root, full).split(sep).join('/')}`;
          files.set(url, { body, type: contentTypeOf(full), etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"` });
        }
      }
    };
    walk(root);
  }
  const index = files.get('/index.html');

  const serve = (req: IncomingMessage, f: StaticFile, cache: string): Reply => {
    const headers = { 'Content-Type': f.type, 'Cache-Control': cache, ETag: f.etag, 'X-Content-Type-Options': 'nosniff' };
    if (req.headers['if-none-match'] === f.etag) return { status: 304, raw: Buffer.alloc(0), headers };
    return { status: 200, raw: f.body, headers };
  };

  return {
    reply(req, pathname) {
      const app = pathname === '/' || pathname === '/index.html' || pathname === '/ui' || pathname.startsWith('/ui/');
      const asset = pathname.startsWith('/assets/') || pathname === '/favicon.svg';
      if (!app && !asset) return undefined;
      if (index === undefined) return { status: 503, text: NOT_BUILT };
      if (app) return serve(req, index, 'no-cache');
      const f = files.get(pathname);
      if (f === undefined) return { status: 404, text: `No such file of the web UI: ${pathname}` };
      return serve(req, f, pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  };
}
