/**
 * The agent's settings as Mesos's `flags` object: snake_case names, every value a string,
 * durations in Mesos's style (`3secs`, `500ms`, `75secs`).
 */
import type { AgentOptions } from '../options.js';

/** ms → Mesos's duration text: the largest unit that divides it exactly. */
export function durationText(ms: number): string {
  if (ms % 1000 !== 0 || ms === 0) return `${ms}ms`;
  const s = ms / 1000;
  if (s % 60 !== 0) return `${s}secs`;
  const m = s / 60;
  if (m % 60 !== 0) return `${m}mins`;
  const h = m / 60;
  return h % 24 !== 0 ? `${h}hrs` : `${h / 24}days`;
}

export function agentFlagsJson(o: AgentOptions, workDir: string, hostname: string): Record<string, string> {
  return {
    nats: o.nats,
    work_dir: workDir,
    ...(o.resources !== undefined ? { resources: o.resources } : {}),
    ...(o.attributes !== undefined ? { attributes: o.attributes } : {}),
    isolation: o.isolation,
    cgroups_root: o.cgroupsRoot,
    cgroups_enable_cfs: String(o.cgroupsEnableCfs),
    cgroups_pids_max: String(o.cgroupsPidsMax),
    container_disk_watch_interval: durationText(o.diskWatchIntervalMs),
    new_agent_id: String(o.newAgentId),
    hostname,
    ip: o.ip,
    port: String(o.port),
    ...(o.advertiseIp !== undefined ? { advertise_ip: o.advertiseIp } : {}),
    ...(o.dockerRegistry !== undefined ? { docker_registry: o.dockerRegistry, image_providers: 'docker' } : {}),
    kill_grace_period: durationText(o.killGracePeriodMs),
    master_ping_timeout: durationText(o.masterPingTimeoutMs),
    stop_flush_timeout: durationText(o.stopFlushTimeoutMs),
  };
}
