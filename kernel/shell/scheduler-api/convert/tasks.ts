/** The Mesos scheduler API's JSON and ours: taskInfo (see index.ts). */
import { z } from 'zod';
import { CommandInfo, type CommandUri, type ContainerSettings, ExecutorInfo, GroupExecutor, Secret, TaskInfo, idError } from '../../../../events/index.js';
import { type MesosCommandInfo, type MesosContainerInfo, type MesosExecutorInfo, type MesosTaskInfo } from '../wire.js';
import { checkFromMesos, healthCheckFromMesos } from '../checks.js';
import { issuesText, labelsFromMesos } from './common.js';
import { resourcesFromMesos } from './resources.js';

export type TaskInfoResult = { readonly ok: true; readonly task: TaskInfo } | { readonly ok: false; readonly error: string };

const NANOS_PER_MS = 1_000_000;

/**
 * Mesos TaskInfo → ours. A task has a `command` (run by the built-in command executor) or an
 * `executor` (a custom executor, started by the agent with the first of its tasks); its URIs are fetched by the agent, and a MESOS container may ask for an empty network
 * namespace or to share the agent's pid namespace. What the kernel cannot do yet is refused with
 * the reason (Docker, container images and volumes, CNI networks, other Linux
 * settings, secrets, limits, max_completion_time). Health checks and checks are converted and
 * validated as Mesos's master does. `data` (unused by the command executor) and `discovery` (metadata) are
 * accepted and not kept. For a task of a LAUNCH_GROUP pass the group's executor: a task may then
 * repeat that executor (same executor_id), as Mesos allows. The error does not name the task.
 */
export function taskInfoFromMesos(ti: MesosTaskInfo, groupExecutor?: MesosExecutorInfo): TaskInfoResult {
  const refuse = (error: string): TaskInfoResult => ({ ok: false, error });
  // Mesos's validateTaskID: the id names the sandbox directory on the agent.
  const badId = idError(ti.task_id.value);
  if (badId !== undefined) return refuse(`Task ID ${JSON.stringify(ti.task_id.value)} is invalid: ${badId}`);

  if (ti.executor !== undefined) {
    if (groupExecutor !== undefined && ti.executor.executor_id.value !== groupExecutor.executor_id.value) {
      return refuse(
        `the executor of task '${ti.task_id.value}' differs from the task group's executor '${groupExecutor.executor_id.value}'`,
      );
    }
  }
  let container: ContainerSettings | undefined;
  if (ti.container !== undefined) {
    const why = containerRefusal(ti.container);
    if (why !== undefined) return refuse(why);
    container = containerFromMesos(ti.container);
  }
  const healthCheck = ti.health_check !== undefined ? healthCheckFromMesos(ti.health_check) : undefined;
  if (healthCheck !== undefined && !healthCheck.ok) return refuse(healthCheck.error);
  const check = ti.check !== undefined ? checkFromMesos(ti.check) : undefined;
  if (check !== undefined && !check.ok) return refuse(check.error);
  if (ti.max_completion_time !== undefined) return refuse('max_completion_time is not supported yet');
  if (ti.limits !== undefined && Object.keys(ti.limits).length > 0) return refuse('resource limits (TaskInfo.limits) are not supported yet');

  let command: z.input<typeof CommandInfo> | undefined;
  let executor: z.input<typeof ExecutorInfo> | undefined;
  if (ti.executor !== undefined && groupExecutor === undefined) {
    // A task of a custom executor (Mesos: one of command and executor).
    if (ti.command !== undefined) return refuse("a task must set one of 'command' and 'executor', not both");
    const ex = customExecutorFromMesos(ti.executor);
    if (!ex.ok) return refuse(ex.error);
    executor = ex.executor;
  } else if (ti.command === undefined && groupExecutor?.type === 'CUSTOM') {
    // A task of a custom executor's group: the executor runs it (TaskInfo.data says how).
  } else {
    if (ti.command === undefined) return refuse("a task needs 'command' (or 'executor', a custom executor to run it)");
    const c = commandFromMesos(ti.command, container?.image !== undefined);
    if (!c.ok) return refuse(c.error);
    command = c.command;
  }

  let killGracePeriodMs: number | undefined;
  const grace = ti.kill_policy?.grace_period;
  if (grace !== undefined) {
    if (grace.nanoseconds < 0) return refuse("'kill_policy.grace_period' must not be negative");
    killGracePeriodMs = Math.round(grace.nanoseconds / NANOS_PER_MS);
  }

  const resources = resourcesFromMesos(ti.resources);
  if (!resources.ok) return refuse(resources.error);

  const labels = labelsFromMesos(ti.labels);
  const candidate: z.input<typeof TaskInfo> = {
    taskId: ti.task_id.value,
    name: ti.name,
    agentId: ti.agent_id.value,
    resources: [...resources.resources],
    ...(command !== undefined ? { command } : {}),
    ...(executor !== undefined ? { executor } : {}),
    ...(ti.data !== undefined && (executor !== undefined || groupExecutor?.type === 'CUSTOM') ? { data: ti.data } : {}),
    ...(killGracePeriodMs !== undefined ? { killGracePeriodMs } : {}),
    ...(labels !== undefined ? { labels } : {}),
    ...(container !== undefined ? { container } : {}),
    ...(healthCheck?.ok === true ? { healthCheck: healthCheck.value } : {}),
    ...(check?.ok === true ? { check: check.value } : {}),
  };
  const checked = TaskInfo.safeParse(candidate);
  if (!checked.success) {
    return refuse(issuesText(checked.error, { taskId: 'task_id', agentId: 'agent_id', killGracePeriodMs: 'kill_policy', outputFile: 'output_file' }));
  }
  return { ok: true, task: checked.data };
}

type CommandResult = { readonly ok: true; readonly command: z.input<typeof CommandInfo> } | { readonly ok: false; readonly error: string };

/** Mesos CommandInfo → ours (a task's or a custom executor's): URIs, environment (secrets by value), user. */
function commandFromMesos(cmd: MesosCommandInfo, inImage = false): CommandResult {
  const refuse = (error: string): CommandResult => ({ ok: false, error });
  const uris: Array<z.input<typeof CommandUri>> = [];
  for (const u of cmd.uris) {
    if (u.value === '') return refuse("a URI needs 'value'");
    // `cache` asks for the fetcher cache, an optimisation this agent does not have: fetched directly.
    uris.push({
      value: u.value,
      ...(u.executable !== undefined ? { executable: u.executable } : {}),
      ...(u.extract !== undefined ? { extract: u.extract } : {}),
      ...(u.output_file !== undefined ? { outputFile: u.output_file } : {}),
    });
  }
  // Without a value, a task in an image with shell false runs the image's Entrypoint/Cmd (Mesos's docker/runtime).
  const imageCommand = !cmd.shell && inImage;
  if ((cmd.value === undefined || cmd.value === '') && !imageCommand) {
    return refuse("'command.value' is required (the shell command, or the executable when shell is false; only a task in an image may leave it out to run the image's Entrypoint/Cmd)");
  }

  let environment: Record<string, string> | undefined;
  let secrets: Record<string, z.input<typeof Secret>> | undefined;
  for (const v of cmd.environment?.variables ?? []) {
    if (v.type === 'SECRET') {
      const secret = secretFromMesos(v.name, v.secret);
      if (typeof secret === 'string') return refuse(secret);
      (secrets ??= {})[v.name] = secret;
      continue;
    }
    if (v.value === undefined) return refuse(`environment variable '${v.name}' has no value`);
    (environment ??= {})[v.name] = v.value;
  }
  return {
    ok: true,
    command: {
      value: cmd.value ?? '',
      shell: cmd.shell,
      ...(cmd.arguments.length > 0 ? { arguments: [...cmd.arguments] } : {}),
      ...(environment !== undefined ? { environment } : {}),
      ...(cmd.user !== undefined ? { user: cmd.user } : {}),
      ...(uris.length > 0 ? { uris } : {}),
      ...(secrets !== undefined ? { secrets } : {}),
    },
  };
}

type CustomExecutorResult = { readonly ok: true; readonly executor: z.input<typeof ExecutorInfo> } | { readonly ok: false; readonly error: string };

/**
 * A task's ExecutorInfo → our custom executor, with Mesos's master checks: type CUSTOM (or unset,
 * as older frameworks send it), a valid id, a `command`; DEFAULT belongs in a LAUNCH_GROUP. A
 * container other than a bare MESOS one is refused with the reason, as for tasks.
 */
export function customExecutorFromMesos(ex: MesosExecutorInfo): CustomExecutorResult {
  const refuse = (error: string): CustomExecutorResult => ({ ok: false, error });
  const badId = idError(ex.executor_id.value);
  if (badId !== undefined) return refuse(`Executor ID ${JSON.stringify(ex.executor_id.value)} is invalid: ${badId}`);
  if (ex.type === 'UNKNOWN') return refuse('Unknown executor type');
  if (ex.type === 'DEFAULT') return refuse("the DEFAULT executor runs task groups: send a LAUNCH_GROUP, or make this executor 'CUSTOM' with a 'command'");
  if (ex.command === undefined) return refuse("'ExecutorInfo.command' must be set for a 'CUSTOM' executor");
  if (ex.container !== undefined) {
    if (ex.container.mesos?.image !== undefined || ex.container.volumes.length > 0) {
      return refuse("executor: an image or volumes for a custom executor are not supported yet (its program runs in the agent's root); give the image to the tasks of a DEFAULT executor's group, or to command tasks");
    }
    const why = containerRefusal(ex.container);
    if (why !== undefined) return refuse(`executor: ${why}`);
  }
  const command = commandFromMesos(ex.command);
  if (!command.ok) return refuse(`executor: ${command.error}`);
  const resources = resourcesFromMesos(ex.resources);
  if (!resources.ok) return refuse(`executor resources: ${resources.error}`);
  const grace = ex.shutdown_grace_period?.nanoseconds;
  if (grace !== undefined && grace < 0) return refuse("'executor.shutdown_grace_period' must not be negative");
  const candidate: z.input<typeof ExecutorInfo> = {
    executorId: ex.executor_id.value,
    ...(ex.framework_id !== undefined ? { frameworkId: ex.framework_id.value } : {}),
    ...(ex.name !== undefined ? { name: ex.name } : {}),
    command: command.command,
    resources: [...resources.resources],
    ...(grace !== undefined ? { shutdownGracePeriodMs: Math.round(grace / NANOS_PER_MS) } : {}),
  };
  const checked = ExecutorInfo.safeParse(candidate);
  if (!checked.success) return refuse(`executor: ${issuesText(checked.error, { executorId: 'executor_id', frameworkId: 'framework_id', shutdownGracePeriodMs: 'shutdown_grace_period' })}`);
  return { ok: true, executor: candidate };
}

/**
 * A `MESOS` container with what this agent does: `linux_info.share_pid_namespace` (stay in the
 * agent's pid namespace although it runs namespaces/pid) and `network_infos: [{name: "none"}]`
 * (an empty network namespace; the agent must run namespaces/network). Anything more asks for
 * what we lack: refused with the reason.
 */
function containerRefusal(c: MesosContainerInfo): string | undefined {
  if (c.type === 'DOCKER' || c.docker !== undefined) return 'Docker containers are not supported';
  const image = imageFromMesos(c);
  if (image !== undefined && !image.ok) return image.error;
  const volumes = volumesFromMesos(c);
  if (!volumes.ok) return volumes.error;
  if (volumes.volumes.length > 0 && image === undefined) return 'container volumes are only supported for tasks with an image (container.mesos.image)';
  const extras: string[] = [];
  if (c.network_infos.length > 1) return 'a container joins at most one network here (container.network_infos)';
  const net = c.network_infos[0];
  if (net !== undefined) {
    const keys = Object.keys(net).filter((k) => k !== 'name');
    if (net.name !== 'none' || keys.length > 0) {
      return `container.network_infos: only {"name": "none"} (an empty network namespace) is supported; CNI networks, IP addresses and port mappings are not`;
    }
  }
  if (c.linux_info !== undefined) {
    const other = Object.keys(c.linux_info).filter((k) => k !== 'share_pid_namespace');
    if (other.length > 0) return `container.linux_info: only share_pid_namespace is supported (not ${other.join(', ')})`;
    if (typeof c.linux_info.share_pid_namespace !== 'boolean') return 'container.linux_info.share_pid_namespace must be a boolean';
  }
  for (const k of ['hostname', 'rlimit_info', 'tty_info'] as const) if (c[k] !== undefined) extras.push(k);
  return extras.length > 0 ? `container settings are not supported yet (container.${extras.join(', container.')})` : undefined;
}

/** Our container settings from a Mesos container that containerRefusal accepted. */
function containerFromMesos(c: MesosContainerInfo): ContainerSettings | undefined {
  const out: { network?: 'NONE'; sharePidNamespace?: boolean } = {};
  if (c.network_infos[0]?.name === 'none') out.network = 'NONE';
  const share = c.linux_info?.share_pid_namespace;
  if (typeof share === 'boolean') out.sharePidNamespace = share;
  const image = imageFromMesos(c);
  const volumes = volumesFromMesos(c);
  const settings: ContainerSettings = {
    ...out,
    ...(image?.ok === true ? { image: image.image } : {}),
    ...(volumes.ok && volumes.volumes.length > 0 ? { volumes: volumes.volumes } : {}),
  };
  return Object.keys(settings).length > 0 ? settings : undefined;
}

type Checked<K extends string, T> = ({ readonly ok: true } & { readonly [k in K]: T }) | { readonly ok: false; readonly error: string };
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `mesos.image` of type DOCKER (`docker.name`) or APPC (`appc.name` and `appc.labels`); anything else refused with the reason. */
function imageFromMesos(c: MesosContainerInfo): Checked<'image', NonNullable<ContainerSettings['image']>> | undefined {
  const img: unknown = c.mesos?.image;
  if (img === undefined) return undefined;
  if (!isRecord(img)) return { ok: false, error: 'container.mesos.image must be an object' };
  if (img['type'] === 'APPC') {
    const appc = img['appc'];
    if (!isRecord(appc)) return { ok: false, error: 'container.mesos.image.appc is required for type APPC' };
    const name = appc['name'];
    if (typeof name !== 'string' || name === '' || name.length > 1024) return { ok: false, error: 'container.mesos.image.appc.name is required (at most 1024 characters)' };
    if (appc['id'] !== undefined) return { ok: false, error: 'container.mesos.image.appc.id is not supported (images are found by name and labels)' };
    const labels: Record<string, string> = {};
    const list = isRecord(appc['labels']) ? appc['labels']['labels'] : appc['labels'];
    if (list !== undefined) {
      if (!Array.isArray(list)) return { ok: false, error: 'container.mesos.image.appc.labels must be {"labels": [{"key", "value"}]}' };
      for (const l of list) {
        if (!isRecord(l) || typeof l['key'] !== 'string' || l['key'] === '' || l['key'].length > 128 || (l['value'] !== undefined && (typeof l['value'] !== 'string' || l['value'].length > 1024))) {
          return { ok: false, error: 'container.mesos.image.appc.labels: each label needs a string key (and a string value)' };
        }
        labels[l['key']] = (l['value'] as string | undefined) ?? '';
      }
    }
    return { ok: true, image: { type: 'APPC', name, ...(Object.keys(labels).length > 0 ? { labels } : {}) } };
  }
  if (img['type'] !== 'DOCKER') return { ok: false, error: "container.mesos.image.type must be 'DOCKER' or 'APPC'" };
  const docker = img['docker'];
  const name = isRecord(docker) ? docker['name'] : undefined;
  if (typeof name !== 'string' || name === '') return { ok: false, error: 'container.mesos.image.docker.name is required' };
  if (name.length > 1024) return { ok: false, error: 'container.mesos.image.docker.name is too long' };
  if (isRecord(docker) && docker['credential'] !== undefined) return { ok: false, error: 'container.mesos.image.docker.credential is not supported (the agent pulls with the credentials of its --docker-config)' };
  if (img['cached'] !== undefined && typeof img['cached'] !== 'boolean') return { ok: false, error: 'container.mesos.image.cached must be a boolean' };
  return { ok: true, image: { type: 'DOCKER', name, ...(img['cached'] === false ? { cached: false } : {}) } };
}

/** `volumes` with a HOST_PATH or SANDBOX_PATH (SELF) source, or the old `host_path` (absolute: host; relative: sandbox). */
function volumesFromMesos(c: MesosContainerInfo): Checked<'volumes', NonNullable<ContainerSettings['volumes']>> {
  const out: NonNullable<ContainerSettings['volumes']>[number][] = [];
  for (const [i, v] of c.volumes.entries()) {
    const bad = (why: string): { ok: false; error: string } => ({ ok: false, error: `container.volumes[${i}]: ${why}` });
    if (!isRecord(v)) return bad('must be an object');
    const containerPath = v['container_path'];
    if (typeof containerPath !== 'string' || containerPath === '') return bad("'container_path' is required");
    const mode = v['mode'] ?? 'RW';
    if (mode !== 'RW' && mode !== 'RO') return bad("'mode' must be RW or RO");
    if (v['image'] !== undefined) return bad('image volumes are not supported');
    let source: { type: 'HOST_PATH' | 'SANDBOX_PATH'; path: string } | undefined;
    const src = v['source'];
    if (src !== undefined) {
      if (!isRecord(src)) return bad("'source' must be an object");
      if (src['type'] === 'HOST_PATH') {
        const hp = src['host_path'];
        const p = isRecord(hp) ? hp['path'] : undefined;
        if (typeof p !== 'string' || !p.startsWith('/')) return bad('a HOST_PATH source needs an absolute host_path.path');
        source = { type: 'HOST_PATH', path: p };
      } else if (src['type'] === 'SANDBOX_PATH') {
        const sp = src['sandbox_path'];
        if (!isRecord(sp)) return bad('a SANDBOX_PATH source needs sandbox_path');
        if ((sp['type'] ?? 'SELF') !== 'SELF') return bad('only SANDBOX_PATH volumes of type SELF are supported');
        const p = sp['path'];
        if (typeof p !== 'string' || p === '' || p.startsWith('/')) return bad('a SANDBOX_PATH source needs a relative sandbox_path.path');
        source = { type: 'SANDBOX_PATH', path: p };
      } else return bad(`volume sources of type ${String(src['type'])} are not supported (HOST_PATH and SANDBOX_PATH are)`);
    } else if (typeof v['host_path'] === 'string' && v['host_path'] !== '') {
      const hp = v['host_path'];
      source = hp.startsWith('/') ? { type: 'HOST_PATH', path: hp } : { type: 'SANDBOX_PATH', path: hp };
    } else return bad("a volume needs 'source' or 'host_path'");
    if (containerPath.length > 4096 || source.path.length > 4096) return bad('path too long');
    out.push({ containerPath, mode, source });
  }
  if (out.length > 64) return { ok: false, error: 'container.volumes: at most 64' };
  return { ok: true, volumes: out };
}

export type GroupExecutorResult =
  | { readonly ok: true; readonly executor: GroupExecutor; readonly custom?: z.input<typeof ExecutorInfo> }
  | { readonly ok: false; readonly error: string };

/**
 * The executor of a LAUNCH_GROUP → ours, with Mesos's checks: the type must be set; DEFAULT (run
 * by the agent, each task in a container of its own) has no `command` and no container other than
 * a bare MESOS one; CUSTOM is a custom executor (as for a LAUNCH: its `command`), given the group
 * in one LAUNCH_GROUP event.
 */
export function groupExecutorFromMesos(ex: MesosExecutorInfo): GroupExecutorResult {
  const refuse = (error: string): GroupExecutorResult => ({ ok: false, error });
  const badId = idError(ex.executor_id.value);
  if (badId !== undefined) return refuse(`Executor ID ${JSON.stringify(ex.executor_id.value)} is invalid: ${badId}`);
  if (ex.type === undefined) return refuse("'ExecutorInfo.type' must be set");
  if (ex.type === 'UNKNOWN') return refuse('Unknown executor type');
  if (ex.type === 'CUSTOM') {
    const custom = customExecutorFromMesos(ex);
    if (!custom.ok) return custom;
    const checked = GroupExecutor.safeParse({ executorId: custom.executor.executorId, resources: custom.executor.resources });
    if (!checked.success) return refuse(`executor: ${issuesText(checked.error, { executorId: 'executor_id' })}`);
    return { ok: true, executor: checked.data, custom: custom.executor };
  }
  if (ex.command !== undefined) return refuse("'ExecutorInfo.command' must not be set for 'DEFAULT' executor");
  if (ex.container !== undefined) {
    if (ex.container.mesos?.image !== undefined || ex.container.volumes.length > 0) return refuse("executor: an image or volumes for the DEFAULT executor are not supported; give them to the group's tasks");
    const why = containerRefusal(ex.container);
    if (why !== undefined) return refuse(`executor: ${why}`);
  }
  const resources = resourcesFromMesos(ex.resources);
  if (!resources.ok) return refuse(`executor resources: ${resources.error}`);
  const checked = GroupExecutor.safeParse({ executorId: ex.executor_id.value, resources: resources.resources });
  if (!checked.success) return refuse(`executor: ${issuesText(checked.error, { executorId: 'executor_id' })}`);
  return { ok: true, executor: checked.data };
}

/** Mesos's `Secret` of an environment variable: its value (type VALUE), or why it is refused. */
function secretFromMesos(name: string, secret: unknown): z.input<typeof Secret> | string {
  const s = secret as { type?: unknown; value?: { data?: unknown }; reference?: unknown } | undefined;
  if (s === undefined || s === null || typeof s !== 'object') return `environment variable '${name}' is of type SECRET but has no 'secret'`;
  if (s.type === 'REFERENCE' || (s.type === undefined && s.reference !== undefined)) {
    return `environment variable '${name}': a secret of type REFERENCE needs a secret resolver, which this master does not have; give the value itself ('secret': {'type': 'VALUE', 'value': {'data': <base64>}})`;
  }
  if (s.type !== 'VALUE' && s.type !== undefined) return `environment variable '${name}': unknown secret type ${JSON.stringify(s.type)} (expected VALUE)`;
  const parsed = Secret.safeParse({ type: 'VALUE', value: { data: s.value?.data } });
  if (!parsed.success) return `environment variable '${name}': 'secret.value.data' ${parsed.error.issues[0]?.message ?? 'is invalid'}`;
  return parsed.data;
}
