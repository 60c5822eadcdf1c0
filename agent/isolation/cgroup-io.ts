/**
 * File-system operations on cgroup directories shared by the v1 and v2 isolators: reading and
 * writing control files with typed errors, creating cgroups, and emptying + removing them.
 */
import { mkdir, readdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { describeError, errnoCode, IsolationError } from './errors.js';
import { parseProcs } from './cgroup-values.js';
import { livePids } from './proc.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Contents of a control file, or undefined if it (or its cgroup) does not exist. */
export async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENODEV' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export async function pathExists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

export async function writeControl(file: string, value: string): Promise<void> {
  try {
    await writeFile(file, value);
  } catch (err) {
    throw new IsolationError(
      'CGROUP_WRITE_FAILED',
      `cannot write ${JSON.stringify(value)} to ${file}: ${describeError(err)}`,
      { cause: err },
    );
  }
}

/** mkdir one cgroup (its parent must exist). Returns true if it was created, false if it existed. */
export async function makeCgroup(dir: string): Promise<boolean> {
  try {
    await mkdir(dir);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw new IsolationError('CGROUP_CREATE_FAILED', `cannot create cgroup ${dir}: ${describeError(err)}`, {
      cause: err,
    });
  }
}

/**
 * Refuse to reuse a container cgroup: one that exists belongs to another (or a crashed) run,
 * and its processes must not be mixed with ours. Checked before anything is created.
 */
export async function assertNoCgroup(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    if (await pathExists(dir)) {
      throw new IsolationError(
        'CGROUP_EXISTS',
        `cgroup ${dir} already exists (left by an earlier run?); destroy it with cleanup() before reusing the container id`,
      );
    }
  }
}

/**
 * Live pids in a cgroup's `cgroup.procs` ([] if the cgroup does not exist). Zombies are left
 * out: they are dead, hold no resources, and some kernels still list them until reaped.
 */
export async function readPids(dir: string): Promise<number[]> {
  const text = await readOptional(`${dir}/cgroup.procs`).catch(() => undefined);
  return text === undefined ? [] : livePids(parseProcs(text));
}

/** Send a signal to each pid, ignoring processes that are already gone. */
export function signalPids(pids: Iterable<number>, signal: NodeJS.Signals): void {
  for (const pid of pids) {
    if (pid <= 1) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // ESRCH: already gone; EPERM cannot happen as root for our own children.
    }
  }
}

/** Names of the child cgroups (sub-directories) of `dir`; [] if it does not exist. */
export async function childCgroups(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}

export interface DrainOptions {
  /** Give up after this long (PROCESSES_REMAIN). */
  readonly timeoutMs: number;
  /**
   * Kill everything in one go (cgroup v2 `cgroup.kill`) instead of signalling pid by pid.
   * Called on every round until the cgroups are empty.
   */
  readonly killAll?: () => Promise<void>;
}

/**
 * SIGKILL every process in the given cgroups, again and again (a process may fork while we
 * read the list), until all of them are empty.
 */
export async function drainCgroups(dirs: readonly string[], opts: DrainOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let delay = 5;
  for (;;) {
    const pids = new Set<number>();
    for (const dir of dirs) for (const pid of await readPids(dir)) pids.add(pid);
    if (pids.size === 0) return;
    if (Date.now() > deadline) {
      throw new IsolationError(
        'PROCESSES_REMAIN',
        `processes ${[...pids].join(', ')} are still in ${dirs.join(', ')} after ${opts.timeoutMs} ms of SIGKILL (stuck in uninterruptible sleep?)`,
      );
    }
    if (opts.killAll !== undefined) await opts.killAll().catch(() => signalPids(pids, 'SIGKILL'));
    else signalPids(pids, 'SIGKILL');
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}

/**
 * rmdir a cgroup, retrying while the kernel still reports it busy (it can lag a moment behind
 * the last process exiting). A cgroup that is already gone is fine.
 */
export async function removeCgroup(dir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > deadline) {
        throw new IsolationError('CGROUP_REMOVE_FAILED', `cannot remove cgroup ${dir}: ${describeError(err)}`, {
          cause: err,
        });
      }
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}

/**
 * Remove the root cgroups `chain` (outermost first, as from rootChain()) innermost first. The
 * innermost (our own root) must go; its parents are removed only if empty (they may be shared
 * with other agents), so their failures are ignored.
 */
export async function removeRootChain(chain: readonly string[], timeoutMs: number): Promise<void> {
  const inner = chain[chain.length - 1];
  if (inner === undefined) return;
  const leftovers = await childCgroups(inner);
  if (leftovers.length > 0) {
    throw new IsolationError(
      'CGROUP_BUSY',
      `cannot remove cgroups root ${inner}: containers ${leftovers.join(', ')} are still under it`,
    );
  }
  await removeCgroup(inner, timeoutMs);
  for (const dir of chain.slice(0, -1).reverse()) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (another agent's root) or already gone
    }
  }
}
