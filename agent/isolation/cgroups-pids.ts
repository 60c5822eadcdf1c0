/**
 * The cgroups/pids isolator's settings (pure): a limit on the processes (threads included) of a
 * container, the same file on cgroup v1 and v2 (`pids.max`). A task at its limit cannot fork
 * (fork fails with EAGAIN); `pids.events` counts the refusals, which the exit message mentions.
 */
import type { ControlWrite } from './types.js';
import { parseFlatKeyed } from './cgroup-values.js';

/** Default per-task limit (--cgroups-pids-max): systemd's default for a service is 15% of pid_max (4915 on most hosts). */
export const DEFAULT_PIDS_MAX = 4096;

export function pidsWrites(max: number): ControlWrite[] {
  return [{ file: 'pids.max', value: String(max) }];
}

/** How many forks the limit refused (`max N` in pids.events). */
export function parsePidsEvents(text: string): number {
  return parseFlatKeyed(text).get('max') ?? 0;
}
