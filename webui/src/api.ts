/**
 * The master's public endpoints as the dashboard uses them (nothing the CLI could not call):
 * POST /api/v1 operator calls (JSON), the SUBSCRIBE event stream (RecordIO-framed JSON read from
 * fetch's body), GET /replay/state and /replay/series for history, and an agent's /files/read
 * (JSONP, as Mesos's own web UI reads sandboxes of agents on other origins).
 */

export type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let credentials: { principal: string; secret: string } | null = null;
try {
  const saved = sessionStorage.getItem('mesos-credentials');
  if (saved !== null) credentials = JSON.parse(saved) as { principal: string; secret: string };
} catch {
  credentials = null;
}

export function setCredentials(c: { principal: string; secret: string } | null): void {
  credentials = c;
  if (c === null) sessionStorage.removeItem('mesos-credentials');
  else sessionStorage.setItem('mesos-credentials', JSON.stringify(c));
}
export const principal = (): string | null => credentials?.principal ?? null;

/**
 * Every call carries its credentials itself (the Authorization header), never the browser's: with
 * `credentials: 'omit'` a 401 comes back to the page instead of opening the browser's own
 * sign-in prompt (which, headless, would hang the request for good).
 */
const OMIT = { credentials: 'omit' } as const;

const authHeaders = (): Record<string, string> => (credentials === null ? {} : { Authorization: `Basic ${btoa(`${credentials.principal}:${credentials.secret}`)}` });

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function check(r: Response, what: string): Promise<Response> {
  if (r.ok) return r;
  const body = await r.text().catch(() => '');
  throw new HttpError(r.status, `${what}: ${r.status} ${r.statusText}${body !== '' ? ` — ${body.trim()}` : ''}`);
}

export async function getJson(path: string): Promise<J> {
  const r = await check(await fetch(path, { ...OMIT, headers: { Accept: 'application/json', ...authHeaders() } }), `GET ${path}`);
  return (await r.json()) as J;
}

/** An operator call; the answer's JSON (or {} for an empty 200/202). */
export async function call(type: string, body: J = {}): Promise<J> {
  const r = await check(
    await fetch('/api/v1', { ...OMIT, method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...authHeaders() }, body: JSON.stringify({ type, ...body }) }),
    type,
  );
  const t = await r.text();
  return t === '' ? {} : (JSON.parse(t) as J);
}

/**
 * Reads the operator event stream until `signal` aborts or the stream ends (then resolves).
 * `lastEventId` resumes after that event (the master sends only what came after).
 */
export async function subscribe(onEvent: (e: J) => void, signal: AbortSignal, lastEventId: string | null): Promise<void> {
  const r = await check(
    await fetch('/api/v1', {
      ...OMIT,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...authHeaders(), ...(lastEventId !== null ? { 'Last-Event-ID': lastEventId } : {}) },
      body: JSON.stringify({ type: 'SUBSCRIBE' }),
      signal,
    }),
    'SUBSCRIBE',
  );
  const reader = r.body!.getReader();
  const dec = new TextDecoder();
  // RecordIO: "<length>\n<length bytes of JSON>", repeated. The first record (SUBSCRIBED, the whole
  // state) can be tens of MB: chunks are kept as they come and joined once a record is complete,
  // never copied again and again as they arrive.
  let chunks: Uint8Array[] = [];
  let have = 0;
  let need = -1; // the record's length once its header is read
  let headerLen = 0;
  const join = (n: number): Uint8Array => {
    if (chunks.length === 1 && chunks[0]!.length >= n) return chunks[0]!;
    const out = new Uint8Array(have);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    chunks = [out];
    return out;
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    chunks.push(value);
    have += value.length;
    for (;;) {
      if (need < 0) {
        const buf = join(have);
        const nl = buf.indexOf(10);
        if (nl < 0 || nl >= have) break;
        need = Number(dec.decode(buf.subarray(0, nl)));
        if (!Number.isFinite(need)) throw new Error('the event stream is not RecordIO');
        headerLen = nl + 1;
      }
      if (have < headerLen + need) break;
      const buf = join(have);
      onEvent(JSON.parse(dec.decode(buf.subarray(headerLen, headerLen + need))) as J);
      const rest = buf.subarray(headerLen + need, have);
      chunks = rest.length > 0 ? [rest] : [];
      have = rest.length;
      need = -1;
    }
  }
}

let jsonpSeq = 0;
/** GET a JSON endpoint of another origin (an agent) by JSONP: `?jsonp=` is served by every agent. */
export function jsonp(url: string, timeoutMs = 5000): Promise<J> {
  return new Promise((resolve, reject) => {
    const name = `__mesosJsonp${++jsonpSeq}`;
    const s = document.createElement('script');
    const w = window as unknown as Record<string, unknown>;
    const done = (): void => {
      clearTimeout(timer);
      delete w[name];
      s.remove();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no answer from ${new URL(url).origin} in ${timeoutMs} ms`));
    }, timeoutMs);
    w[name] = (body: J) => {
      done();
      resolve(body);
    };
    s.onerror = () => {
      done();
      reject(new Error(`cannot read ${url}`));
    };
    s.src = `${url}${url.includes('?') ? '&' : '?'}jsonp=${name}`;
    document.head.append(s);
  });
}

/** An agent's base URL (`http://host:port`) from its v1 AgentInfo JSON (`pid` is `slave(1)@ip:port`). */
export function agentBase(agent: J): string {
  const ip = String(agent.pid ?? '').split('@')[1] ?? `${String(agent.agent_info?.hostname)}:${String(agent.agent_info?.port)}`;
  return `${location.protocol}//${ip}`;
}

export interface Permission {
  readonly allowed: boolean;
  readonly why: string;
}

const permissionCache = new Map<string, Promise<Permission>>();
/** Forget what the master said the principal may do (after signing in or out). */
export const forgetPermissions = (): void => permissionCache.clear();

/**
 * Whether the signed-in principal may do `check` (`action` or `action:object`, Mesos's ACL action
 * names), as the master's GET /master/permissions answers.
 */
export function permission(check: string): Promise<Permission> {
  const key = `${principal() ?? ''}|${check}`;
  let p = permissionCache.get(key);
  if (p === undefined) {
    p = getJson(`/master/permissions?check=${encodeURIComponent(check)}`).then(
      (r) => {
        const c = (r.checks as J[])[0]!;
        return { allowed: c.allowed === true, why: String(c.why) };
      },
      (err: unknown) => {
        permissionCache.delete(key);
        return { allowed: false, why: `cannot ask the master what you may do: ${(err as Error).message}` };
      },
    );
    permissionCache.set(key, p);
  }
  return p;
}
