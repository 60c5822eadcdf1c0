/**
 * Making the container isolator the `--isolation` request asks for, at agent start:
 *  - cgroup v2 if a cgroup2 hierarchy (preferably /sys/fs/cgroup) offers every required controller
 *    in its cgroup.controllers;
 *  - else cgroup v1 if every required controller is mounted (per /proc/self/mountinfo);
 *  - either way, proven by creating and removing a probe cgroup under the cgroups root.
 * Optional controllers (pids and devices under the `auto`/`cgroups` shortcuts and gpu/nvidia) are
 * used where the chosen hierarchy has them, and said where it has not. A request naming cgroups
 * fails loudly when they cannot be used; `auto` falls back to posix and says why.
 */
import { randomBytes } from 'node:crypto';
import { posix as path } from 'node:path';
import type { Logger } from 'pino';
import { readOptional } from './cgroup-io.js';
import { normalizeCgroupsRoot, parseControllerList } from './cgroup-values.js';
import { CgroupsV1Isolator, type CgroupsV1Mounts } from './cgroups-v1.js';
import { CgroupsV2Isolator, type V2Controller } from './cgroups-v2.js';
import { describeError, IsolationError } from './errors.js';
import { cgroupV1Mounts, cgroupV2Mounts, readMounts, type MountEntry } from './mounts.js';
import { PosixIsolator } from './posix.js';
import { type CgroupController, type IsolationRequest, parseIsolation } from './selection.js';
import type { Isolator } from './types.js';

/** Kernel controller names, as in /proc/mounts (v1) and cgroup.controllers (v2). */
export type KernelController = 'memory' | 'cpu' | 'pids' | 'devices';

const KERNEL_NAME: Readonly<Record<CgroupController, KernelController>> = { mem: 'memory', cpu: 'cpu', pids: 'pids', devices: 'devices' };

export interface ControllerWant {
  readonly required: readonly KernelController[];
  readonly optional: readonly KernelController[];
}

/** What the old `cgroups` isolation asked for: memory and cpu. */
const DEFAULT_WANT: ControllerWant = { required: ['memory', 'cpu'], optional: [] };

export type CgroupsPlan =
  | { readonly version: 'v2'; readonly mount: string; readonly controllers: readonly V2Controller[]; readonly missing: readonly KernelController[] }
  | { readonly version: 'v1'; readonly mounts: CgroupsV1Mounts; readonly missing: readonly KernelController[] }
  | { readonly version: 'none'; readonly reason: string };

/**
 * Pure decision from the mount table and the `cgroup.controllers` of each cgroup2 mount
 * (mount point -> controller names; a mount missing from the map counts as having none).
 * `missing`: optional controllers the chosen hierarchy lacks.
 */
export function planCgroups(
  mounts: readonly MountEntry[],
  v2Controllers: ReadonlyMap<string, readonly string[]>,
  want: ControllerWant = DEFAULT_WANT,
): CgroupsPlan {
  const v2 = cgroupV2Mounts(mounts);
  // cgroup v2 has no devices controller (device access is an eBPF program there).
  if (!want.required.includes('devices')) {
    for (const mount of v2) {
      const available = new Set(v2Controllers.get(mount) ?? []);
      if (!want.required.every((c) => available.has(c))) continue;
      const use = [...want.required, ...want.optional.filter((c) => available.has(c))].filter((c): c is V2Controller => c !== 'devices');
      return { version: 'v2', mount, controllers: use, missing: want.optional.filter((c) => !available.has(c)) };
    }
  }
  const v1 = cgroupV1Mounts(mounts);
  if (want.required.every((c) => v1.has(c))) {
    const out: { -readonly [K in keyof CgroupsV1Mounts]: string } = {};
    for (const c of [...want.required, ...want.optional]) {
      const m = v1.get(c);
      if (m !== undefined) out[c] = m;
    }
    const acct = v1.get('cpuacct');
    if (acct !== undefined) out.cpuacct = acct;
    return { version: 'v1', mounts: out, missing: want.optional.filter((c) => !v1.has(c)) };
  }
  const v2Text =
    v2.length === 0
      ? 'no cgroup2 filesystem is mounted'
      : v2.map((m) => `cgroup2 at ${m} offers [${(v2Controllers.get(m) ?? []).join(' ')}]`).join(', ');
  const v1Text =
    v1.size === 0
      ? 'no cgroup v1 controller is mounted'
      : `cgroup v1 has [${[...v1.keys()].sort().join(' ')}]` + ` (missing: ${want.required.filter((c) => !v1.has(c)).join(' ')})`;
  return {
    version: 'none',
    reason: `no cgroup hierarchy with the ${want.required.join(' and ')} controller${want.required.length > 1 ? 's' : ''}: ${v2Text}; ${v1Text}`,
  };
}

const ADVICE =
  'Run the agent as root, make sure the cgroup controllers are available ' +
  '(cgroup v2: a cgroup2 mount at /sys/fs/cgroup listing them in cgroup.controllers; ' +
  'cgroup v1: /sys/fs/cgroup/<controller> mounted), or start the agent with --isolation=posix.';

export interface SelectIsolatorOptions {
  /** cgroups root, e.g. `mesos` or `mesos/<agentId>`. */
  readonly cgroupsRoot: string;
  readonly log: Logger;
  /** A hard CFS quota besides the shares (--cgroups-enable-cfs). */
  readonly enableCfs?: boolean;
}

export interface SelectedIsolator {
  readonly isolator: Isolator;
  /** Set when `auto` could not use cgroups: why, for the agent to log and show in its state. */
  readonly fallbackReason?: string;
  /** cgroup controllers in use (none for posix). */
  readonly controllers: readonly string[];
  /** Optional controllers the host lacks (said at start). */
  readonly missing: readonly string[];
}

function wantOf(r: IsolationRequest): ControllerWant {
  const required = [...r.controllers].map((c) => KERNEL_NAME[c]);
  const optional = [...r.optionalControllers].map((c) => KERNEL_NAME[c]).filter((c) => !required.includes(c));
  return { required, optional };
}

/** Build the cgroups isolator the host supports and prove it works with a probe cgroup. */
async function cgroupsIsolator(root: string, want: ControllerWant, o: SelectIsolatorOptions): Promise<{ isolator: Isolator; missing: readonly KernelController[]; controllers: readonly string[] }> {
  const mounts = await readMounts();
  const v2Controllers = new Map<string, string[]>();
  for (const mount of cgroupV2Mounts(mounts)) {
    const text = await readOptional(path.join(mount, 'cgroup.controllers')).catch(() => undefined);
    v2Controllers.set(mount, text === undefined ? [] : parseControllerList(text));
  }
  const plan = planCgroups(mounts, v2Controllers, want);
  if (plan.version === 'none') throw new IsolationError('CGROUPS_UNAVAILABLE', plan.reason);
  const opts = { root, log: o.log, enableCfs: o.enableCfs ?? false };
  const isolator =
    plan.version === 'v2'
      ? new CgroupsV2Isolator({ ...opts, mount: plan.mount, controllers: plan.controllers })
      : new CgroupsV1Isolator({ ...opts, mounts: plan.mounts });
  const probeId = `probe-${randomBytes(6).toString('hex')}`;
  try {
    await isolator.prepare(probeId, { cpus: 0.1, memMb: 32, pids: 16 });
    await isolator.cleanup(probeId);
  } catch (err) {
    await isolator.cleanup(probeId).catch(() => undefined);
    await isolator.removeRoot().catch(() => undefined); // only goes if we left it empty
    throw err;
  }
  return { isolator, missing: plan.missing, controllers: isolator.controllers() };
}

/** `request`: the parsed `--isolation`, or (older callers) one of its shortcuts. */
export async function selectIsolator(request: IsolationRequest | 'cgroups' | 'posix' | 'auto', opts: SelectIsolatorOptions): Promise<SelectedIsolator> {
  const r = typeof request === 'string' ? parseIsolation(request) : request;
  const log = opts.log.child({ component: 'isolation' });
  if (r.host === 'posix') {
    log.info({ isolation: 'posix' }, 'isolation selected (requested)');
    return { isolator: new PosixIsolator({ log: opts.log }), controllers: [], missing: [] };
  }
  const root = normalizeCgroupsRoot(opts.cgroupsRoot);
  const want = wantOf(r);
  try {
    const { isolator, missing, controllers } = await cgroupsIsolator(root, want, opts);
    log.info({ isolation: isolator.kind, cgroupsRoot: root, controllers, missing }, 'isolation selected');
    if (missing.length > 0) log.warn({ missing }, 'some optional cgroup controllers are not available on this host; their limits are not enforced');
    return { isolator, controllers, missing };
  } catch (err) {
    const uid = process.getuid?.();
    const what = describeError(err) + (uid !== undefined && uid !== 0 ? ` (the agent runs as uid ${uid}, not root)` : '');
    if (r.host === 'cgroups') {
      throw new IsolationError('CGROUPS_UNAVAILABLE', `cgroups isolation is unavailable: ${what}. ${ADVICE}`, {
        cause: err,
      });
    }
    const fallbackReason = `cgroups isolation is unavailable (${what}); falling back to posix isolation: no CPU isolation, memory limits enforced only by polling RSS`;
    log.warn({ isolation: 'posix', fallbackReason }, 'isolation fell back to posix');
    return { isolator: new PosixIsolator({ log: opts.log }), fallbackReason, controllers: [], missing: [] };
  }
}
