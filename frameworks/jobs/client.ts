/** A thin client of the jobs REST API (what `mesos jobs list|show|run|delete|history` call). */
export class JobsApiError extends Error {
  override readonly name = 'JobsApiError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }
}

export class JobsClient {
  constructor(private readonly base: string) {}

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base.replace(/\/+$/, '')}${path}`, {
        method,
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}),
      });
    } catch (err) {
      throw new JobsApiError(0, undefined, `cannot reach the jobs API at ${this.base}: ${(err as Error).message} (is \`mesos jobs\` running? \`mesos dev\` starts it)`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // a text answer (the graph)
    }
    if (!res.ok) throw new JobsApiError(res.status, parsed, describe(res.status, parsed));
    return parsed as T;
  }
}

/** Chronos's error body as lines a user reads: the message, then each field and what is wrong with it. */
function describe(status: number, body: unknown): string {
  const b = body as { message?: string; errors?: Array<{ field: string; message: string }> } | undefined;
  const errors = b?.errors ?? [];
  if (errors.length === 0) return `${status}: ${b?.message ?? String(body)}`;
  return [`${status}: the job is not valid`, ...errors.map((e) => `  ${e.field === '' ? '(body)' : e.field}: ${e.message}`)].join('\n');
}
