/**
 * The cgroups/cpu isolator's settings (pure): what a container's cpu controller files get, on
 * cgroup v1 and v2. Shares always (Mesos: `cpu.shares = max(2, cpus × 1024)`; v2: the same
 * converted to `cpu.weight`); with --cgroups-enable-cfs also a hard quota of `cpus` cores per CFS
 * period (v1: cpu.cfs_period_us / cpu.cfs_quota_us; v2: cpu.max "<quota> <period>").
 */
import { cpuShares, sharesToWeight } from './cgroup-values.js';
import type { ControlWrite } from './types.js';

/** Mesos's CFS period: 100 ms. */
export const CFS_PERIOD_US = 100_000;
/** The kernel's smallest quota: 1 ms. */
export const MIN_CFS_QUOTA_US = 1_000;

export function cfsQuotaUs(cpus: number): number {
  return Math.max(MIN_CFS_QUOTA_US, Math.round(cpus * CFS_PERIOD_US));
}

export function cpuWritesV1(cpus: number, enableCfs: boolean): ControlWrite[] {
  const writes: ControlWrite[] = [{ file: 'cpu.shares', value: String(cpuShares(cpus)) }];
  if (enableCfs) {
    writes.push({ file: 'cpu.cfs_period_us', value: String(CFS_PERIOD_US) });
    writes.push({ file: 'cpu.cfs_quota_us', value: String(cfsQuotaUs(cpus)) });
  }
  return writes;
}

export function cpuWritesV2(cpus: number, enableCfs: boolean): ControlWrite[] {
  const writes: ControlWrite[] = [{ file: 'cpu.weight', value: String(sharesToWeight(cpuShares(cpus))) }];
  if (enableCfs) writes.push({ file: 'cpu.max', value: `${cfsQuotaUs(cpus)} ${CFS_PERIOD_US}` });
  return writes;
}
