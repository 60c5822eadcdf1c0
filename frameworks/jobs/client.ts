/** A thin client of the jobs REST API (what `mesos jobs list|show|run|delete|history` call). */
import { RestApiError, RestClient } from '../http/rest.js';

export class JobsApiError extends RestApiError {
  override readonly name = 'JobsApiError';
}

export class JobsClient extends RestClient {
  constructor(base: string) {
    super(base, { what: 'the jobs API', command: 'mesos jobs', describe, error: JobsApiError });
  }
}

/** Chronos's error body as lines a user reads: the message, then each field and what is wrong with it. */
function describe(status: number, body: unknown): string {
  const b = body as { message?: string; errors?: Array<{ field: string; message: string }> } | undefined;
  const errors = b?.errors ?? [];
  if (errors.length === 0) return `${status}: ${b?.message ?? String(body)}`;
  return [`${status}: the job is not valid`, ...errors.map((e) => `  ${e.field === '' ? '(body)' : e.field}: ${e.message}`)].join('\n');
}
