/** Calls to the operator API (`POST /api/v1`) for tests: status, parsed JSON (if any) and text. */
export interface OpReply {
  readonly status: number;
  readonly text: string;
  readonly json: any;
}

export async function op(masterUrl: string, body: unknown, init: { contentType?: string; method?: string } = {}): Promise<OpReply> {
  const res = await fetch(`${masterUrl}/api/v1`, {
    method: init.method ?? 'POST',
    headers: { 'Content-Type': init.contentType ?? 'application/json', Accept: 'application/json' },
    ...(init.method === 'GET' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    redirect: 'manual',
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** A resource list in Mesos's v1 JSON. */
export const scalar = (name: string, value: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, type: 'SCALAR', scalar: { value }, ...extra });
export const dynamic = (role: string, principal?: string): Record<string, unknown> => ({
  reservations: [{ type: 'DYNAMIC', role, ...(principal !== undefined ? { principal } : {}) }],
});
