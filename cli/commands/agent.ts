import { resolve } from 'node:path';
import { startAgent } from '../../agent/index.js';
import { type FlagSpec, bool, str } from '../flags.js';
import { HTTP_AUTH_FLAGS, loadHttpSecurity } from './master.js';
import { createLogger } from '../log.js';
import { LOG_LEVEL_FLAG, NATS_FLAG, TLS_SERVER_FLAGS, CREDS_FLAG, onShutdown, tlsFiles } from './common.js';

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
  {
    name: 'isolation',
    type: 'string',
    default: 'auto',
    placeholder: 'list',
    help:
      'Isolators, comma separated: cgroups/cpu, cgroups/mem, cgroups/pids, cgroups/devices, posix/cpu, posix/mem, namespaces/pid, ' +
      'filesystem/linux (= namespaces/mount: private /tmp), namespaces/network, namespaces/cgroup, disk/du, gpu/nvidia; or a shortcut first: ' +
      'auto (cgroups when it can, else posix), cgroups, posix. E.g. auto,namespaces/pid,disk/du',
  },
  { name: 'cgroups-root', type: 'string', default: 'mesos', help: 'Cgroup under which task cgroups are made (per agent: <root>/<agentId>)' },
  { name: 'cgroups-enable-cfs', type: 'bool', default: false, help: 'A hard CPU quota (CFS) of the task\'s cpus, besides the shares' },
  { name: 'cgroups-pids-max', type: 'int', default: 4096, help: 'Process (and thread) limit per task, with cgroups/pids' },
  { name: 'disk-watch-interval', type: 'duration', default: '15s', help: 'How often disk/du measures each sandbox against its task\'s disk' },
  {
    name: 'new-agent-id',
    type: 'bool',
    default: false,
    help: 'Start as a new agent even though the work dir holds one (e.g. after changing --resources); the old tasks are killed',
  },
  {
    name: 'switch-user',
    type: 'bool',
    default: true,
    help: "Run each task as its user (CommandInfo.user, else FrameworkInfo.user; it must exist here); --no-switch-user: as the agent's own user",
  },
  {
    name: 'allow-root-tasks',
    type: 'bool',
    default: false,
    help: 'Let tasks run as root (refused by default; the master\'s run_tasks ACL must allow root too)',
  },
  { name: 'docker-registry', type: 'string', placeholder: 'dir|url', help: 'Image store for tasks with container.mesos.image (Mesos --docker_registry): a directory of docker save archives <repo>:<tag>.tar and OCI image layouts, or a registry https://host:port (Docker Registry HTTP API v2)' },
  { name: 'docker-registry-ca', type: 'string', placeholder: 'file', help: "PEM CA the registry's (and its token server's) certificates are verified against; default: the system's" },
  { name: 'docker-config', type: 'string', placeholder: 'file', help: "Credentials for the registry, in Docker's config.json shape (Mesos --docker_config)" },
  { name: 'appc-store', type: 'string', placeholder: 'dir', help: 'Local store of APPC images (mesos.image.type APPC): <name>-<version>-<os>-<arch>.aci files, as simple discovery names them' },
  { name: 'image-max-size', type: 'int', placeholder: 'MB', help: 'Refuse images whose layers (compressed or unpacked) are bigger than this; default: no limit but the disk' },
  { name: 'image-cache-max', type: 'int', placeholder: 'MB', help: 'Garbage-collect the image rootfs cache (in the work dir) above this size; default: never' },
  { name: 'hostname', type: 'string', help: 'Host name the agent advertises' },
  { name: 'ip', type: 'string', default: '127.0.0.1', help: 'Address the agent\'s HTTP endpoint (/state, /monitor/statistics, /files) listens on' },
  { name: 'port', type: 'int', default: 5051, help: 'Port of the agent\'s HTTP endpoint (0: any free port; the one taken is announced)' },
  { name: 'advertise-ip', type: 'string', placeholder: 'ip', help: 'Address announced to the master when it differs from --ip (default: --ip, or this machine\'s first external IPv4 address for 0.0.0.0)' },
  { name: 'kill-grace-period', type: 'duration', default: '3s', help: 'Between SIGTERM and SIGKILL when a task names none' },
  { name: 'executor-shutdown-grace-period', type: 'duration', default: '5s', help: 'Between SHUTDOWN and SIGKILL for a custom executor that names no shutdown_grace_period' },
  { name: 'executor-registration-timeout', type: 'duration', default: '1mins', help: 'A custom executor that has not subscribed by then is killed' },
  { name: 'executor-reregistration-timeout', type: 'duration', default: '2secs', help: 'After a restart, a re-attached custom executor that has not subscribed again by then is killed (at most 15secs)' },
  { name: 'authenticate-http-executors', type: 'bool', default: true, help: 'Executors must send the token the agent gave them (MESOS_EXECUTOR_AUTHENTICATION_TOKEN); --no-authenticate-http-executors lets anyone on the host call /api/v1/executor' },
  { name: 'master-ping-timeout', type: 'duration', default: '75s', help: 'Reregister when no master pinged for this long' },
  ...TLS_SERVER_FLAGS,
  CREDS_FLAG,
  ...HTTP_AUTH_FLAGS('agent'),
  LOG_LEVEL_FLAG,
];

export async function runAgent(v: Readonly<Record<string, unknown>>): Promise<void> {
  const log = createLogger(str(v['log-level'] as string) ?? 'info', 'mesos-agent');
  const opt = (k: string): string | undefined => str(v[k] as string);
  const security = loadHttpSecurity(opt('http-credentials'), undefined, '--http-credentials');
  const agent = await startAgent(
    {
      nats: v.nats as string,
      workDir: v['work-dir'] as string,
      isolation: v.isolation as string,
      cgroupsRoot: v['cgroups-root'] as string,
      cgroupsEnableCfs: v['cgroups-enable-cfs'] as boolean,
      cgroupsPidsMax: v['cgroups-pids-max'] as number,
      diskWatchIntervalMs: v['disk-watch-interval'] as number,
      newAgentId: v['new-agent-id'] as boolean,
      switchUser: v['switch-user'] as boolean,
      allowRootTasks: v['allow-root-tasks'] as boolean,
      tls: tlsFiles(v),
      killGracePeriodMs: v['kill-grace-period'] as number,
      masterPingTimeoutMs: v['master-ping-timeout'] as number,
      executorShutdownGracePeriodMs: v['executor-shutdown-grace-period'] as number,
      executorRegistrationTimeoutMs: v['executor-registration-timeout'] as number,
      executorReregistrationTimeoutMs: v['executor-reregistration-timeout'] as number,
      authenticateHttpExecutors: v['authenticate-http-executors'] as boolean,
      ip: v.ip as string,
      port: v.port as number,
      ...(opt('advertise-ip') !== undefined ? { advertiseIp: opt('advertise-ip') } : {}),
      ...(opt('resources') !== undefined ? { resources: opt('resources') } : {}),
      ...(opt('attributes') !== undefined ? { attributes: opt('attributes') } : {}),
      ...(opt('hostname') !== undefined ? { hostname: opt('hostname') } : {}),
      ...(opt('docker-registry') !== undefined ? { dockerRegistry: /^https?:\/\//i.test(opt('docker-registry')!) ? opt('docker-registry')! : resolve(opt('docker-registry')!) } : {}),
      ...(opt('docker-registry-ca') !== undefined ? { dockerRegistryCa: resolve(opt('docker-registry-ca')!) } : {}),
      ...(opt('docker-config') !== undefined ? { dockerConfig: resolve(opt('docker-config')!) } : {}),
      ...(typeof v['image-max-size'] === 'number' ? { imageMaxSizeMb: v['image-max-size'] } : {}),
      ...(opt('appc-store') !== undefined ? { appcStore: resolve(opt('appc-store')!) } : {}),
      ...(typeof v['image-cache-max'] === 'number' ? { imageCacheMaxMb: v['image-cache-max'] } : {}),
      httpCredentials: security.credentials === null ? null : [...security.credentials],
      authenticateHttpReadonly: bool(v['authenticate-http-readonly'] as boolean),
      authenticateHttpReadwrite: bool(v['authenticate-http-readwrite'] as boolean),
    },
    log,
  );
  const r = agent.recovery;
  const recovered = r.reattached + r.ended + r.relaunched + r.discarded > 0 ? `; recovered: ${r.reattached} running, ${r.ended} ended, ${r.relaunched} relaunched, ${r.discarded} discarded` : '';
  const executorsRecovered = r.executors.reattached + r.executors.ended > 0 ? `; executors recovered: ${r.executors.reattached} re-attached, ${r.executors.ended} ended` : '';
  process.stdout.write(
    `agent ${agent.agentId} running (isolation: ${agent.isolation}: ${agent.isolators.join(',')}${agent.isolationFallback ? `; cgroups unavailable: ${agent.isolationFallback}` : ''}; ${agent.tls ? 'https' : 'http'}://${agent.advertisedIp}:${agent.httpPort}/state${recovered}${executorsRecovered})\n`,
  );
  onShutdown(async () => agent.stop());
}
