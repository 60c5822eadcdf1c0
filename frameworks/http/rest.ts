/**
 * A thin JSON-over-HTTP client of a reference framework's REST API (the services' Marathon API,
 * the jobs' Chronos API): one call, its answer parsed as JSON when it is JSON (else its text), and an
 * error that says what the framework said (each framework turns its own error body into lines).
 */
export class RestApiError extends Error {
  override readonly name: string = 'RestApiError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }
}

export interface RestApi {
  /** What the API is, for messages ("the jobs API"). */
  readonly what: string;
  /** The command that serves it ("mesos jobs"). */
  readonly command: string;
  /** The framework's error body as lines a user reads. */
  readonly describe: (status: number, body: unknown) => string;
  /** The error to throw (the framework's own class, a RestApiError). */
  readonly error: new (status: number, body: unknown, message: string) => RestApiError;
}

export class RestClient {
  constructor(
    private readonly base: string,
    private readonly api: RestApi,
  ) {}

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base.replace(/\/+$/, '')}${path}`, {
        method,
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}),
      });
    } catch (err) {
      throw new this.api.error(0, undefined, `cannot reach ${this.api.what} at ${this.base}: ${(err as Error).message} (is \`${this.api.command}\` running? \`mesos dev\` starts it)`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // a text answer (a ping, a graph)
    }
    if (!res.ok) throw new this.api.error(res.status, parsed, this.api.describe(res.status, parsed));
    return parsed as T;
  }
}
