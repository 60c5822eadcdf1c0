/**
 * filesystem/linux (also named namespaces/mount): each task runs in a mount namespace of its own
 * (mounts made in it do not reach the host: unshare makes propagation private), with a private
 * /tmp: the sandbox's `tmp` directory (mode 1777) bind-mounted over /tmp. What a task writes to
 * /tmp is then in its sandbox (and counts against its disk with disk/du), and nobody else sees it.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { shellQuote } from './launch-wrapper.js';
import type { LaunchContribution, TaskContainer, TaskIsolator } from './task-isolator.js';

export const SANDBOX_TMP = 'tmp';

export function createFilesystemIsolator(mount: string): TaskIsolator {
  return {
    name: 'filesystem/linux',
    async prepare(c: TaskContainer, recovering = false): Promise<LaunchContribution> {
      const tmp = path.join(c.sandbox, SANDBOX_TMP);
      if (!recovering) {
        await mkdir(tmp, { recursive: true });
        await chmod(tmp, 0o1777);
      }
      return { unshare: ['--mount'], setup: [`${shellQuote(mount)} --bind ${shellQuote(tmp)} /tmp`] };
    },
  };
}
