import { startAgent } from '../../agent/index.js';
import { type FlagSpec, str } from '../flags.js';
import { createLogger } from '../log.js';
import { LOG_LEVEL_FLAG, NATS_FLAG, onShutdown } from './common.js';

export const agentFlags: readonly FlagSpec[] = [
  NATS_FLAG,
  { name: 'work-dir', type: 'string', required: true, placeholder: 'dir', help: 'Directory for sandboxes and the agent checkpoint' },
  {
    name: 'resources',
    type: 'string',
    placeholder: 'text',
    help: "Resources to announce, e.g. 'cpus:2;mem:1024;disk:4096;ports:[31000-32000]' (what is not given is detected)",
  },
  { name: 'attributes', type: 'string', placeholder: 'text', help: "Attributes, e.g. 'rack:a;zone:z1'" },
  { name: 'isolation', type: 'string', default: 'auto', choices: ['cgroups', 'posix', 'auto'], help: 'How tasks are contained; auto uses cgroups when it can' },
  { name: 'cgroups-root', type: 'string', default: 'mesos', help: 'Cgroup under which task cgroups are made (per agent: <root>/<agentId>)' },
  { name: 'hostname', type: 'string', help: 'Host name the agent advertises' },
  { name: 'ip', type: 'string', default: '127.0.0.1', help: 'Address the agent\'s HTTP endpoint (/state, /monitor/statistics, /files) listens on' },
  { name: 'port', type: 'int', default: 5051, help: 'Port of the agent\'s HTTP endpoint (0: any free port; the one taken is announced)' },
  { name: 'advertise-ip', type: 'string', placeholder: 'ip', help: 'Address announced to the master when it differs from --ip (default: --ip, or this machine\'s first external IPv4 address for 0.0.0.0)' },
  { name: 'kill-grace-period', type: 'duration', default: '3s', help: 'Between SIGTERM and SIGKILL when a task names none' },
  { name: 'master-ping-timeout', type: 'duration', default: '75s', help: 'Reregister when no master pinged for this long' },
  LOG_LEVEL_FLAG,
];

export async function runAgent(v: Readonly<Record<string, unknown>>): Promise<void> {
  const log = createLogger(str(v['log-level'] as string) ?? 'info', 'mesos-agent');
  const opt = (k: string): string | undefined => str(v[k] as string);
  const agent = await startAgent(
    {
      nats: v.nats as string,
      workDir: v['work-dir'] as string,
      isolation: v.isolation as 'cgroups' | 'posix' | 'auto',
      cgroupsRoot: v['cgroups-root'] as string,
      killGracePeriodMs: v['kill-grace-period'] as number,
      masterPingTimeoutMs: v['master-ping-timeout'] as number,
      ip: v.ip as string,
      port: v.port as number,
      ...(opt('advertise-ip') !== undefined ? { advertiseIp: opt('advertise-ip') } : {}),
      ...(opt('resources') !== undefined ? { resources: opt('resources') } : {}),
      ...(opt('attributes') !== undefined ? { attributes: opt('attributes') } : {}),
      ...(opt('hostname') !== undefined ? { hostname: opt('hostname') } : {}),
    },
    log,
  );
  process.stdout.write(
    `agent ${agent.agentId} running (isolation: ${agent.isolation}${agent.isolationFallback ? `; cgroups unavailable: ${agent.isolationFallback}` : ''}; http://${agent.advertisedIp}:${agent.httpPort}/state)\n`,
  );
  onShutdown(async () => agent.stop());
}
