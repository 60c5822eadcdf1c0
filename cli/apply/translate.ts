/**
 * A declarative definition in the words of the API that runs it: a service as a Marathon app
 * (normalised by the services framework's own schema, so the defaults compared are the ones the
 * server applies), a job as a Chronos job. Both carry the mark of a definition applied from files,
 * which `--prune` looks for (it never removes what was made otherwise). Pure.
 */
import { type AppDefinition, validateApp } from '../../frameworks/services/app.js';
import { type JobSpec, type ServiceSpec, isCron } from './spec.js';

/** The label (Marathon) and the field (Chronos) that say "applied by `mesos apply`". */
export const MANAGED_LABEL = 'mesos-apply';
export const MANAGED_VALUE = 'managed';

export type Translated<T> = { readonly ok: true; readonly body: T } | { readonly ok: false; readonly errors: ReadonlyArray<{ readonly field: string; readonly message: string }> };

/** The Marathon app JSON of a service, defaults applied as the services framework applies them. */
export function toMarathonApp(s: ServiceSpec): Translated<AppDefinition> {
  const h = s.health;
  const raw: Record<string, unknown> = {
    ...(s.marathon ?? {}),
    id: s.name,
    ...(s.command !== undefined ? { cmd: s.command } : {}),
    ...(s.args !== undefined ? { args: s.args } : {}),
    ...(s.user !== undefined ? { user: s.user } : {}),
    ...(s.resources.cpus !== undefined ? { cpus: s.resources.cpus } : {}),
    ...(s.resources.mem !== undefined ? { mem: s.resources.mem } : {}),
    ...(s.resources.disk !== undefined ? { disk: s.resources.disk } : {}),
    ...(s.resources.gpus !== undefined ? { gpus: s.resources.gpus } : {}),
    instances: s.instances,
    env: s.env ?? {},
    labels: { ...(s.labels ?? {}), [MANAGED_LABEL]: MANAGED_VALUE },
    constraints: s.constraints ?? [],
    healthChecks:
      h === undefined
        ? []
        : [
            {
              protocol: h.protocol,
              ...(h.path !== undefined ? { path: h.path } : {}),
              ...(h.portIndex !== undefined ? { portIndex: h.portIndex } : {}),
              ...(h.port !== undefined ? { port: h.port } : {}),
              ...(h.command !== undefined ? { command: { value: h.command } } : {}),
              ...(h.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: h.gracePeriodSeconds } : {}),
              ...(h.intervalSeconds !== undefined ? { intervalSeconds: h.intervalSeconds } : {}),
              ...(h.timeoutSeconds !== undefined ? { timeoutSeconds: h.timeoutSeconds } : {}),
              ...(h.maxConsecutiveFailures !== undefined ? { maxConsecutiveFailures: h.maxConsecutiveFailures } : {}),
              ...(h.delaySeconds !== undefined ? { delaySeconds: h.delaySeconds } : {}),
            },
          ],
    ...(s.ports !== undefined ? { portDefinitions: s.ports } : {}),
    ...(s.requirePorts !== undefined ? { requirePorts: s.requirePorts } : {}),
    ...(s.update !== undefined ? { upgradeStrategy: s.update } : {}),
    ...(s.backoff?.seconds !== undefined ? { backoffSeconds: s.backoff.seconds } : {}),
    ...(s.backoff?.factor !== undefined ? { backoffFactor: s.backoff.factor } : {}),
    ...(s.backoff?.maxLaunchDelaySeconds !== undefined ? { maxLaunchDelaySeconds: s.backoff.maxLaunchDelaySeconds } : {}),
    ...(s.killGracePeriodSeconds !== undefined ? { killGracePeriodSeconds: s.killGracePeriodSeconds } : {}),
    ...(s.role !== undefined ? { role: s.role } : {}),
    ...(s.acceptedResourceRoles !== undefined ? { acceptedResourceRoles: s.acceptedResourceRoles } : {}),
    ...(s.container !== undefined ? { container: { type: 'MESOS', docker: { image: s.container.image } } } : {}),
  };
  const v = validateApp(raw);
  if (v.ok) return { ok: true, body: v.app };
  return { ok: false, errors: v.error.details.flatMap((d) => d.errors.map((message) => ({ field: fieldOfMarathon(d.path), message }))) };
}

/** A Marathon path (`/healthChecks/0/path`) as the field of our format that set it. */
function fieldOfMarathon(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  const head = parts[0] ?? '';
  const rest = parts.slice(1).join('.');
  const join = (f: string, r = rest): string => (r === '' ? f : `${f}.${r}`);
  switch (head) {
    case 'id':
      return 'name';
    case 'cmd':
      return 'command';
    case 'cpus':
    case 'mem':
    case 'disk':
    case 'gpus':
      return `resources.${head}`;
    case 'healthChecks':
      return join('health', parts.slice(2).join('.'));
    case 'portDefinitions':
      return join('ports');
    case 'upgradeStrategy':
      return join('update');
    case 'backoffSeconds':
      return 'backoff.seconds';
    case 'backoffFactor':
      return 'backoff.factor';
    case 'maxLaunchDelaySeconds':
      return 'backoff.maxLaunchDelaySeconds';
    default:
      return parts.join('.');
  }
}

/** A Chronos job as `POST /v1/scheduler/iso8601` (scheduled) or `/dependency` (with parents) takes it. */
export interface ChronosJob {
  readonly name: string;
  readonly command: string;
  readonly shell: boolean;
  readonly arguments?: readonly string[];
  readonly schedule?: string;
  readonly scheduleTimeZone?: string;
  readonly parents?: readonly string[];
  readonly [k: string]: unknown;
}

export function toChronosJob(j: JobSpec): ChronosJob {
  return {
    ...(j.chronos ?? {}),
    name: j.name,
    command: j.command ?? j.args![0]!,
    shell: j.command !== undefined,
    ...(j.args !== undefined ? { arguments: j.args.slice(1) } : {}),
    // A cron line goes as the jobs framework's `cron`; an ISO 8601 interval as Chronos's `schedule`.
    ...(j.schedule !== undefined ? (isCron(j.schedule) ? { cron: j.schedule.trim() } : { schedule: j.schedule }) : {}),
    ...(j.scheduleTimeZone !== undefined ? { scheduleTimeZone: j.scheduleTimeZone } : {}),
    ...(j.after !== undefined ? { parents: j.after } : {}),
    ...(j.resources.cpus !== undefined ? { cpus: j.resources.cpus } : {}),
    ...(j.resources.mem !== undefined ? { mem: j.resources.mem } : {}),
    ...(j.resources.disk !== undefined ? { disk: j.resources.disk } : {}),
    ...(j.retries !== undefined ? { retries: j.retries } : {}),
    ...(j.epsilon !== undefined ? { epsilon: j.epsilon } : {}),
    ...(j.owner !== undefined ? { owner: j.owner } : {}),
    ...(j.ownerName !== undefined ? { ownerName: j.ownerName } : {}),
    ...(j.description !== undefined ? { description: j.description } : {}),
    ...(j.disabled !== undefined ? { disabled: j.disabled } : {}),
    ...(j.concurrent !== undefined ? { concurrent: j.concurrent } : {}),
    ...(j.user !== undefined ? { runAsUser: j.user } : {}),
    environmentVariables: Object.entries(j.env ?? {}).map(([name, value]) => ({ name, value })),
    ...(j.uris !== undefined ? { uris: j.uris } : {}),
    labels: { [MANAGED_LABEL]: MANAGED_VALUE },
  };
}

/** Is this app (Marathon JSON) or job (Chronos JSON) one that `mesos apply` made? */
export const isManaged = (x: unknown): boolean => {
  const labels = (x as { labels?: unknown } | null)?.labels;
  return typeof labels === 'object' && labels !== null && (labels as Record<string, unknown>)[MANAGED_LABEL] === MANAGED_VALUE;
};
