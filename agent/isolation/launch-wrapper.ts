/**
 * The launch wrapper (pure): the argv that starts a task so that it is contained before any of
 * its own code runs. A tiny `/bin/sh` script, running as root, writes its own pid (`$$`) into
 * each cgroup.procs file, then execs (same pid, no fork) the optional privilege drop and the
 * task's command:
 *
 *   /bin/sh -c 'echo $$ > /…/memory/…/cgroup.procs || exit 125; …; exec "$@"' \
 *     mesos-containerizer [setpriv --reuid=… --regid=… --init-groups --] <task argv…>
 */

/** PATH given to tasks unless their environment sets one. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Exit status of the wrapper when it could not join a cgroup (the task did not run). */
export const JOIN_FAILED_STATUS = 125;

/** `$0` of the wrapper: names it in the shell's own error messages. */
export const WRAPPER_NAME = 'mesos-containerizer';

/** Single-quote a string for POSIX sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface TaskCommand {
  readonly value: string;
  readonly shell: boolean;
  readonly arguments?: readonly string[];
}

/**
 * The task's own argv: `/bin/sh -c <value>` for a shell command. Otherwise as Mesos's CommandInfo:
 * `value` is the executable and `arguments` the whole argv, argv[0] included (so it runs `value`
 * with `arguments[1..]`; the wrapper's `exec` cannot give argv[0] a different text).
 */
export function commandArgv(command: TaskCommand): string[] {
  return command.shell ? ['/bin/sh', '-c', command.value] : [command.value, ...(command.arguments?.slice(1) ?? [])];
}

/** The wrapper script: join every cgroup (or fail with JOIN_FAILED_STATUS), then exec "$@". */
export function wrapperScript(joinProcsFiles: readonly string[]): string {
  const joins = joinProcsFiles.map(
    (f) =>
      `echo $$ > ${shellQuote(f)} || { echo ${shellQuote(`${WRAPPER_NAME}: cannot join cgroup ${f}`)} >&2; exit ${JOIN_FAILED_STATUS}; }`,
  );
  return [...joins, 'exec "$@"'].join('\n');
}

/** Full argv of the wrapper process (argv[0] is the program to spawn). */
export function wrapperArgv(opts: {
  readonly joinProcsFiles: readonly string[];
  /** e.g. the setpriv prefix from user.ts; empty to stay as the agent's user. */
  readonly privilegeDrop: readonly string[];
  readonly command: TaskCommand;
}): string[] {
  return [
    '/bin/sh',
    '-c',
    wrapperScript(opts.joinProcsFiles),
    WRAPPER_NAME,
    ...opts.privilegeDrop,
    ...commandArgv(opts.command),
  ];
}

/**
 * The task's environment: defaults (PATH, HOME, USER/LOGNAME when switching users), then the
 * task's own variables, then the Mesos ones, which the task cannot override.
 */
export function taskEnvironment(opts: {
  readonly sandbox: string;
  readonly home: string;
  readonly user?: string;
  readonly environment?: Readonly<Record<string, string>>;
}): Record<string, string> {
  return {
    PATH: DEFAULT_PATH,
    HOME: opts.home,
    ...(opts.user === undefined ? {} : { USER: opts.user, LOGNAME: opts.user }),
    ...(opts.environment ?? {}),
    MESOS_SANDBOX: opts.sandbox,
    MESOS_DIRECTORY: opts.sandbox,
  };
}
