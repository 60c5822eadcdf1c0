/**
 * Media types of the v1 HTTP APIs (scheduler and operator): JSON or protobuf, as Mesos serves them.
 * A request's body is read as its Content-Type says (415 for anything else); the answer is JSON
 * when the Accept header allows it, else protobuf when it allows that (406 when it allows neither),
 * as Mesos's master picks.
 */
export const APPLICATION_JSON = 'application/json';
export const APPLICATION_PROTOBUF = 'application/x-protobuf';
export type Media = typeof APPLICATION_JSON | typeof APPLICATION_PROTOBUF;

/** Whether an Accept header allows `media` (no header allows everything; `q=0` refuses). */
export function acceptsMediaType(header: string | string[] | undefined, media: string): boolean {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text === undefined || text.trim() === '') return true;
  const [type] = media.split('/');
  for (const part of text.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    if (range === '*/*' || range === media || range === `${type}/*`) return true;
  }
  return false;
}

/** The media type of a request body, or the reply that refuses it. */
export function requestMedia(contentType: string | undefined): { ok: true; media: Media } | { ok: false; status: 400 | 415; text: string } {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct === '') return { ok: false, status: 400, text: "Expecting 'Content-Type' to be present" };
  if (ct === APPLICATION_JSON || ct === APPLICATION_PROTOBUF) return { ok: true, media: ct };
  return { ok: false, status: 415, text: `Expecting 'Content-Type' of ${APPLICATION_JSON} or ${APPLICATION_PROTOBUF}; got '${ct}'` };
}

/** The media type of the answer, JSON first, or null when the client accepts neither (406). */
export function responseMedia(accept: string | string[] | undefined): Media | null {
  if (acceptsMediaType(accept, APPLICATION_JSON)) return APPLICATION_JSON;
  if (acceptsMediaType(accept, APPLICATION_PROTOBUF)) return APPLICATION_PROTOBUF;
  return null;
}

export const NOT_ACCEPTABLE = `Expecting 'Accept' to allow '${APPLICATION_PROTOBUF}' or '${APPLICATION_JSON}'`;
