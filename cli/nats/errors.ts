// Typed errors of the nats-server launcher, with stable codes (callers match on `code`).

export type NatsServerErrorCode = 'NATS_SERVER_MISSING' | 'NATS_SERVER_START_FAILED';

export class NatsServerError extends Error {
  readonly code: NatsServerErrorCode;
  constructor(code: NatsServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NatsServerError';
    this.code = code;
  }
}

/** A start that failed; `bindFailure` says whether another port may work (the port was taken). */
export class LaunchError extends NatsServerError {
  readonly bindFailure: boolean;
  constructor(message: string, bindFailure: boolean) {
    super('NATS_SERVER_START_FAILED', message);
    this.bindFailure = bindFailure;
  }
}

/** True when a server's output says its port was taken. */
export function isBindFailure(log: string): boolean {
  return /address already in use|bind: /i.test(log);
}
