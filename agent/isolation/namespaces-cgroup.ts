/**
 * namespaces/cgroup: a task cannot leave its cgroups. It runs in a cgroup namespace made after it
 * joined its cgroups (so /proc/self/cgroup shows `/` and the cgroups above it are out of its
 * view), in a mount namespace of its own where every cgroup filesystem (v1 hierarchies, the v2
 * unified mount, and the /sys/fs/cgroup tmpfs holding them) is remounted read-only: writing a
 * cgroup.procs file or making a cgroup fails with EROFS. The host's mounts are untouched
 * (a bind remount changes only this namespace's mount). Works the same on cgroup v1 and v2.
 */
import { shellQuote } from './launch-wrapper.js';
import type { MountEntry } from './mounts.js';
import type { LaunchContribution, TaskIsolator } from './task-isolator.js';

/** The unshare(1) flags the isolator needs (the agent probes them at start). */
export const CGROUP_NAMESPACE_FLAGS = ['--cgroup', '--mount'] as const;

/** Mount points to make read-only: cgroup and cgroup2 filesystems, and the tmpfs at /sys/fs/cgroup; in mount-table order. */
export function cgroupMountPoints(entries: readonly MountEntry[]): string[] {
  const points = entries
    .filter((e) => e.fsType === 'cgroup' || e.fsType === 'cgroup2' || e.mountPoint === '/sys/fs/cgroup')
    .map((e) => e.mountPoint);
  return [...new Set(points)];
}

/** The setup lines (run as root inside the task's new mount namespace) that make them read-only. */
export function readOnlyRemounts(mount: string, points: readonly string[]): string[] {
  return points.map((p) => `${shellQuote(mount)} -o remount,bind,ro ${shellQuote(p)}`);
}

export function createCgroupNamespaceIsolator(mount: string, points: readonly string[]): TaskIsolator {
  const setup = readOnlyRemounts(mount, points);
  return {
    name: 'namespaces/cgroup',
    async prepare(): Promise<LaunchContribution> {
      return { unshare: [...CGROUP_NAMESPACE_FLAGS], setup };
    },
  };
}
