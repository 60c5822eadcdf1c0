/**
 * Choosing the isolator at agent start (`--isolation=cgroups|posix|auto`):
 *  - cgroup v2 if a cgroup2 hierarchy (preferably /sys/fs/cgroup) offers the memory and cpu
 *    controllers in its cgroup.controllers;
 *  - else cgroup v1 if the memory and cpu controllers are mounted (per /proc/self/mountinfo);
 *  - either way, proven by creating and removing a probe cgroup under the cgroups root.
 * `cgroups` fails loudly if that does not work; `auto` falls back to posix and says why.
 */
import { randomBytes } from 'node:crypto';
import { posix as path } from 'node:path';
import type { Logger } from 'pino';
import { readOptional } from './cgroup-io.js';
import { normalizeCgroupsRoot, parseControllerList } from './cgroup-values.js';
import { CgroupsV1Isolator, type CgroupsV1Mounts } from './cgroups-v1.js';
import { CgroupsV2Isolator, V2_CONTROLLERS } from './cgroups-v2.js';
import { describeError, IsolationError } from './errors.js';
import { cgroupV1Mounts, cgroupV2Mounts, readMounts, type MountEntry } from './mounts.js';
import { PosixIsolator } from './posix.js';
import type { Isolator } from './types.js';

export type IsolationRequest = 'cgroups' | 'posix' | 'auto';

export type CgroupsPlan =
  | { readonly version: 'v2'; readonly mount: string }
  | { readonly version: 'v1'; readonly mounts: CgroupsV1Mounts }
  | { readonly version: 'none'; readonly reason: string };

/**
 * Pure decision from the mount table and the `cgroup.controllers` of each cgroup2 mount
 * (mount point -> controller names; a mount missing from the map counts as having none).
 */
export function planCgroups(
  mounts: readonly MountEntry[],
  v2Controllers: ReadonlyMap<string, readonly string[]>,
): CgroupsPlan {
  const v2 = cgroupV2Mounts(mounts);
  for (const mount of v2) {
    const available = new Set(v2Controllers.get(mount) ?? []);
    if (V2_CONTROLLERS.every((c) => available.has(c))) return { version: 'v2', mount };
  }
  const v1 = cgroupV1Mounts(mounts);
  const memory = v1.get('memory');
  const cpu = v1.get('cpu');
  const cpuacct = v1.get('cpuacct');
  if (memory !== undefined && cpu !== undefined) {
    return { version: 'v1', mounts: cpuacct === undefined ? { memory, cpu } : { memory, cpu, cpuacct } };
  }
  const v2Text =
    v2.length === 0
      ? 'no cgroup2 filesystem is mounted'
      : v2.map((m) => `cgroup2 at ${m} offers [${(v2Controllers.get(m) ?? []).join(' ')}]`).join(', ');
  const v1Text =
    v1.size === 0
      ? 'no cgroup v1 controller is mounted'
      : `cgroup v1 has [${[...v1.keys()].sort().join(' ')}]` +
        ` (missing: ${['memory', 'cpu'].filter((c) => !v1.has(c)).join(' ')})`;
  return {
    version: 'none',
    reason: `no cgroup hierarchy with the memory and cpu controllers: ${v2Text}; ${v1Text}`,
  };
}

const ADVICE =
  'Run the agent as root, make sure the memory and cpu cgroup controllers are available ' +
  '(cgroup v2: a cgroup2 mount at /sys/fs/cgroup listing them in cgroup.controllers; ' +
  'cgroup v1: /sys/fs/cgroup/memory and /sys/fs/cgroup/cpu mounted), or start the agent with --isolation=posix.';

export interface SelectIsolatorOptions {
  /** cgroups root, e.g. `mesos` or `mesos/<agentId>`. */
  readonly cgroupsRoot: string;
  readonly log: Logger;
}

export interface SelectedIsolator {
  readonly isolator: Isolator;
  /** Set when `auto` could not use cgroups: why, for the agent to log and show in its state. */
  readonly fallbackReason?: string;
}

/** Build the cgroups isolator the host supports and prove it works with a probe cgroup. */
async function cgroupsIsolator(root: string, log: Logger): Promise<Isolator> {
  const mounts = await readMounts();
  const v2Controllers = new Map<string, string[]>();
  for (const mount of cgroupV2Mounts(mounts)) {
    const text = await readOptional(path.join(mount, 'cgroup.controllers')).catch(() => undefined);
    v2Controllers.set(mount, text === undefined ? [] : parseControllerList(text));
  }
  const plan = planCgroups(mounts, v2Controllers);
  if (plan.version === 'none') throw new IsolationError('CGROUPS_UNAVAILABLE', plan.reason);
  const isolator =
    plan.version === 'v2'
      ? new CgroupsV2Isolator({ mount: plan.mount, root, log })
      : new CgroupsV1Isolator({ mounts: plan.mounts, root, log });
  const probeId = `probe-${randomBytes(6).toString('hex')}`;
  try {
    await isolator.prepare(probeId, { cpus: 0.1, memMb: 32 });
    await isolator.cleanup(probeId);
  } catch (err) {
    await isolator.cleanup(probeId).catch(() => undefined);
    await isolator.removeRoot().catch(() => undefined); // only goes if we left it empty
    throw err;
  }
  return isolator;
}

export async function selectIsolator(requested: IsolationRequest, opts: SelectIsolatorOptions): Promise<SelectedIsolator> {
  const log = opts.log.child({ component: 'isolation' });
  if (requested === 'posix') {
    log.info({ isolation: 'posix' }, 'isolation selected (requested)');
    return { isolator: new PosixIsolator({ log: opts.log }) };
  }
  const root = normalizeCgroupsRoot(opts.cgroupsRoot);
  try {
    const isolator = await cgroupsIsolator(root, opts.log);
    log.info({ isolation: isolator.kind, cgroupsRoot: root }, 'isolation selected');
    return { isolator };
  } catch (err) {
    const uid = process.getuid?.();
    const what = describeError(err) + (uid !== undefined && uid !== 0 ? ` (the agent runs as uid ${uid}, not root)` : '');
    if (requested === 'cgroups') {
      throw new IsolationError('CGROUPS_UNAVAILABLE', `cgroups isolation is unavailable: ${what}. ${ADVICE}`, {
        cause: err,
      });
    }
    const fallbackReason = `cgroups isolation is unavailable (${what}); falling back to posix isolation: no CPU isolation, memory limits enforced only by polling RSS`;
    log.warn({ isolation: 'posix', fallbackReason }, 'isolation fell back to posix');
    return { isolator: new PosixIsolator({ log: opts.log }), fallbackReason };
  }
}
