/**
 * A small client of the Mesos v1 operator API (`POST /api/v1`) for the CLI: JSON in and out,
 * following the 307 a standby master answers (a protocol-relative Location), with errors that say
 * what the master answered. Works against any Mesos-compatible master.
 */
import { request } from 'node:http';
import { basicHeader } from '../security/http/index.js';

/** HTTP Basic credentials for the master (Mesos's principal and secret). */
export interface ClientAuth {
  readonly principal: string;
  readonly secret: string;
}

export class OperatorError extends Error {
  override readonly name = 'OperatorError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface OperatorReply {
  readonly status: number;
  readonly body: string;
  /** The parsed body, when it is JSON. */
  readonly json: unknown;
}

function post(url: URL, body: string, timeoutMs: number, auth: ClientAuth | undefined): Promise<{ status: number; location: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Content-Length': Buffer.byteLength(body),
          ...(auth !== undefined ? { Authorization: basicHeader(auth.principal, auth.secret) } : {}),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.host} within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new Error(`cannot reach the master at ${url.origin}: ${err.message} (is it running? see --master)`)));
    req.end(body);
  });
}

/** Send a call; throws OperatorError unless the master answers 2xx. */
export async function operatorCall(master: string, call: Record<string, unknown>, timeoutMs = 30_000, auth?: ClientAuth): Promise<OperatorReply> {
  let url: URL;
  try {
    url = new URL('/api/v1', master.includes('://') ? master : `http://${master}`);
  } catch {
    throw new OperatorError(0, `--master ${master} is not a URL (e.g. http://127.0.0.1:5050)`);
  }
  const body = JSON.stringify(call);
  for (let hop = 0; hop < 4; hop++) {
    const r = await post(url, body, timeoutMs, auth);
    if (r.status === 307 && r.location !== undefined) {
      url = new URL(r.location.startsWith('//') ? `${url.protocol}${r.location}` : r.location, url);
      continue;
    }
    if (r.status === 401) {
      throw new OperatorError(
        401,
        `the master answered 401: ${r.body.trim() || 'authentication required'}${auth === undefined ? ' (give --credential FILE, e.g. the credentials/http.json `mesos dev` writes, or --principal and --secret; or set MESOS_CREDENTIAL)' : ''}`,
      );
    }
    if (r.status < 200 || r.status >= 300) throw new OperatorError(r.status, `the master answered ${r.status}: ${r.body.trim() || '(no body)'}`);
    let json: unknown;
    try {
      json = r.body === '' ? undefined : JSON.parse(r.body);
    } catch {
      json = undefined;
    }
    return { status: r.status, body: r.body, json };
  }
  throw new OperatorError(307, 'too many redirects (no master leads?)');
}
