/**
 * Where the cgroup hierarchies are mounted: parsing /proc/self/mountinfo (or /proc/mounts as a
 * fallback) into mount entries, and picking the cgroup v1 controller mounts and the cgroup v2
 * (unified) mount out of them.
 */
import { readFile } from 'node:fs/promises';

export interface MountEntry {
  readonly mountPoint: string;
  /** Path inside the filesystem that is mounted here (`/` unless it is a bind mount). */
  readonly root: string;
  readonly fsType: string;
  readonly source: string;
  /** Per-superblock options; for cgroup v1 these name the controllers (`rw,cpu,cpuacct`). */
  readonly superOptions: readonly string[];
}

/** The kernel escapes space, tab, newline and backslash in mount paths as `\ooo` octal. */
export function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * `/proc/<pid>/mountinfo`:
 * `id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions`
 */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 4) continue;
    const root = fields[3];
    const mountPoint = fields[4];
    const fsType = fields[sep + 1];
    const source = fields[sep + 2];
    const superOptions = fields[sep + 3];
    if (root === undefined || mountPoint === undefined || fsType === undefined) continue;
    if (source === undefined || superOptions === undefined) continue;
    out.push({
      mountPoint: unescapeMountPath(mountPoint),
      root: unescapeMountPath(root),
      fsType,
      source: unescapeMountPath(source),
      superOptions: superOptions.split(','),
    });
  }
  return out;
}

/** `/proc/mounts`: `source mountpoint fstype options dump pass` (no bind-mount root known). */
export function parseProcMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const [source, mountPoint, fsType, options] = fields;
    if (source === undefined || mountPoint === undefined || fsType === undefined || options === undefined) continue;
    out.push({
      mountPoint: unescapeMountPath(mountPoint),
      root: '/',
      fsType,
      source: unescapeMountPath(source),
      superOptions: options.split(','),
    });
  }
  return out;
}

/** cgroup v1 controller names (anything else in the options is a mount flag or `name=`). */
const V1_CONTROLLERS = new Set([
  'blkio',
  'cpu',
  'cpuacct',
  'cpuset',
  'devices',
  'freezer',
  'hugetlb',
  'memory',
  'misc',
  'net_cls',
  'net_prio',
  'perf_event',
  'pids',
  'rdma',
]);

/**
 * Controller -> mount point for cgroup v1 hierarchies. Co-mounted controllers (`cpu,cpuacct`)
 * map to the same mount point. When a hierarchy is mounted several times (bind mounts), the
 * mount of its root (`/`) wins, else the first one listed.
 */
export function cgroupV1Mounts(entries: readonly MountEntry[]): Map<string, string> {
  const out = new Map<string, string>();
  const fromRoot = new Set<string>();
  for (const e of entries) {
    if (e.fsType !== 'cgroup') continue;
    for (const opt of e.superOptions) {
      if (!V1_CONTROLLERS.has(opt)) continue;
      const isRoot = e.root === '/';
      if (!out.has(opt) || (isRoot && !fromRoot.has(opt))) {
        out.set(opt, e.mountPoint);
        if (isRoot) fromRoot.add(opt);
      }
    }
  }
  return out;
}

/** Mount points of cgroup2 filesystems, `/sys/fs/cgroup` first if present. */
export function cgroupV2Mounts(entries: readonly MountEntry[]): string[] {
  const points = [...new Set(entries.filter((e) => e.fsType === 'cgroup2').map((e) => e.mountPoint))];
  return points.sort((a, b) => Number(b === '/sys/fs/cgroup') - Number(a === '/sys/fs/cgroup'));
}

/** Reads this process's mount table: /proc/self/mountinfo, else /proc/mounts. */
export async function readMounts(): Promise<MountEntry[]> {
  try {
    return parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  } catch {
    return parseProcMounts(await readFile('/proc/mounts', 'utf8'));
  }
}
