/**
 * `mesos services`: the services framework (Marathon-like) as a process: it subscribes to the
 * cluster as the framework `services`, keeps its state in the SERVICES stream and serves
 * Marathon's REST API v2 (port 8080 by default). `mesos services apply|list|show|scale|restart|
 * delete` are thin clients of that API.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ServicesClient, startServices } from '../../frameworks/services/index.js';
import { FlagError, type FlagSpec, num, str } from '../flags.js';
import { createLogger } from '../log.js';
import { LOG_LEVEL_FLAG, NATS_FLAG, TLS_CA_FLAG } from './common.js';

export const servicesFlags: readonly FlagSpec[] = [
  NATS_FLAG,
  TLS_CA_FLAG,
  { name: 'port', type: 'int', default: 8080, help: "HTTP port of the REST API (Marathon's 8080; 0: any free port)" },
  { name: 'host', type: 'string', default: '0.0.0.0', help: 'Address the REST API listens on' },
  { name: 'user', type: 'string', help: 'User tasks run as when an app names none (default: yours; nobody when you are root)' },
  { name: 'roles', type: 'string', default: '*', placeholder: 'r1,r2', help: "The framework's roles (comma-separated): an app's `role` must be one of them" },
  { name: 'failover-timeout', type: 'duration', default: '7d', help: 'How long the cluster keeps the tasks while this process is away' },
  LOG_LEVEL_FLAG,
];

export async function runServices(v: Readonly<Record<string, unknown>>): Promise<number | void> {
  const log = createLogger(str(v['log-level'] as string) ?? 'info', 'mesos-services');
  const user = str(v.user as string) ?? (process.getuid?.() === 0 ? 'nobody' : (process.env.USER ?? 'nobody'));
  const tlsCa = str(v['tls-ca'] as string);
  const h = await startServices({
    nats: v.nats as string,
    ...(tlsCa !== undefined ? { tlsCa } : {}),
    port: num(v.port as number) ?? 8080,
    host: str(v.host as string) ?? '0.0.0.0',
    user,
    roles: (str(v.roles as string) ?? '*').split(',').map((r) => r.trim()).filter((r) => r !== ''),
    failoverTimeoutMs: (v['failover-timeout'] as number | undefined) ?? 7 * 24 * 3600_000,
    log,
  });
  process.stdout.write(`services: framework ${h.engine.frameworkId}; Marathon REST API v2 on ${h.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    // Started by `mesos dev` (an IPC channel): it goes when dev goes, even when dev is SIGKILLed.
    if (process.channel) process.once('disconnect', () => resolve());
  });
  await h.close();
  return 0;
}

const URL_FLAG: FlagSpec = { name: 'url', type: 'string', default: 'http://127.0.0.1:8080', help: 'The services REST API (MESOS_SERVICES_URL)' };
export const servicesClientFlags: readonly FlagSpec[] = [URL_FLAG];
export const servicesApplyFlags: readonly FlagSpec[] = [URL_FLAG, { name: 'file', type: 'string', required: true, placeholder: 'app.json', help: 'The app definition (Marathon app JSON, or the same in YAML)' }];

const client = (v: Readonly<Record<string, unknown>>): ServicesClient => new ServicesClient(process.env.MESOS_SERVICES_URL ?? (v.url as string));
const out = (x: unknown): void => void process.stdout.write(`${typeof x === 'string' ? x : JSON.stringify(x, null, 2)}\n`);
const one = (args: readonly string[], what: string): string => {
  if (args.length !== 1) throw new FlagError(`give ${what}`);
  return args[0]!.startsWith('/') ? args[0]! : `/${args[0]!}`;
};

export async function runServicesApply(v: Readonly<Record<string, unknown>>): Promise<number> {
  const file = v.file as string;
  const yaml = /\.ya?ml$/i.test(file);
  let body: { id?: unknown; kind?: unknown };
  try {
    // A Marathon app written in YAML is the same object (yaml's errors name the line).
    body = (yaml ? parseYaml(readFileSync(file, 'utf8'), { prettyErrors: true }) : JSON.parse(readFileSync(file, 'utf8'))) as { id?: unknown };
  } catch (err) {
    throw new FlagError(`cannot read ${file} as ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FlagError(`${file}: an app definition is an object`);
  if (body.kind !== undefined && body.id === undefined) throw new FlagError(`${file} is a declarative file (kind: ${String(body.kind)}): apply it with \`mesos apply -f ${file}\``);
  if (typeof body.id !== 'string') throw new FlagError(`${file}: an app definition needs an "id"`);
  // PUT creates or updates (Marathon's semantics); the whole definition replaces the one before.
  const r = await client(v).call<{ deploymentId: string; version: string }>('PUT', `/v2/apps${body.id.startsWith('/') ? '' : '/'}${body.id}`, body);
  out(`applied ${body.id}: version ${r.version}, deployment ${r.deploymentId}`);
  return 0;
}

export async function runServicesList(v: Readonly<Record<string, unknown>>): Promise<number> {
  const r = await client(v).call<{ apps: Array<{ id: string; instances: number; tasksRunning: number; tasksHealthy: number; deployments: unknown[] }> }>('GET', '/v2/apps');
  out(['ID'.padEnd(32) + 'INSTANCES  RUNNING  HEALTHY  DEPLOYING', ...r.apps.map((a) => `${a.id.padEnd(32)}${String(a.instances).padEnd(11)}${String(a.tasksRunning).padEnd(9)}${String(a.tasksHealthy).padEnd(9)}${a.deployments.length > 0 ? 'yes' : 'no'}`)].join('\n'));
  return 0;
}

export async function runServicesShow(v: Readonly<Record<string, unknown>>, args: readonly string[]): Promise<number> {
  out(await client(v).call('GET', `/v2/apps${one(args, 'one app id: mesos services show ID')}`));
  return 0;
}

export async function runServicesScale(v: Readonly<Record<string, unknown>>, args: readonly string[]): Promise<number> {
  if (args.length !== 2 || !/^\d+$/.test(args[1]!)) throw new FlagError('give an app id and a number: mesos services scale ID N');
  const id = one(args.slice(0, 1), 'an app id');
  out(await client(v).call('PUT', `/v2/apps${id}`, { instances: Number(args[1]) }));
  return 0;
}

export async function runServicesRestart(v: Readonly<Record<string, unknown>>, args: readonly string[]): Promise<number> {
  out(await client(v).call('POST', `/v2/apps${one(args, 'one app id: mesos services restart ID')}/restart`));
  return 0;
}

export async function runServicesDelete(v: Readonly<Record<string, unknown>>, args: readonly string[]): Promise<number> {
  out(await client(v).call('DELETE', `/v2/apps${one(args, 'one app id: mesos services delete ID')}`));
  return 0;
}
