/** A thin client of the services REST API (what `mesos services apply|list|show|…` call). */
import { RestApiError, RestClient } from '../http/rest.js';

export class ServicesApiError extends RestApiError {
  override readonly name = 'ServicesApiError';
}

export class ServicesClient extends RestClient {
  constructor(base: string) {
    super(base, { what: 'the services API', command: 'mesos services', describe, error: ServicesApiError });
  }
}

/** Marathon's error body as lines a user reads: the message, then each field and what is wrong with it. */
function describe(status: number, body: unknown): string {
  const b = body as { message?: string; details?: Array<{ path: string; errors: string[] }> } | undefined;
  const head = `${status}: ${b?.message ?? String(body)}`;
  const details = (b?.details ?? []).map((d) => `  ${d.path}: ${d.errors.join('; ')}`);
  return [head, ...details].join('\n');
}
