/**
 * Who a task runs as. Mesos's rule with `--switch_user` (the default): the task's `CommandInfo.user`,
 * else its framework's `FrameworkInfo.user`, and the launch fails when that user does not exist on
 * the agent. Stricter than Mesos: root is refused unless the agent was started with
 * `--allow-root-tasks` (the master's `run_tasks` ACL must allow the user as well; that check is
 * the master's, at ACCEPT). With `--no-switch-user` every task runs as the agent's own user, which
 * counts as root when the agent is root.
 *
 * An agent that is not root cannot switch users: its tasks run as itself (they can get no more
 * than the agent has), whatever they ask.
 */
import type { UserInfo } from './isolation/user.js';

export interface TaskUserPolicy {
  /** Mesos's `--switch_user`: run tasks as their user (else as the agent's own). */
  readonly switchUser: boolean;
  /** Whether tasks may run as root (uid 0) on this agent. */
  readonly allowRootTasks: boolean;
}

export type TaskUser =
  /** Run as this user (a setpriv drop from the root agent). */
  | { readonly ok: true; readonly user: UserInfo }
  /** Run as the agent's own user. */
  | { readonly ok: true; readonly user: undefined }
  | { readonly ok: false; readonly why: string };

const ROOT_FLAG = 'start the agent with --allow-root-tasks to allow it (the run_tasks ACL must allow it too), or name another user (FrameworkInfo.user or CommandInfo.user)';

/**
 * The decision, from what the task asks, who the agent is and the user's passwd entry (undefined:
 * no such user). Pure: the caller resolves the user.
 */
export function decideTaskUser(
  requested: string,
  agent: { readonly uid: number; readonly name: string },
  policy: TaskUserPolicy,
  entry: UserInfo | undefined,
): TaskUser {
  if (agent.uid !== 0) return { ok: true, user: undefined };
  if (!policy.switchUser) {
    if (!policy.allowRootTasks) return { ok: false, why: `tasks would run as the agent's own user ${agent.name} (uid 0, --no-switch-user): ${ROOT_FLAG}` };
    return { ok: true, user: undefined };
  }
  if (entry === undefined) return { ok: false, why: `user ${JSON.stringify(requested)} does not exist on this agent (tasks run as their framework's or command's user)` };
  if (entry.uid === 0) {
    if (!policy.allowRootTasks) return { ok: false, why: `the task would run as root (user ${JSON.stringify(requested)}, uid 0): ${ROOT_FLAG}` };
    return { ok: true, user: undefined };
  }
  return { ok: true, user: entry };
}

/** The user a task asks for: its command's, else its framework's. */
export const requestedUser = (commandUser: string | undefined, frameworkUser: string): string => commandUser ?? frameworkUser;
