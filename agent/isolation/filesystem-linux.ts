/**
 * filesystem/linux (also named namespaces/mount): each task runs in a mount namespace of its own
 * (mounts made in it do not reach the host: unshare makes propagation private), with a private
 * /tmp: the sandbox's `tmp` directory (mode 1777) bind-mounted over /tmp. What a task writes to
 * /tmp is then in its sandbox (and counts against its disk with disk/du), and nobody else sees it.
 *
 * A sandbox under /tmp (a work dir under /tmp, as `mesos dev` uses) would be hidden by that mount,
 * and $MESOS_SANDBOX would name nothing inside the task. Then the sandbox is mounted back at its
 * own path inside the private /tmp: the init first `cd`s into the sandbox (its working directory
 * keeps the real directory reachable once /tmp is covered), mounts the private /tmp, and binds
 * `/proc/<init>/cwd` (not canonicalized, so the kernel follows the link to the real directory) onto
 * the same path under the new /tmp. The directories leading there are made by the agent beforehand
 * in the sandbox's `tmp` (so the task's /tmp shows the first of them).
 */
import { chmod, mkdir } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { shellQuote } from './launch-wrapper.js';
import type { LaunchContribution, TaskContainer, TaskIsolator } from './task-isolator.js';

export const SANDBOX_TMP = 'tmp';

/** The sandbox's path relative to /tmp when it lies under /tmp, else undefined. */
export function sandboxUnderTmp(sandbox: string): string | undefined {
  const rel = path.relative('/tmp', path.resolve(sandbox));
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel;
}

/** The setup lines (run as root by the init inside the new mount namespace). */
export function filesystemSetup(mount: string, sandbox: string): string[] {
  const tmp = path.join(sandbox, SANDBOX_TMP);
  const bindTmp = `${shellQuote(mount)} --bind ${shellQuote(tmp)} /tmp`;
  if (sandboxUnderTmp(sandbox) === undefined) return [bindTmp];
  return [
    `cd ${shellQuote(sandbox)}`,
    bindTmp,
    // "$$" is the init shell: its cwd is still the real sandbox, now covered by the private /tmp.
    `${shellQuote(mount)} --no-canonicalize --bind "/proc/$$/cwd" ${shellQuote(sandbox)}`,
    `cd ${shellQuote(sandbox)}`,
  ];
}

export function createFilesystemIsolator(mount: string): TaskIsolator {
  return {
    name: 'filesystem/linux',
    async prepare(c: TaskContainer, recovering = false): Promise<LaunchContribution> {
      // A task in an image has the image's own /tmp (agent/provisioner): the mount namespace only.
      if (c.options.image !== undefined) return { unshare: ['--mount'] };
      const tmp = path.join(c.sandbox, SANDBOX_TMP);
      if (!recovering) {
        await mkdir(tmp, { recursive: true });
        await chmod(tmp, 0o1777);
        // The mount point of the sandbox inside the private /tmp (see above).
        const rel = sandboxUnderTmp(c.sandbox);
        if (rel !== undefined) await mkdir(path.join(tmp, rel), { recursive: true });
      }
      return { unshare: ['--mount'], setup: filesystemSetup(mount, c.sandbox) };
    },
  };
}
