/**
 * What can stop a replay, with stable codes (callers match on the code, never on the message) and
 * the exit status the `mesos replay` commands give for each.
 */
export type ReplayErrorCode =
  /** NATS is reachable but holds no cluster log. */
  | 'NO_LOG'
  /** A point (`--at`, `--from`, `--to`) that is not in the log. */
  | 'BAD_POINT'
  /** The task, agent or framework asked about never appears in the log. */
  | 'NOT_FOUND'
  /** An export file that cannot be read back. */
  | 'BAD_FILE';

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
  constructor(
    readonly code: ReplayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Exit statuses of `mesos replay …`: 0 fine; 1 an invariant does not hold, or the log cannot be read; 2 bad flags or points; 3 not found. */
export const EXIT = { OK: 0, VIOLATION: 1, FAILURE: 1, USAGE: 2, NOT_FOUND: 3 } as const;

export function exitCodeOf(err: unknown): number {
  if (err instanceof ReplayError) {
    if (err.code === 'BAD_POINT') return EXIT.USAGE;
    if (err.code === 'NOT_FOUND') return EXIT.NOT_FOUND;
  }
  return EXIT.FAILURE;
}
