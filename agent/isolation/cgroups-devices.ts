/**
 * The cgroups/devices isolator's settings (pure), cgroup v1 only: device access rules written to a
 * container's `devices.deny`. The hierarchy's default is to allow every device; the rules are
 * exceptions, so a task keeps /dev/null, ttys and the rest and loses only what is denied (used by
 * gpu/nvidia to hide the GPUs that are not the task's). On cgroup v2 device access is an eBPF
 * program, which this agent does not load: there GPU isolation is by environment only.
 */
import type { ControlWrite, DeviceRule } from './types.js';

export const deviceRuleText = (r: DeviceRule): string => `${r.type} ${r.major}:${r.minor} ${r.access}`;

/** One write per rule (the kernel takes one rule per write). */
export function deviceDenyWrites(rules: readonly DeviceRule[]): ControlWrite[] {
  return rules.map((r) => ({ file: 'devices.deny', value: deviceRuleText(r) }));
}
