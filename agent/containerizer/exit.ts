/** What a container's end means: the message for it (Mesos's wording) and whether an OOM report counts. */
import { MIB } from '../isolation/cgroup-values.js';
import type { OomReport } from '../isolation/types.js';

const mb = (bytes: number): string => String(Math.round((bytes / MIB) * 10) / 10);

/** The human message for an exit (Mesos wording). */
export function describeExit(code: number | null, signal: NodeJS.Signals | null, oom: OomReport | null): string {
  if (oom !== null) {
    const used = oom.maxUsedBytes === undefined ? '' : ` Maximum Used: ${mb(oom.maxUsedBytes)}MB`;
    return `Memory limit exceeded: Requested: ${mb(oom.limitBytes)}MB${used}`;
  }
  if (signal !== null) return `Command terminated with signal ${signal}`;
  if (code !== null) return `Command exited with status ${code}`;
  return 'Command terminated for an unknown reason';
}

/**
 * Only a certain OOM report counts; `limit-hit` (old kernels without an OOM kill counter) only
 * if the command died of SIGKILL, which is what the kernel OOM killer sends (status 137 is how
 * a shell reports a child that died of it).
 */
export function effectiveOom(report: OomReport | null, code: number | null, signal: NodeJS.Signals | null): OomReport | null {
  if (report === null) return null;
  if (report.evidence === 'limit-hit' && signal !== 'SIGKILL' && code !== 128 + 9) return null;
  return report;
}
