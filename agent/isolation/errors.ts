/** Typed failures of the isolation layer. `code` is stable: callers and logs may match on it. */
export type IsolationErrorCode =
  /** No usable cgroup hierarchy (not mounted, controllers missing, not writable). */
  | 'CGROUPS_UNAVAILABLE'
  /** `--isolation` names something unknown, or a combination that cannot work. */
  | 'BAD_ISOLATION'
  /** An isolator asked for cannot work on this host (a tool or kernel feature is missing). */
  | 'ISOLATOR_UNAVAILABLE'
  | 'CGROUP_CREATE_FAILED'
  /** The container's cgroup already exists (e.g. left by a crashed agent): clean it up first. */
  | 'CGROUP_EXISTS'
  | 'CGROUP_WRITE_FAILED'
  | 'CGROUP_REMOVE_FAILED'
  /** A cgroups root still had container cgroups under it when asked to remove it. */
  | 'CGROUP_BUSY'
  /** Processes were still in the container after killing them for the allowed time. */
  | 'PROCESSES_REMAIN'
  | 'INVALID_CONTAINER_ID'
  | 'INVALID_CGROUPS_ROOT'
  | 'INVALID_LIMITS'
  | 'UNKNOWN_CONTAINER'
  | 'USER_NOT_FOUND'
  | 'USER_SWITCH_UNAVAILABLE'
  | 'USER_SWITCH_NOT_PERMITTED';

export class IsolationError extends Error {
  override readonly name = 'IsolationError';
  constructor(
    readonly code: IsolationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The errno code of a Node system error (`ENOENT`, `EBUSY`, ...), if it is one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** A short human description of an unknown error, for messages. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
