/**
 * A Marathon app definition (REST API v2) as this framework takes it: the fields users write,
 * validated with zod, Marathon's defaults applied, and every field we do not know kept as it came
 * (returned unchanged by GET). An invalid definition becomes Marathon's error body:
 * `{"message":"Object is not valid","details":[{"path":"/cpus","errors":["…"]}]}` (HTTP 422).
 */
import { z } from 'zod';

/** One path segment of an app id, as Marathon's: lowercase letters, digits, hyphens, dots inside. */
const SEGMENT = /^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;

/** `/group/app` from `group/app`, `/group/app/` or `/group/app`. Throws on a bad segment. */
export function normaliseAppId(raw: string): string {
  const parts = raw.split('/').filter((p) => p !== '');
  if (parts.length === 0) throw new Error('an app id needs at least one path segment');
  for (const p of parts) {
    if (p === '.' || p === '..' || !SEGMENT.test(p)) {
      throw new Error(`path segment '${p}' must be lowercase letters, digits, hyphens and dots (not at either end), as Marathon's`);
    }
  }
  return `/${parts.join('/')}`;
}

export const CONSTRAINT_OPERATORS = ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER'] as const;
export type ConstraintOperator = (typeof CONSTRAINT_OPERATORS)[number];

export const Constraint = z
  .tuple([z.string().min(1), z.enum(CONSTRAINT_OPERATORS)])
  .rest(z.string())
  .superRefine((c, ctx) => {
    const [, op, value, ...more] = c;
    if (more.length > 0) ctx.addIssue({ code: 'custom', message: 'a constraint is [field, operator] or [field, operator, value]' });
    if (op === 'UNIQUE' && value !== undefined) ctx.addIssue({ code: 'custom', message: 'UNIQUE takes no value' });
    if ((op === 'CLUSTER' || op === 'LIKE' || op === 'UNLIKE' || op === 'MAX_PER') && (value === undefined || value === '')) {
      ctx.addIssue({ code: 'custom', message: `${op} needs a value` });
    }
    if ((op === 'MAX_PER' || (op === 'GROUP_BY' && value !== undefined)) && !/^[1-9]\d*$/.test(value ?? '')) {
      ctx.addIssue({ code: 'custom', message: `${op} takes a positive whole number (got '${value ?? ''}')` });
    }
    if ((op === 'LIKE' || op === 'UNLIKE') && value !== undefined) {
      try {
        new RegExp(`^(?:${value})$`);
      } catch {
        ctx.addIssue({ code: 'custom', message: `'${value}' is not a valid regular expression` });
      }
    }
  });
export type Constraint = z.infer<typeof Constraint>;

export const HEALTH_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP'] as const;

const seconds = z.number().finite().nonnegative();

export const AppHealthCheck = z
  .looseObject({
    protocol: z.enum(HEALTH_PROTOCOLS).default('HTTP'),
    path: z.string().regex(/^\//, 'the path must start with /').optional(),
    portIndex: z.number().int().nonnegative().optional(),
    port: z.number().int().min(1).max(65535).optional(),
    command: z.looseObject({ value: z.string().min(1) }).optional(),
    gracePeriodSeconds: seconds.default(300),
    intervalSeconds: seconds.default(60),
    timeoutSeconds: seconds.default(20),
    maxConsecutiveFailures: z.number().int().nonnegative().default(3),
    delaySeconds: seconds.default(15),
  })
  .superRefine((h, ctx) => {
    if (h.protocol === 'COMMAND' && h.command === undefined) ctx.addIssue({ code: 'custom', path: ['command'], message: 'a COMMAND health check needs command.value' });
    if (h.protocol !== 'COMMAND' && h.command !== undefined) ctx.addIssue({ code: 'custom', path: ['command'], message: `a ${h.protocol} health check takes no command` });
    if (h.port !== undefined && h.portIndex !== undefined) ctx.addIssue({ code: 'custom', path: ['port'], message: 'give port or portIndex, not both' });
  });
export type AppHealthCheck = z.infer<typeof AppHealthCheck>;

export const PortDefinition = z.looseObject({
  port: z.number().int().min(0).max(65535).default(0),
  protocol: z.enum(['tcp', 'udp', 'udp,tcp']).default('tcp'),
  name: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

export const AppContainer = z.looseObject({
  type: z.enum(['MESOS', 'DOCKER']).default('MESOS'),
  docker: z.looseObject({ image: z.string().min(1).max(1024) }).optional(),
});

export const UpgradeStrategy = z.looseObject({
  minimumHealthCapacity: z.number().min(0).max(1).default(1),
  maximumOverCapacity: z.number().min(0).max(1).default(1),
});

/** The definition as stored: defaults applied, unknown fields kept (loose objects). */
export const AppDefinition = z
  .looseObject({
    id: z.string().min(1).transform((s, ctx) => {
      try {
        return normaliseAppId(s);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
    cmd: z.string().min(1).optional(),
    args: z.array(z.string()).min(1).optional(),
    user: z.string().min(1).optional(),
    cpus: z.number().finite().nonnegative().default(1),
    mem: z.number().finite().nonnegative().default(128),
    disk: z.number().finite().nonnegative().default(0),
    gpus: z.number().int().nonnegative().default(0),
    instances: z.number().int().nonnegative().default(1),
    env: z.record(z.string(), z.string()).default({}),
    labels: z.record(z.string(), z.string()).default({}),
    constraints: z.array(Constraint).default([]),
    healthChecks: z.array(AppHealthCheck).max(1, 'this framework runs one health check per task (the agent runs it, as Mesos does)').default([]),
    portDefinitions: z.array(PortDefinition).default([{ port: 0, protocol: 'tcp' }]),
    /** The tasks' host ports must be the ports of `portDefinitions` (else any free ports of the offer). */
    requirePorts: z.boolean().default(false),
    /** Marathon's `container`: with `docker.image`, the task runs in that image (the agent's provisioner). */
    container: AppContainer.optional(),
    upgradeStrategy: UpgradeStrategy.default({ minimumHealthCapacity: 1, maximumOverCapacity: 1 }),
    backoffSeconds: seconds.default(1),
    backoffFactor: z.number().finite().min(1).default(1.15),
    maxLaunchDelaySeconds: seconds.default(300),
    killGracePeriodSeconds: seconds.optional(),
    role: z.string().min(1).default('*'),
    acceptedResourceRoles: z.array(z.string().min(1)).min(1).optional(),
  })
  .superRefine((a, ctx) => {
    if (a.cmd === undefined && a.args === undefined) ctx.addIssue({ code: 'custom', path: ['cmd'], message: 'give cmd or args (this framework runs commands)' });
    if (a.cmd !== undefined && a.args !== undefined) ctx.addIssue({ code: 'custom', path: ['cmd'], message: 'give cmd or args, not both' });
    const seen = new Map<number, number>();
    a.portDefinitions.forEach((p, i) => {
      if (a.requirePorts && p.port === 0) ctx.addIssue({ code: 'custom', path: ['portDefinitions', i, 'port'], message: 'requirePorts needs every port given (not 0)' });
      if (p.port !== 0 && seen.has(p.port)) ctx.addIssue({ code: 'custom', path: ['portDefinitions', i, 'port'], message: `port ${p.port} is given twice (also portDefinitions/${seen.get(p.port)})` });
      if (p.port !== 0) seen.set(p.port, i);
      if (p.name !== undefined && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(p.name)) ctx.addIssue({ code: 'custom', path: ['portDefinitions', i, 'name'], message: 'a port name is lowercase letters, digits and hyphens' });
    });
    if (a.acceptedResourceRoles !== undefined) {
      for (const [i, r] of a.acceptedResourceRoles.entries()) {
        if (r !== '*' && r !== a.role) ctx.addIssue({ code: 'custom', path: ['acceptedResourceRoles', i], message: `'${r}' is neither '*' (unreserved) nor the app's role '${a.role}': offers of this framework for the app hold no other` });
      }
    }
    a.healthChecks.forEach((h, i) => {
      const index = h.portIndex ?? 0;
      if ((h.protocol !== 'COMMAND') && h.port === undefined && index >= a.portDefinitions.length) {
        ctx.addIssue({ code: 'custom', path: ['healthChecks', i, 'portIndex'], message: `portIndex ${index} names no port (the app has ${a.portDefinitions.length})` });
      }
    });
  });
export type AppDefinition = z.infer<typeof AppDefinition>;

/** Marathon's error body for an invalid definition. */
export interface ValidationFailure {
  readonly message: string;
  readonly details: ReadonlyArray<{ readonly path: string; readonly errors: readonly string[] }>;
}

export type Validated = { readonly ok: true; readonly app: AppDefinition } | { readonly ok: false; readonly error: ValidationFailure };

/** What the server sets itself: taken out of a body before it is validated (as Marathon ignores them). */
const READ_ONLY = ['version', 'versionInfo', 'tasks', 'tasksRunning', 'tasksStaged', 'tasksHealthy', 'tasksUnhealthy', 'deployments', 'lastTaskFailure'] as const;

export function validateApp(body: unknown, idFromPath?: string): Validated {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: { message: 'Object is not valid', details: [{ path: '/', errors: ['an app definition is a JSON object'] }] } };
  }
  const input: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const k of READ_ONLY) delete input[k];
  if (idFromPath !== undefined) {
    if (input.id !== undefined && typeof input.id === 'string' && safeId(input.id) !== safeId(idFromPath)) {
      return { ok: false, error: { message: 'Object is not valid', details: [{ path: '/id', errors: [`the id in the body (${input.id}) is not the one of the path (${idFromPath})`] }] } };
    }
    input.id = idFromPath;
  }
  const r = AppDefinition.safeParse(input);
  if (r.success) return { ok: true, app: r.data };
  const byPath = new Map<string, string[]>();
  for (const i of r.error.issues) {
    const path = `/${i.path.map(String).join('/')}`;
    byPath.set(path, [...(byPath.get(path) ?? []), i.message]);
  }
  return { ok: false, error: { message: 'Object is not valid', details: [...byPath].map(([path, errors]) => ({ path, errors })) } };
}

function safeId(s: string): string {
  try {
    return normaliseAppId(s);
  } catch {
    return s;
  }
}

/** Fields whose change is a scale, not a new configuration (tasks keep running). */
export function onlyScaled(a: AppDefinition, b: AppDefinition): boolean {
  return canonical({ ...a, instances: 0 }) === canonical({ ...b, instances: 0 });
}

/** The Mesos task id of a new instance: Marathon's `<id with / as _>.<uuid>` (no leading _). */
export const taskIdFor = (appId: string, uuid: string): string => `${appId.slice(1).replaceAll('/', '_')}.${uuid}`;

/** JSON with object keys sorted at every level (so two equal definitions compare equal). */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
