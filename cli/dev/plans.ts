/**
 * The one place that says how `mesos dev` starts each child: its name, argv and environment.
 * Anything a child needs from dev (credentials files, extra flags) is added here, per role.
 */
import { join } from 'node:path';

export interface DevPlanContext {
  /** NATS servers, comma separated. */
  readonly nats: string;
  readonly data: string;
  readonly logLevel: string;
  /** `--stream-replicas` of the masters (3 on a 3-node NATS cluster). */
  readonly streamReplicas: number;
  /** HTTP port of master i (0: any free port). */
  masterPort(i: number): number;
  /** HTTP port of agent i (0: any free port). */
  agentPort(i: number): number;
  readonly agentResources: string;
  readonly isolation: string;
  readonly cgroupsRoot: string;
  /** Extra flags per role (e.g. `--creds FILE`), appended to the argv. */
  readonly extraArgs?: Partial<Record<'master' | 'agent' | 'framework', readonly string[]>>;
  /** Extra environment per role, on top of this process's own. */
  readonly extraEnv?: Partial<Record<'master' | 'agent' | 'framework', Readonly<Record<string, string>>>>;
  /** Each child's own NATS credentials (a `.creds` file), on a secured bus. */
  readonly creds?: { master(i: number): string; agent(i: number): string; framework(name: string): string };
}

export interface ChildPlan {
  readonly name: string;
  readonly role: 'master' | 'agent' | 'framework';
  readonly index: number;
  /** Arguments of `mesos` (the subcommand first). */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** A command prefix it runs under (`mesos dev --netns`: nsenter into its network namespace). */
  readonly wrap?: readonly string[];
}

/** The plan of a child that runs in a network namespace of its own, listening on `addr` there. */
export function inNamespace(plan: ChildPlan, slot: { readonly addr: string; readonly wrap: readonly string[] }): ChildPlan {
  return { ...plan, args: [...plan.args, '--ip', slot.addr], wrap: slot.wrap };
}

export function masterName(i: number, count: number): string {
  return count === 1 ? 'master' : `master-${i + 1}`;
}

export function masterPlan(c: DevPlanContext, i: number, count: number): ChildPlan {
  const replicas = c.streamReplicas > 1 ? ['--stream-replicas', String(c.streamReplicas)] : [];
  return {
    name: masterName(i, count),
    role: 'master',
    index: i,
    args: ['master', '--nats', c.nats, '--port', String(c.masterPort(i)), ...replicas, '--log-level', c.logLevel, ...(c.creds !== undefined ? ['--creds', c.creds.master(i)] : []), ...(c.extraArgs?.master ?? [])],
    env: { ...(c.extraEnv?.master ?? {}) },
  };
}

export function agentPlan(c: DevPlanContext, i: number): ChildPlan {
  // Each agent its own ports range, unless the resources name one.
  const ports = c.agentResources.includes('ports') ? '' : `;ports:[${31000 + i * 1000}-${31999 + i * 1000}]`;
  return {
    name: `agent-${i + 1}`,
    role: 'agent',
    index: i,
    args: [
      'agent',
      '--nats', c.nats,
      '--work-dir', join(c.data, 'agents', String(i + 1)),
      '--resources', `${c.agentResources}${ports}`,
      '--isolation', c.isolation,
      '--cgroups-root', c.cgroupsRoot,
      '--port', String(c.agentPort(i)),
      '--log-level', c.logLevel,
      ...(c.creds !== undefined ? ['--creds', c.creds.agent(i)] : []),
      ...(c.extraArgs?.agent ?? []),
    ],
    env: { ...(c.extraEnv?.agent ?? {}) },
  };
}

/** The services framework (`mesos services`, Marathon-like) on `port` (0: any free port). */
export function servicesPlan(c: DevPlanContext, port: number): ChildPlan {
  return {
    name: 'services',
    role: 'framework',
    index: 0,
    args: ['services', '--nats', c.nats, '--port', String(port), '--log-level', c.logLevel, ...(c.creds !== undefined ? ['--creds', c.creds.framework('services')] : []), ...(c.extraArgs?.framework ?? [])],
    env: { ...(c.extraEnv?.framework ?? {}) },
  };
}

/** The jobs framework (`mesos jobs`, Chronos-like) on `port` (0: any free port). */
export function jobsPlan(c: DevPlanContext, port: number): ChildPlan {
  return {
    name: 'jobs',
    role: 'framework',
    index: 1,
    args: ['jobs', '--nats', c.nats, '--port', String(port), '--log-level', c.logLevel, ...(c.creds !== undefined ? ['--creds', c.creds.framework('jobs')] : []), ...(c.extraArgs?.framework ?? [])],
    env: { ...(c.extraEnv?.framework ?? {}) },
  };
}
