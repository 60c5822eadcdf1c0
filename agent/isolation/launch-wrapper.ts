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

// ---------------------------------------------------------------------------------------------
// The whole launch chain (supervisor → join cgroups → own session → namespaces → drop privileges →
// the task), each step exec'ing the next, so that the task's pid is the first process's pid.

/** `$0` of the per-task supervisor (found by it in /proc after an agent crash). */
export const SUPERVISOR_NAME = 'mesos-supervisor';
/** `$0` of the init that runs inside the task's namespaces. */
export const INIT_NAME = 'mesos-init';

/**
 * Environment variables that would let a framework run code as root in the steps before the
 * privilege drop (the dynamic loader's). When the task runs as another user they are left out of
 * those steps and given back to the task right after the drop (`env NAME=value … cmd`).
 */
export const LOADER_VARIABLE = /^(LD_|GCONV_PATH$|GLIBC_TUNABLES$|MALLOC_|HOSTALIASES$|LOCALDOMAIN$|RES_OPTIONS$|NLSPATH$)/;

/**
 * The supervisor (runs as the agent's user, outside the task's cgroups, in its own session): it
 * starts the rest of the chain as its child, tells the agent the child's pid on fd 3 and in
 * `<runtimeDir>/task.pid`, waits for it and writes its exit status (the shell's: 128+N when it died
 * of signal N) to `<runtimeDir>/status`. Signals sent to it are caught (it outlives the agent and
 * whatever kills the task); it uses only shell builtins, so nothing the task's environment names
 * (PATH) is run as root.
 *
 *   /bin/sh -c <script> mesos-supervisor <runtimeDir> <child argv…>
 */
export function supervisorScript(): string {
  return [
    'dir=$1; shift',
    "trap ':' TERM INT HUP QUIT",
    '"$@" 3>&- &',
    'child=$!',
    'echo "$child" > "$dir/task.pid"',
    "trap '' PIPE",
    'echo "$child" >&3',
    'exec 3>&-',
    'while :; do',
    '  wait "$child"; st=$?',
    '  if [ "$st" -gt 128 ] && kill -0 "$child" 2>/dev/null; then continue; fi',
    '  break',
    'done',
    'echo "$st" > "$dir/status"',
    'exit "$st"',
  ].join('\n');
}

export interface InitPlan {
  /** Shell lines run as root inside the new namespaces (mounts, bringing lo up); each must succeed. */
  readonly setup: readonly string[];
  /** Stay as pid 1 of a new pid namespace: forward TERM/INT/HUP to every process in it and wait. */
  readonly pidNamespace: boolean;
}

/** Exit status of the init when a setup step failed (the task did not run). */
export const SETUP_FAILED_STATUS = 125;

/**
 * The init run by unshare(1) inside the task's namespaces. Without a pid namespace it sets up and
 * execs the task. With one it is pid 1: the kernel delivers to a namespace's init only the signals
 * it handles, so it catches TERM/INT/HUP and passes them on to every process of the namespace
 * (`kill -SIG -1`), waits for the task and exits with its status; when it exits the kernel kills
 * whatever is left in the namespace.
 */
export function initScript(plan: InitPlan): string {
  const setup = plan.setup.map(
    (line) => `${line} || { echo ${shellQuote(`${INIT_NAME}: setup failed: ${line}`)} >&2; exit ${SETUP_FAILED_STATUS}; }`,
  );
  if (!plan.pidNamespace) return [...setup, 'exec "$@"'].join('\n');
  return [
    ...setup,
    "trap 'kill -TERM -1 2>/dev/null' TERM",
    "trap 'kill -INT -1 2>/dev/null' INT",
    "trap 'kill -HUP -1 2>/dev/null' HUP",
    '"$@" &',
    'child=$!',
    'while :; do',
    '  wait "$child"; st=$?',
    '  if [ "$st" -gt 128 ] && kill -0 "$child" 2>/dev/null; then continue; fi',
    '  break',
    'done',
    'exit "$st"',
  ].join('\n');
}

export interface LaunchChain {
  /** The container's runtime dir (supervisor and task pids, exit status). */
  readonly runtimeDir: string;
  /** cgroup.procs files the task joins (as root) before anything else. */
  readonly joinProcsFiles: readonly string[];
  /** Absolute path of setsid(1): the task gets its own session and process group. */
  readonly setsid: string;
  /** unshare(1) and its flags, when the task gets namespaces of its own. */
  readonly unshare?: { readonly bin: string; readonly flags: readonly string[]; readonly init: InitPlan };
  /** e.g. the setpriv prefix from user.ts; empty to stay as the agent's user. */
  readonly privilegeDrop: readonly string[];
  /** Variables given back to the task after the privilege drop (see LOADER_VARIABLE), with env(1). */
  readonly afterDrop?: { readonly env: string; readonly variables: Readonly<Record<string, string>> };
  readonly command: TaskCommand;
}

/** The argv of the supervisor, which runs the whole chain down to the task. */
export function launchArgv(c: LaunchChain): string[] {
  const after =
    c.afterDrop !== undefined && Object.keys(c.afterDrop.variables).length > 0
      ? [c.afterDrop.env, ...Object.entries(c.afterDrop.variables).map(([k, v]) => `${k}=${v}`)]
      : [];
  const inner = [...c.privilegeDrop, ...after, ...commandArgv(c.command)];
  const namespaced =
    c.unshare === undefined ? inner : [c.unshare.bin, ...c.unshare.flags, '--', '/bin/sh', '-c', initScript(c.unshare.init), INIT_NAME, ...inner];
  return [
    '/bin/sh',
    '-c',
    supervisorScript(),
    SUPERVISOR_NAME,
    c.runtimeDir,
    '/bin/sh',
    '-c',
    wrapperScript(c.joinProcsFiles),
    WRAPPER_NAME,
    c.setsid,
    ...namespaced,
  ];
}

/** Split the task's environment: what the root-side steps get, and what only the task gets. */
export function splitEnvironment(env: Readonly<Record<string, string>>, dropsPrivileges: boolean): { chain: Record<string, string>; afterDrop: Record<string, string> } {
  if (!dropsPrivileges) return { chain: { ...env }, afterDrop: {} };
  const chain: Record<string, string> = {};
  const afterDrop: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) (LOADER_VARIABLE.test(k) ? afterDrop : chain)[k] = v;
  return { chain, afterDrop };
}
