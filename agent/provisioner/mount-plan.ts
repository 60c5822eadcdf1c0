/**
 * The mounts that make a container's root from its image (pure): the shell lines the task's init
 * runs as root inside the task's new mount namespace (so none of them is seen by the host, and all
 * vanish with the namespace), before the chroot into the root (see containerizer):
 * - the rootfs: an overlay (lower = the cached image rootfs, upper/work in the container's
 *   provisioner directory), or a private copy already made by the agent;
 * - the sandbox at /mnt/mesos/sandbox, /proc, /sys read-only, a minimal /dev (null, zero, full,
 *   random, urandom, tty bound from the host, a private /dev/shm), the host's /etc/hosts,
 *   /etc/resolv.conf and /etc/hostname (as Mesos does for a container on the host network);
 * - the task's volumes (bind mounts; `RO` remounted read-only).
 * The mount points themselves are made beforehand by the agent (rootfs-layout.ts).
 */
import { shellQuote } from '../isolation/launch-wrapper.js';

/** Where the sandbox is inside a container with an image (Mesos's). */
export const SANDBOX_IN_CONTAINER = '/mnt/mesos/sandbox';
export const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;
export const HOST_FILES = ['/etc/hosts', '/etc/resolv.conf', '/etc/hostname'] as const;

export interface VolumeMount {
  /** Host path bound. */
  readonly source: string;
  /** Absolute path inside the container. */
  readonly target: string;
  readonly readOnly: boolean;
}

export interface MountPlan {
  readonly mount: string;
  readonly rootfs: string;
  readonly overlay?: { readonly lower: string; readonly upper: string; readonly work: string };
  readonly sandbox: string;
  /** The host files of HOST_FILES that exist. */
  readonly hostFiles: readonly string[];
  readonly volumes: readonly VolumeMount[];
}

/** Characters that the overlay option string cannot carry in a path. */
export function overlayPathProblem(p: string): string | undefined {
  return /[,:\\\n]/.test(p) ? `path ${JSON.stringify(p)} has a character overlayfs options cannot carry (, : \\ newline)` : undefined;
}

export function mountLines(p: MountPlan): string[] {
  const m = shellQuote(p.mount);
  const at = (inside: string): string => shellQuote(`${p.rootfs}${inside}`);
  const lines: string[] = [];
  if (p.overlay !== undefined) {
    lines.push(`${m} -t overlay overlay -o ${shellQuote(`lowerdir=${p.overlay.lower},upperdir=${p.overlay.upper},workdir=${p.overlay.work}`)} ${shellQuote(p.rootfs)}`);
  }
  lines.push(`${m} --bind ${shellQuote(p.sandbox)} ${at(SANDBOX_IN_CONTAINER)}`);
  lines.push(`${m} -t proc -o nosuid,nodev,noexec proc ${at('/proc')}`);
  lines.push(`${m} -t sysfs -o ro,nosuid,nodev,noexec sysfs ${at('/sys')}`);
  for (const d of DEVICES) lines.push(`${m} --bind /dev/${d} ${at(`/dev/${d}`)}`);
  lines.push(`${m} -t tmpfs -o nosuid,nodev,mode=1777 tmpfs ${at('/dev/shm')}`);
  for (const f of p.hostFiles) lines.push(`${m} --bind ${shellQuote(f)} ${at(f)}`);
  for (const v of p.volumes) {
    lines.push(`${m} --bind ${shellQuote(v.source)} ${at(v.target)}`);
    if (v.readOnly) lines.push(`${m} -o remount,bind,ro ${at(v.target)}`);
  }
  return lines;
}

/** The exec that enters the root: util-linux unshare chroots, changes directory, then drops to the task's user. */
export function enterRootArgv(unshare: string, rootfs: string, workingDir: string, user: { uid: number; gid: number } | undefined): string[] {
  return [unshare, `--root=${rootfs}`, `--wd=${workingDir}`, ...(user !== undefined ? ['--setgid', String(user.gid), '--setuid', String(user.uid)] : []), '--'];
}
