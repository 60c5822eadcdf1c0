/**
 * `--isolation`: which isolators the agent runs, as in Apache Mesos a comma-separated list of
 * names (`cgroups/cpu,cgroups/mem,cgroups/pids,namespaces/pid,disk/du`), or one of the shortcuts
 * `auto`, `cgroups`, `posix`. Pure: parsing and validation only (detect.ts checks the host).
 *
 * | name | what it does |
 * |---|---|
 * | cgroups/cpu | cpu shares (cpu.shares / cpu.weight) always; a hard CFS quota with --cgroups-enable-cfs |
 * | cgroups/mem | memory hard limit; an OOM kill is TASK_FAILED REASON_CONTAINER_LIMITATION_MEMORY |
 * | cgroups/pids | a process (and thread) limit per task (--cgroups-pids-max) |
 * | cgroups/devices | a device cgroup per task (used by gpu/nvidia; cgroup v1 only) |
 * | posix/cpu, posix/mem | no cgroups: the task's session; memory limit by polling RSS |
 * | namespaces/pid | each task in its own pid namespace (its init is pid 1); killing it kills all in it |
 * | filesystem/linux (= namespaces/mount) | each task in its own mount namespace, with /tmp its sandbox's tmp |
 * | namespaces/network | tasks that ask for it (container network NONE) get an empty network namespace |
 * | namespaces/cgroup | each task in a cgroup namespace rooted at its cgroups, with the cgroup filesystems read-only in its own mount namespace: it cannot leave its cgroups |
 * | disk/du | sandbox usage measured with du(1) against the task's disk; over it: REASON_CONTAINER_LIMITATION_DISK |
 * | gpu/nvidia | tasks see only their GPUs (CUDA_VISIBLE_DEVICES; the devices cgroup on cgroup v1) |
 *
 * Shortcuts: `cgroups` = cgroups/cpu,cgroups/mem,cgroups/pids (fails if cgroups cannot be used);
 * `posix` = posix/cpu,posix/mem; `auto` = `cgroups` when the host allows it (controllers it lacks
 * are left out and said), else `posix` (said loudly). `auto` and `cgroups` add namespaces/cgroup
 * when the host can make cgroup namespaces (left out, and said, when it cannot); named, it is required. A shortcut may be followed by more names:
 * `auto,namespaces/pid,disk/du`.
 */
import { IsolationError } from './errors.js';

export const ISOLATOR_NAMES = [
  'cgroups/cpu',
  'cgroups/mem',
  'cgroups/pids',
  'cgroups/devices',
  'posix/cpu',
  'posix/mem',
  'namespaces/pid',
  'filesystem/linux',
  'namespaces/network',
  'namespaces/cgroup',
  'disk/du',
  'gpu/nvidia',
] as const;
export type IsolatorName = (typeof ISOLATOR_NAMES)[number];

export const SHORTCUTS = ['auto', 'cgroups', 'posix'] as const;
export type Shortcut = (typeof SHORTCUTS)[number];

const ALIASES: Readonly<Record<string, IsolatorName>> = { 'namespaces/mount': 'filesystem/linux' };

export type CgroupController = 'cpu' | 'mem' | 'pids' | 'devices';

export interface IsolationRequest {
  /** How the container itself is made: cgroups (required), cgroups if possible, or posix. */
  readonly host: 'cgroups' | 'auto' | 'posix';
  /** cgroup controllers asked for by name: without them the agent does not start (or, with `auto`, falls back to posix). */
  readonly controllers: ReadonlySet<CgroupController>;
  /** Controllers used when the host has them and left out (and said) when it has not. */
  readonly optionalControllers: ReadonlySet<CgroupController>;
  readonly pidNamespace: boolean;
  readonly mountNamespace: boolean;
  readonly networkNamespace: boolean;
  /** namespaces/cgroup: named (required), taken along by `auto`/`cgroups` (used if the host can), or not at all. */
  readonly cgroupNamespace: 'required' | 'optional' | 'off';
  readonly diskDu: boolean;
  readonly gpu: boolean;
  /** The names as given (shortcuts expanded), for the agent's state. */
  readonly names: readonly string[];
}

const CGROUP_OF: Readonly<Partial<Record<IsolatorName, CgroupController>>> = {
  'cgroups/cpu': 'cpu',
  'cgroups/mem': 'mem',
  'cgroups/pids': 'pids',
  'cgroups/devices': 'devices',
};

/** Parse `--isolation`. Throws IsolationError BAD_ISOLATION with what is wrong and what is allowed. */
export function parseIsolation(text: string): IsolationRequest {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = (msg: string): never => {
    throw new IsolationError(
      'BAD_ISOLATION',
      `--isolation ${JSON.stringify(text)}: ${msg}. Use a comma-separated list of ${ISOLATOR_NAMES.join(', ')}, ` +
        `optionally after one of the shortcuts ${SHORTCUTS.join(', ')}.`,
    );
  };
  if (items.length === 0) bad('no isolator named');
  let host: IsolationRequest['host'] | undefined;
  const names = new Set<IsolatorName>();
  const optional = new Set<CgroupController>();
  items.forEach((item, i) => {
    if ((SHORTCUTS as readonly string[]).includes(item)) {
      if (i !== 0) bad(`the shortcut "${item}" must come first`);
      host = item as Shortcut;
      if (item !== 'posix') {
        names.add('cgroups/cpu');
        names.add('cgroups/mem');
        optional.add('pids');
      } else {
        names.add('posix/cpu');
        names.add('posix/mem');
      }
      return;
    }
    const name = ALIASES[item] ?? (ISOLATOR_NAMES as readonly string[]).find((n) => n === item);
    if (name === undefined) bad(`unknown isolator "${item}"`);
    names.add(name as IsolatorName);
  });
  const controllers = new Set<CgroupController>();
  for (const n of names) {
    const c = CGROUP_OF[n];
    if (c !== undefined) controllers.add(c);
  }
  if (names.has('gpu/nvidia')) optional.add('devices');
  for (const c of controllers) optional.delete(c);
  const posix = names.has('posix/cpu') || names.has('posix/mem');
  const shortcut = host;
  if (host === undefined) host = controllers.size > 0 ? 'cgroups' : 'posix';
  if (host === 'posix' && controllers.size > 0) {
    bad(`posix isolation cannot be combined with ${[...names].filter((n) => CGROUP_OF[n] !== undefined).join(', ')}`);
  }
  // e.g. "cgroups/mem,posix/cpu": the container is a cgroup; posix/cpu adds only its usage figures.
  void posix;
  return {
    host,
    controllers,
    optionalControllers: host === 'posix' ? new Set() : optional,
    pidNamespace: names.has('namespaces/pid'),
    mountNamespace: names.has('filesystem/linux'),
    networkNamespace: names.has('namespaces/network'),
    cgroupNamespace: names.has('namespaces/cgroup') ? 'required' : shortcut === 'auto' || shortcut === 'cgroups' ? 'optional' : 'off',
    diskDu: names.has('disk/du'),
    gpu: names.has('gpu/nvidia'),
    names: [...names],
  };
}

/** The same request with the gpu/nvidia isolator added (an agent with GPUs under `auto`). */
export function withGpu(r: IsolationRequest): IsolationRequest {
  if (r.gpu) return r;
  const optional = new Set(r.optionalControllers);
  if (r.host !== 'posix' && !r.controllers.has('devices')) optional.add('devices');
  return { ...r, gpu: true, optionalControllers: optional, names: [...r.names, 'gpu/nvidia'] };
}
