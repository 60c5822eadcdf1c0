/** The task's environment for the launch chain: the root-side steps' and what only the task gets. */
import { userInfo } from 'node:os';
import { splitEnvironment, taskEnvironment } from '../isolation/launch-wrapper.js';
import type { ImageLaunch } from '../isolation/task-isolator.js';
import type { UserInfo } from '../isolation/user.js';
import type { LaunchSpec } from './types.js';

export /** The task's environment, split into what the root-side steps get and what only the task gets. */
function environmentsOf(spec: LaunchSpec, user: UserInfo | undefined, isolatorEnv: Readonly<Record<string, string>>, dropsPrivileges: boolean, image?: ImageLaunch): { chain: Record<string, string>; afterDrop: Record<string, string> } {
  const env = taskEnvironment({
    sandbox: spec.sandbox,
    home: user?.home ?? userInfo().homedir,
    ...(user === undefined ? {} : { user: user.name }),
    environment: { ...(image?.env ?? {}), ...isolatorEnv, ...(spec.command.environment ?? {}) },
  });
  // In an image the sandbox is seen at its mount point; MESOS_DIRECTORY stays the host's path (as Mesos).
  if (image !== undefined) env['MESOS_SANDBOX'] = image.sandbox;
  return splitEnvironment(env, dropsPrivileges);
}
