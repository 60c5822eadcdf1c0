/**
 * Running another command in a container's context (a command check): its cgroups, its namespaces
 * (nsenter into the task, or into its init with a pid namespace), its user, its environment.
 */
import { readFileSync } from 'node:fs';
import { commandArgv, WRAPPER_NAME, wrapperScript } from '../isolation/launch-wrapper.js';
import type { ContainerExec } from './types.js';

/** nsenter(1) flags for the namespaces made by these unshare(1) flags. */
export function nsenterFlags(unshareFlags: readonly string[]): string[] {
  const out: string[] = [];
  if (unshareFlags.includes('--mount') || unshareFlags.includes('--mount-proc')) out.push('--mount');
  if (unshareFlags.includes('--net')) out.push('--net');
  if (unshareFlags.includes('--pid')) out.push('--pid');
  // After joining the task's cgroups (the wrapper), so that the check is contained as the task is.
  if (unshareFlags.includes('--cgroup')) out.push('--cgroup');
  return out;
}

/** A process inside the task's namespaces: the task itself, or with a pid namespace its init (the child of unshare). */
function namespaceTarget(pid: number, pidNamespace: boolean): number | undefined {
  if (!pidNamespace) return pid;
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first !== undefined && /^\d+$/.test(first) ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

export function containerExec(o: {
  readonly sandbox: string;
  readonly chainEnv: Readonly<Record<string, string>>;
  readonly afterDrop: Readonly<Record<string, string>>;
  readonly joinProcsFiles: readonly string[];
  readonly privilegeDrop: readonly string[];
  readonly nsenter?: { readonly bin: string; readonly flags: readonly string[]; readonly pid: () => number; readonly pidNamespace: boolean };
}): ContainerExec {
  return {
    cwd: o.sandbox,
    env: o.chainEnv,
    argv(command) {
      const target = o.nsenter === undefined || o.nsenter.flags.length === 0 ? undefined : namespaceTarget(o.nsenter.pid(), o.nsenter.pidNamespace);
      // Entering a mount namespace moves the process to its root. nsenter --wd takes the sandbox
      // along (as a directory of the agent's namespace: the task's user could not name it with
      // getcwd), then `cd` names it by its path in the task's namespace, where it has one (a work
      // dir under /tmp is hidden by the task's private /tmp: the --wd directory stays).
      const mnt = o.nsenter?.flags.includes('--mount') === true;
      const wd = mnt ? [`--wd=${o.sandbox}`] : [];
      const cd = mnt ? ['/bin/sh', '-c', 'cd "$1" 2>/dev/null; shift; exec "$@"', 'mesos-enter', o.sandbox] : [];
      const enter = target === undefined || o.nsenter === undefined ? [] : [o.nsenter.bin, `--target=${target}`, ...o.nsenter.flags, ...wd, '--', ...cd];
      const after = Object.keys(o.afterDrop).length > 0 ? ['/usr/bin/env', ...Object.entries(o.afterDrop).map(([k, v]) => `${k}=${v}`)] : [];
      return ['/bin/sh', '-c', wrapperScript(o.joinProcsFiles), WRAPPER_NAME, ...enter, ...o.privilegeDrop, ...after, ...commandArgv(command)];
    },
  };
}
