/**
 * namespaces/pid: each task runs in a pid namespace of its own, under a small init (pid 1, see
 * launch-wrapper.ts initScript) with /proc remounted so that the task sees only its own
 * processes. Killing the task kills every process in the namespace: when its init exits, the
 * kernel kills the rest. `unshare --kill-child` also kills the namespace if unshare itself is
 * killed. A task may stay in the agent's pid namespace with container.sharePidNamespace (Mesos's
 * LinuxInfo.share_pid_namespace).
 */
import type { LaunchContribution, TaskContainer, TaskIsolator } from './task-isolator.js';

export function createPidNamespaceIsolator(): TaskIsolator {
  return {
    name: 'namespaces/pid',
    async prepare(c: TaskContainer): Promise<LaunchContribution> {
      if (c.options.sharePidNamespace === true) return {};
      return { unshare: ['--pid', '--fork', '--kill-child', '--mount-proc'], pidNamespace: true };
    },
  };
}
