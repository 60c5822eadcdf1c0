/** A thin client of the services REST API (what `mesos services apply|list|show|…` call). */
export class ServicesApiError extends Error {
  override readonly name = 'ServicesApiError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }
}

export class ServicesClient {
  constructor(private readonly base: string) {}

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base.replace(/\/+$/, '')}${path}`, {
        method,
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}),
      });
    } catch (err) {
      throw new ServicesApiError(0, undefined, `cannot reach the services API at ${this.base}: ${(err as Error).message} (is \`mesos services\` running? \`mesos dev\` starts it)`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // a text answer (ping)
    }
    if (!res.ok) throw new ServicesApiError(res.status, parsed, describe(res.status, parsed));
    return parsed as T;
  }
}

/** Marathon's error body as lines a user reads: the message, then each field and what is wrong with it. */
function describe(status: number, body: unknown): string {
  const b = body as { message?: string; details?: Array<{ path: string; errors: string[] }> } | undefined;
  const head = `${status}: ${b?.message ?? String(body)}`;
  const details = (b?.details ?? []).map((d) => `  ${d.path}: ${d.errors.join('; ')}`);
  return [head, ...details].join('\n');
}
