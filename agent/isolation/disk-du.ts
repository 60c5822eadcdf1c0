/**
 * disk/du: every --disk-watch-interval (Mesos: 15 s) the disk used by each task's sandbox is
 * measured with `du -sk` and compared with the task's `disk`; a sandbox over it is a limitation:
 * the task is killed and reported TASK_FAILED with REASON_CONTAINER_LIMITATION_DISK (as Mesos with
 * --enforce_container_disk_quota). Tasks without a `disk` resource are not measured. The last
 * figure is in the task's usage (disk_used_bytes).
 */
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';
import type { TaskContainer, TaskIsolator } from './task-isolator.js';
import type { ContainerUsage, TaskLimitation } from './types.js';
import { WatchLoop } from './watch-loop.js';

/** `du -sk` output: "<kilobytes>\t<path>". */
export function parseDuKb(output: string): number | undefined {
  const m = /^(\d+)\s/.exec(output.trim() + ' ');
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

const MB = 1024 * 1024;
const human = (bytes: number): string => (bytes >= 1024 * MB ? `${Math.round((bytes / (1024 * MB)) * 10) / 10}GB` : `${Math.round((bytes / MB) * 10) / 10}MB`);

export function diskLimitation(usedBytes: number, limitBytes: number): TaskLimitation | null {
  if (usedBytes <= limitBytes) return null;
  return { reason: 'REASON_CONTAINER_LIMITATION_DISK', message: `Disk usage (${human(usedBytes)}) exceeds quota (${human(limitBytes)})` };
}

interface Watched {
  readonly sandbox: string;
  readonly limitBytes: number;
  usedBytes?: number;
  listener?: (l: TaskLimitation) => void;
}

export function createDiskIsolator(o: { du: string; intervalMs: number; log: Logger }): TaskIsolator {
  const log = o.log.child({ component: 'isolator', isolator: 'disk/du' });
  const watched = new Map<string, Watched>();
  const measure = (dir: string): Promise<number | undefined> =>
    new Promise((resolve) => {
      execFile(o.du, ['-sk', dir], { timeout: Math.max(10_000, o.intervalMs) }, (err, stdout) => {
        // du exits 1 when a file vanished while it walked: its total is still good.
        const kb = parseDuKb(stdout);
        if (kb === undefined && err) log.debug({ err, dir }, 'du failed');
        resolve(kb === undefined ? undefined : kb * 1024);
      });
    });
  const loop = new WatchLoop<string>(o.intervalMs, async (ids) => {
    for (const id of ids) {
      const w = watched.get(id);
      if (w === undefined) continue;
      const used = await measure(w.sandbox);
      if (used === undefined) continue;
      w.usedBytes = used;
      const limitation = diskLimitation(used, w.limitBytes);
      if (limitation !== null && w.listener !== undefined) {
        const listener = w.listener;
        delete w.listener;
        loop.delete(id);
        log.info({ containerId: id, usedBytes: used, limitBytes: w.limitBytes }, 'sandbox over its disk quota');
        listener(limitation);
      }
    }
  });
  return {
    name: 'disk/du',
    async prepare() {
      return {};
    },
    watch(c: TaskContainer, onLimitation) {
      const diskMb = c.limits.diskMb;
      if (diskMb === undefined || diskMb <= 0) return;
      watched.set(c.containerId, { sandbox: c.sandbox, limitBytes: Math.floor(diskMb * MB), listener: onLimitation });
      loop.add(c.containerId);
    },
    async usage(containerId): Promise<Partial<ContainerUsage>> {
      const w = watched.get(containerId);
      if (w === undefined) return {};
      return w.usedBytes === undefined ? { diskLimitBytes: w.limitBytes } : { diskUsedBytes: w.usedBytes, diskLimitBytes: w.limitBytes };
    },
    async cleanup(containerId) {
      watched.delete(containerId);
      loop.delete(containerId);
    },
  };
}
