/**
 * Mesos's local authorizer: the `--acls` JSON (`{"permissive": bool, "<action>": [rule, …]}`, each
 * rule `{"principals": Entity, "<object>": Entity}`, an Entity `{"values": […]}` or
 * `{"type": "ANY"|"NONE"}`), parsed with zod, and evaluated as Mesos does: the rules of the action
 * are tried in order; the first whose subject and object both *match* decides, by whether both
 * are *allowed*; when none matches, `permissive` decides (default true). An unauthenticated
 * subject, or an object the request leaves open, is ANY. The match and allow tables are Mesos's
 * (src/authorizer/local/authorizer.cpp):
 *
 *   matches (request × rule)   SOME-rule  NONE-rule  ANY-rule      allows   SOME-rule  NONE-rule  ANY-rule
 *   SOME request                subset      yes        yes                   subset      no         yes
 *   NONE request                no          yes        no                    no          yes        no
 *   ANY  request                no          yes        yes                   no          no         yes
 *
 * So `{"type":"NONE"}` in a rule matches everyone and allows no one: a deny rule. Role objects
 * also accept Mesos's hierarchical `"eng/%"` (every role below eng). Pure.
 */
import { z } from 'zod';

export class AclsError extends Error {
  override readonly name = 'AclsError';
}

/** The actions this master enforces, and the name of each one's object in a rule. */
export const ENFORCED = {
  register_frameworks: 'roles',
  run_tasks: 'users',
  teardown_frameworks: 'framework_principals',
  reserve_resources: 'roles',
  unreserve_resources: 'reserver_principals',
  create_volumes: 'roles',
  destroy_volumes: 'creator_principals',
  get_quotas: 'roles',
  update_quotas: 'roles',
  update_weights: 'roles',
  view_frameworks: 'users',
  view_tasks: 'users',
  view_executors: 'users',
  mark_agents_gone: 'agents',
  drain_agents: 'agents',
  deactivate_agents: 'agents',
  reactivate_agents: 'agents',
  update_maintenance_schedules: 'machines',
  start_maintenances: 'machines',
  stop_maintenances: 'machines',
} as const;
export type AclAction = keyof typeof ENFORCED;

/** Mesos's other actions: accepted in the file (so a Mesos ACL file loads), not enforced here. */
export const NOT_ENFORCED: readonly string[] = [
  'get_endpoints', 'access_sandboxes', 'access_mesos_logs', 'view_roles', 'view_flags', 'launch_nested_containers_as_user',
  'launch_nested_containers_under_parent_with_user', 'kill_nested_containers', 'wait_nested_containers',
  'launch_nested_container_sessions_as_user', 'launch_nested_container_sessions_under_parent_with_user', 'attach_containers_input',
  'attach_containers_output', 'view_containers', 'set_log_level', 'remove_nested_containers', 'register_agents',
  'get_maintenance_schedules', 'get_maintenance_statuses', 'launch_standalone_containers', 'kill_standalone_containers',
  'wait_standalone_containers', 'remove_standalone_containers', 'view_standalone_containers', 'modify_resource_provider_configs',
  'mark_resource_providers_gone', 'view_resource_providers', 'prune_images', 'resize_volumes', 'create_block_disks',
  'destroy_block_disks', 'create_mount_disks', 'destroy_mount_disks', 'destroy_raw_disks',
];

export const Entity = z
  .object({ type: z.enum(['SOME', 'ANY', 'NONE']).default('SOME'), values: z.array(z.string()).default([]) })
  .strict()
  .refine((e) => e.type !== 'SOME' || e.values.length > 0, { message: 'give "values": [...] or "type": "ANY" or "NONE"' });
export type Entity = z.infer<typeof Entity>;

export interface Rule {
  readonly subjects: Entity;
  readonly objects: Entity;
  /** The rule as written, for messages. */
  readonly text: string;
}

export interface Acls {
  readonly permissive: boolean;
  readonly rules: Readonly<Partial<Record<AclAction, readonly Rule[]>>>;
  /** Actions present in the file that this master does not enforce. */
  readonly ignored: readonly string[];
}

export const ALLOW_ALL: Acls = { permissive: true, rules: {}, ignored: [] };

const issues = (e: z.ZodError): string => e.issues.map((i) => `${i.path.join('.') || '(rule)'}: ${i.message}`).join('; ');

/** `--acls` text → Acls, or an AclsError saying where the file is wrong. */
export function parseAcls(text: string, source: string): Acls {
  let raw: unknown;
  try {
    raw = JSON.parse(text) as unknown;
  } catch (e) {
    throw new AclsError(`${source} is not JSON (${(e as Error).message}); it should look like {"permissive": false, "run_tasks": [{"principals": {"values": ["ops"]}, "users": {"type": "ANY"}}]}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new AclsError(`${source} must hold a JSON object of actions (Mesos's ACLs)`);
  let permissive = true;
  const rules: Partial<Record<AclAction, Rule[]>> = {};
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === 'permissive') {
      if (typeof value !== 'boolean') throw new AclsError(`${source}: "permissive" must be true or false`);
      permissive = value;
      continue;
    }
    const objectName = (ENFORCED as Record<string, string>)[key];
    if (objectName === undefined && !NOT_ENFORCED.includes(key)) {
      const near = [...Object.keys(ENFORCED), ...NOT_ENFORCED].find((k) => k.replace(/s$/, '') === key.replace(/s$/, '') || k.replace(/_/g, '') === key.replace(/_/g, ''));
      throw new AclsError(`${source}: "${key}" is not a Mesos ACL action${near !== undefined ? ` (did you mean "${near}"?)` : ''}; this master enforces ${Object.keys(ENFORCED).join(', ')}`);
    }
    if (!Array.isArray(value)) throw new AclsError(`${source}: "${key}" must be a list of rules`);
    if (objectName === undefined) {
      ignored.push(key);
      continue;
    }
    const list: Rule[] = [];
    for (const [i, r] of value.entries()) {
      const where = `${source}: ${key}[${i}]`;
      if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new AclsError(`${where} must be an object {"principals": …, "${objectName}": …}`);
      const rec = r as Record<string, unknown>;
      const extra = Object.keys(rec).filter((k) => k !== 'principals' && k !== objectName);
      if (extra.length > 0) throw new AclsError(`${where}: unknown field "${extra[0]}" (a ${key} rule has "principals" and "${objectName}")`);
      if (rec.principals === undefined || rec[objectName] === undefined) throw new AclsError(`${where} needs both "principals" and "${objectName}"`);
      const subjects = Entity.safeParse(rec.principals);
      if (!subjects.success) throw new AclsError(`${where}.principals: ${issues(subjects.error)}`);
      const objects = Entity.safeParse(rec[objectName]);
      if (!objects.success) throw new AclsError(`${where}.${objectName}: ${issues(objects.error)}`);
      list.push({ subjects: subjects.data, objects: objects.data, text: `${key}[${i}] ${JSON.stringify(r)}` });
    }
    rules[key as AclAction] = list;
  }
  return { permissive, rules, ignored };
}

/** A request's side: one value (SOME), or ANY (undefined: no principal, or no particular object). */
type Req = string | undefined;

const ROLE_OBJECTS = new Set<string>(['roles']);

function valueIn(value: string, acl: Entity, hierarchical: boolean): boolean {
  return acl.values.some((v) => v === value || (hierarchical && v.endsWith('/%') && value.startsWith(v.slice(0, -1))));
}

function matches(req: Req, acl: Entity, hierarchical: boolean): boolean {
  if (req === undefined) return acl.type === 'ANY' || acl.type === 'NONE';
  if (acl.type === 'ANY' || acl.type === 'NONE') return true;
  return valueIn(req, acl, hierarchical);
}

function allows(req: Req, acl: Entity, hierarchical: boolean): boolean {
  if (req === undefined) return acl.type === 'ANY';
  if (acl.type === 'ANY') return true;
  if (acl.type === 'NONE') return false;
  return valueIn(req, acl, hierarchical);
}

export interface Decision {
  readonly allowed: boolean;
  /** The rule that decided, or the permissive default. */
  readonly rule: string;
}

/** Whether `subject` (a principal; undefined: none) may do `action` on `object` (undefined: ANY). */
export function authorize(acls: Acls, action: AclAction, subject: Req, object: Req): Decision {
  const hierarchical = ROLE_OBJECTS.has(ENFORCED[action]);
  for (const rule of acls.rules[action] ?? []) {
    if (matches(subject, rule.subjects, false) && matches(object, rule.objects, hierarchical)) {
      return { allowed: allows(subject, rule.subjects, false) && allows(object, rule.objects, hierarchical), rule: rule.text };
    }
  }
  return { allowed: acls.permissive, rule: `"permissive": ${String(acls.permissive)} (no ${action} rule matched)` };
}

/**
 * Whether the ACLs can refuse anything of `action` (false: every request is allowed, so a view
 * need not be filtered). Under `permissive: true` only a rule with a NONE entity can deny: a
 * request that matches any other rule is also allowed by it.
 */
export function restricts(acls: Acls, action: AclAction): boolean {
  return !acls.permissive || (acls.rules[action] ?? []).some((r) => r.subjects.type === 'NONE' || r.objects.type === 'NONE');
}

const WHAT: Readonly<Record<AclAction, string>> = {
  register_frameworks: 'register a framework with role',
  run_tasks: 'run tasks as user',
  teardown_frameworks: 'tear down frameworks of principal',
  reserve_resources: 'reserve resources for role',
  unreserve_resources: 'unreserve resources reserved by principal',
  create_volumes: 'create volumes for role',
  destroy_volumes: 'destroy volumes created by principal',
  get_quotas: 'get the quota of role',
  update_quotas: 'update the quota of role',
  update_weights: 'update the weight of role',
  view_frameworks: 'view frameworks of user',
  view_tasks: 'view tasks of user',
  view_executors: 'view executors of user',
  mark_agents_gone: 'mark agents gone',
  drain_agents: 'drain agents',
  deactivate_agents: 'deactivate agents',
  reactivate_agents: 'reactivate agents',
  update_maintenance_schedules: 'update the maintenance schedule',
  start_maintenances: 'start maintenance',
  stop_maintenances: 'stop maintenance',
};

/** The text of a 403: who, what, and the rule that denied it. */
export function denial(action: AclAction, subject: Req, object: Req, d: Decision): string {
  const who = subject === undefined ? 'An unauthenticated request' : `Principal '${subject}'`;
  const what = object === undefined || ENFORCED[action] === 'agents' || ENFORCED[action] === 'machines' ? WHAT[action].replace(/ (of|for|with|as|by) (role|user|principal)$/, '') : `${WHAT[action]} '${object}'`;
  return `${who} is not authorized to ${what}: denied by the ACL ${d.rule}`;
}
