/**
 * The ACLs on the operations of a framework's ACCEPT, as Mesos applies them with the framework's
 * principal (FrameworkInfo.principal): `run_tasks` for each task by its user (the command's, else
 * the framework's); `reserve_resources` / `create_volumes` by the reservation's role,
 * `unreserve_resources` by the reserver's principal, `destroy_volumes` by the volume's creator.
 * A LAUNCH keeps its allowed tasks; a LAUNCH_GROUP is all or none; a denied RESERVE, UNRESERVE,
 * CREATE or DESTROY is dropped whole. Pure.
 */
import type { Operation, Resource } from '../../events/index.js';
import { type AclAction, type Acls, authorize, denial } from './acls.js';

export interface DeniedTask {
  readonly taskId: string;
  readonly agentId: string;
  /** Part of a LAUNCH_GROUP (the whole group is denied). */
  readonly group: boolean;
  /** The 403-style text naming the rule. */
  readonly why: string;
}

export interface AuthorizedOperations {
  readonly allowed: Operation[];
  readonly deniedTasks: DeniedTask[];
  readonly droppedOperations: { readonly type: Operation['type']; readonly why: string }[];
}

const lastReservation = (r: Resource) => r.reservations?.[r.reservations.length - 1];
const diskPrincipal = (r: Resource): string => ('disk' in r ? r.disk?.persistence?.principal : undefined) ?? '';

/** The object each resource of an offer operation is authorized against (Mesos's: '' for a missing principal). */
export function operationChecks(op: Exclude<Operation, { type: 'LAUNCH' | 'LAUNCH_GROUP' }>): [AclAction, string][] {
  switch (op.type) {
    case 'RESERVE':
      return op.resources.map((r) => ['reserve_resources', lastReservation(r)?.role ?? '*']);
    case 'UNRESERVE':
      return op.resources.map((r) => ['unreserve_resources', lastReservation(r)?.principal ?? '']);
    case 'CREATE':
      return op.volumes.map((r) => ['create_volumes', lastReservation(r)?.role ?? '*']);
    case 'DESTROY':
      return op.volumes.map((r) => ['destroy_volumes', diskPrincipal(r)]);
  }
}

export function authorizeOperations(acls: Acls, ops: readonly Operation[], principal: string | undefined, frameworkUser: string): AuthorizedOperations {
  const refused = (action: AclAction, object: string): string | undefined => {
    const d = authorize(acls, action, principal, object);
    return d.allowed ? undefined : denial(action, principal, object, d);
  };
  const allowed: Operation[] = [];
  const deniedTasks: DeniedTask[] = [];
  const droppedOperations: { type: Operation['type']; why: string }[] = [];
  for (const op of ops) {
    if (op.type === 'LAUNCH' || op.type === 'LAUNCH_GROUP') {
      const denied = new Map<string, string>();
      for (const t of op.tasks) {
        const why = refused('run_tasks', t.command?.user ?? t.executor?.command.user ?? frameworkUser);
        if (why !== undefined) denied.set(t.taskId, why);
      }
      if (denied.size === 0) allowed.push(op);
      else if (op.type === 'LAUNCH_GROUP') {
        const why = `Task group is not authorized: ${[...denied.values()][0]!}`;
        for (const t of op.tasks) deniedTasks.push({ taskId: t.taskId, agentId: t.agentId, group: true, why });
      } else {
        for (const t of op.tasks) {
          const why = denied.get(t.taskId);
          if (why !== undefined) deniedTasks.push({ taskId: t.taskId, agentId: t.agentId, group: false, why });
        }
        const rest = op.tasks.filter((t) => !denied.has(t.taskId));
        if (rest.length > 0) allowed.push({ ...op, tasks: rest });
      }
      continue;
    }
    const why = operationChecks(op)
      .map(([action, object]) => refused(action, object))
      .find((w) => w !== undefined);
    if (why === undefined) allowed.push(op);
    else droppedOperations.push({ type: op.type, why });
  }
  return { allowed, deniedTasks, droppedOperations };
}
