/**
 * What one principal may see of the cluster, as Mesos's view ACLs filter its state endpoints:
 * a framework is shown only if `view_frameworks` lets the principal see its user; of a shown
 * framework, a task only if `view_tasks` lets it see the task's user (the task's command user, or
 * its framework's), and an executor only if `view_executors` does; quota only of the roles
 * `get_quotas` allows. The result is a State of the same shape that the unchanged JSON views
 * render (a shallow copy: nothing of the projection is modified). Pure.
 */
import type { FrameworkState, State, TaskState } from '../../kernel/core/state.js';
import { type AclAction, type Acls, authorize, restricts } from './acls.js';

const taskUser = (t: TaskState, f: FrameworkState | undefined): string | undefined => t.command?.user ?? f?.info.user;

function memo(acls: Acls, action: AclAction, principal: string | undefined): (object: string | undefined) => boolean {
  if (!restricts(acls, action)) return () => true;
  const seen = new Map<string | undefined, boolean>();
  return (object) => {
    let v = seen.get(object);
    if (v === undefined) {
      v = authorize(acls, action, principal, object).allowed;
      seen.set(object, v);
    }
    return v;
  };
}

/** The state as `principal` (undefined: unauthenticated) may see it. */
export function viewableState(state: State, acls: Acls, principal: string | undefined): State {
  if (!restricts(acls, 'view_frameworks') && !restricts(acls, 'view_tasks') && !restricts(acls, 'view_executors') && !restricts(acls, 'get_quotas')) return state;
  const seeFramework = memo(acls, 'view_frameworks', principal);
  const seeTask = memo(acls, 'view_tasks', principal);
  const seeExecutor = memo(acls, 'view_executors', principal);
  const seeQuota = memo(acls, 'get_quotas', principal);

  const trim = (f: FrameworkState): FrameworkState => {
    const keys = new Set([...f.taskKeys].filter((k) => {
      const t = state.tasks.get(k);
      return t !== undefined && seeTask(taskUser(t, f));
    }));
    const completedTasks = f.completedTasks.filter((t) => seeTask(taskUser(t, f)));
    // Offers are shown with their framework; they hold no task.
    return keys.size === f.taskKeys.size && completedTasks.length === f.completedTasks.length ? f : { ...f, taskKeys: keys, completedTasks };
  };

  const frameworks = new Map<FrameworkState['id'], FrameworkState>();
  for (const [id, f] of state.frameworks) if (seeFramework(f.info.user)) frameworks.set(id, trim(f));
  const completedFrameworks = state.completedFrameworks.filter((f) => seeFramework(f.info.user)).map(trim);
  const tasks = new Map<TaskState['key'], TaskState>();
  for (const [k, t] of state.tasks) {
    const f = frameworks.get(t.frameworkId);
    if (f !== undefined && f.taskKeys.has(k)) tasks.set(k, t);
  }
  const executors = new Map([...state.executors].filter(([, ex]) => {
    const f = frameworks.get(ex.frameworkId);
    return f !== undefined && seeExecutor(f.info.user);
  }));
  const offers = new Map([...state.offers].filter(([, o]) => frameworks.has(o.frameworkId)));
  const quotas = new Map([...state.quotas].filter(([role]) => seeQuota(role)));
  return { ...state, frameworks, completedFrameworks, tasks, executors, offers, quotas };
}
