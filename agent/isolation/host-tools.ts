/**
 * The host programs the agent runs, found once at start in the system directories (never through
 * the agent's PATH): util-linux's setsid, unshare, mount and setpriv; iproute2's ip; coreutils' du;
 * tar and unzip for the fetcher. Each isolator says which it needs; a missing one is a clear error
 * at start, not a failed task later.
 */
import { findExecutable } from './user.js';

export interface HostTools {
  readonly setsid?: string;
  readonly unshare?: string;
  readonly mount?: string;
  /** To run a command check inside a task's namespaces. */
  readonly nsenter?: string;
  readonly ip?: string;
  readonly du?: string;
  readonly tar?: string;
  readonly unzip?: string;
  /** coreutils' cp: the provisioner's copy backend. */
  readonly cp?: string;
}

export async function findHostTools(): Promise<HostTools> {
  const names = ['setsid', 'unshare', 'mount', 'nsenter', 'ip', 'du', 'tar', 'unzip', 'cp'] as const;
  const found = await Promise.all(names.map((n) => findExecutable(n)));
  const out: { -readonly [K in keyof HostTools]: string } = {};
  names.forEach((n, i) => {
    const p = found[i];
    if (p !== undefined) out[n] = p;
  });
  return out;
}

/**
 * Can this agent make the namespaces it is asked for? Runs `unshare <flags> -- /bin/true` once.
 * Resolves with why not (undefined when it works).
 */
export async function probeUnshare(unshare: string, flags: readonly string[]): Promise<string | undefined> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(unshare, [...flags, '--', '/bin/true'], { timeout: 10_000 }, (err, _stdout, stderr) => {
      resolve(err === null ? undefined : (stderr || err.message).trim());
    });
  });
}
