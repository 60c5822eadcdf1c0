/**
 * An image's runtime configuration and how a task's command is combined with it (pure), with the
 * rules of Mesos's docker/runtime isolator:
 * - `shell: true`: `/bin/sh -c <value>` of the image; Entrypoint and Cmd are not used (a value is required).
 * - `shell: false` with a value: the value is the executable and `arguments[1..]` its arguments
 *   (argv[0] is `arguments[0]`, as for every CommandInfo); Entrypoint and Cmd are not used.
 * - `shell: false` without a value: Entrypoint, then the task's arguments if it has any, else Cmd;
 *   with no Entrypoint, Cmd[0] with the arguments (or the rest of Cmd). Neither: an error.
 * - Env: the image's variables first, the task's own over them.
 * - WorkingDir: the image's when it names one, else the sandbox (/mnt/mesos/sandbox).
 * - User: not applied (Mesos's runtime isolator does not either): the task runs as its
 *   CommandInfo/framework user.
 */
import { z } from 'zod';
import { ProvisionError } from './errors.js';

/** The fields of a Docker/OCI image config (`config` object) that a launch uses. */
export const ImageRuntimeConfig = z.object({
  Entrypoint: z.array(z.string()).nullish(),
  Cmd: z.array(z.string()).nullish(),
  Env: z.array(z.string()).nullish(),
  WorkingDir: z.string().nullish(),
  User: z.string().nullish(),
});
export type ImageRuntimeConfig = z.infer<typeof ImageRuntimeConfig>;

export interface ImageCommand {
  readonly value: string;
  readonly shell: boolean;
  readonly arguments?: readonly string[];
}

/** The argv run inside the image's root. */
export function imageArgv(imageName: string, command: ImageCommand, config: ImageRuntimeConfig): string[] {
  const args = command.arguments ?? [];
  if (command.shell) {
    if (command.value === '') throw new ProvisionError('COMMAND_INVALID', `image ${imageName}: a shell command needs a value`);
    return ['/bin/sh', '-c', command.value];
  }
  if (command.value !== '') return [command.value, ...args.slice(1)];
  const entrypoint = config.Entrypoint ?? [];
  const cmd = config.Cmd ?? [];
  if (entrypoint.length > 0) return [...entrypoint, ...(args.length > 0 ? args : cmd)];
  if (cmd.length > 0) return [cmd[0]!, ...(args.length > 0 ? args : cmd.slice(1))];
  throw new ProvisionError('COMMAND_INVALID', `image ${imageName} has neither Entrypoint nor Cmd, and the task's command names no executable (command.value)`);
}

/** The image's `Env` (`NAME=value` lines) as variables; a line without `=` is skipped. */
export function imageEnvironment(config: ImageRuntimeConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of config.Env ?? []) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Where the task starts: the image's absolute WorkingDir, else the sandbox inside the container. */
export function imageWorkingDir(config: ImageRuntimeConfig, sandboxInContainer: string): string {
  const wd = config.WorkingDir ?? '';
  return wd.startsWith('/') ? wd : sandboxInContainer;
}
