/**
 * The agent's containerizer: runs one task contained by the isolators, in a way that outlives the
 * agent process.
 *
 * launch: the task isolators say what the launch needs (namespaces, setup, environment, device
 * rules) -> the container isolator (cgroups v1/v2, or posix) prepares -> the sandbox is created ->
 * a per-task **supervisor** is spawned detached (its own session, outside the task's cgroups): it
 * starts the chain join cgroups -> setsid -> [unshare + init] -> [setpriv] -> the command, each
 * step exec'ing the next (launch-wrapper.ts), reports the task's pid, waits for it and writes its
 * exit status into the container's runtime dir (container-runtime.ts). The agent records the
 * supervisor's pid and start time there too.
 *
 * exit: the supervisor exiting (the agent's child) or, for a container the agent re-attached to
 * after a restart, its status file appearing or the supervisor vanishing (polled) -> OOM? limits?
 * -> SIGKILL whatever is left -> remove the isolation -> `exited` resolves, exactly once, never
 * rejecting.
 *
 * kill(grace): recorded in the runtime dir (so a restarted agent finishes the job and reports
 * TASK_KILLED), SIGTERM to the task's process group and every process of its container, SIGKILL
 * after the grace period. A limitation noticed while running (memory, disk) destroys it at once.
 */
import { spawn } from 'node:child_process';
import { chown, type FileHandle } from 'node:fs/promises';
import { posix as path } from 'node:path';
import type { Readable } from 'node:stream';
import { findSupervisor, readExitStatus, readKillRecord, readSupervisorRecord, readTaskPid, RUNTIME_FILES, supervisorAlive, type SupervisorRecord, writeRuntimeJson } from '../container-runtime.js';
import { describeError } from '../isolation/errors.js';
import { launchArgv } from '../isolation/launch-wrapper.js';
import { readProcStat } from '../isolation/proc.js';
import { mergeContributions, type TaskContainer } from '../isolation/task-isolator.js';
import type { ContainerLimits } from '../isolation/types.js';
import { resolveUser, userSwitch, type UserInfo } from '../isolation/user.js';
import { decideRecovery } from '../recovery.js';
import { createSandbox } from '../sandbox.js';
import type { CommandUri } from '../../events/index.js';
import { fetchUris } from '../fetcher.js';
import { environmentsOf } from './environment.js';
import { enterRootArgv } from '../provisioner/mount-plan.js';
import { containerExec, nsenterFlags } from './exec.js';
import { RunningContainer } from './running-container.js';
import { openAppend, readPidPipe, waitForOwnSession } from './supervisor-pipe.js';
import { type Container, type Containerizer, ContainerizerError, type ContainerizerOptions, type LaunchSpec, type Recovered } from './types.js';

export type { Container, ContainerExec, Containerizer, ContainerizerOptions, ContainerStats, ExitInfo, LaunchSpec, Recovered } from './types.js';
export { ContainerizerError } from './types.js';
export { describeExit, effectiveOom } from './exit.js';
export { nsenterFlags } from './exec.js';

export function createContainerizer(opts: ContainerizerOptions): Containerizer {
  const { isolator } = opts;
  const taskIsolators = opts.taskIsolators ?? [];
  const log = opts.log.child({ component: 'containerizer' });
  const live = new Set<string>();
  const pollMs = opts.recoveredPollMs ?? 250;
  const hasNetwork = taskIsolators.some((t) => t.name === 'namespaces/network');

  function taskContainer(spec: LaunchSpec, user: UserInfo | undefined, privileged: boolean): TaskContainer {
    return {
      containerId: spec.containerId,
      sandbox: spec.sandbox,
      limits: spec.limits,
      options: spec.options ?? {},
      ...(user !== undefined && privileged ? { user: { uid: user.uid, gid: user.gid } } : {}),
    };
  }

  async function launch(launchSpec: LaunchSpec): Promise<Container> {
    let spec = launchSpec;
    const { containerId } = spec;
    const clog = log.child({ containerId });
    if (live.has(containerId)) {
      throw new ContainerizerError('CONTAINER_EXISTS', `container ${containerId} is already running`);
    }
    live.add(containerId);
    let prepared = false;
    const handles: FileHandle[] = [];
    let tc: TaskContainer | undefined;
    try {
      if (opts.tools.setsid === undefined) throw new Error('setsid (util-linux) is not installed in the system directories');
      let user: UserInfo | undefined;
      let privilegeDrop: readonly string[] = [];
      if (spec.user !== undefined) {
        user = await resolveUser(spec.user);
        privilegeDrop = await userSwitch(user);
      }
      if (spec.options?.network === 'NONE' && !hasNetwork) {
        throw new Error('the task asks for an empty network namespace (container network NONE), but this agent does not run the namespaces/network isolator (see --isolation)');
      }
      tc = taskContainer(spec, user, privilegeDrop.length > 0);
      await createSandbox(spec.sandbox);
      const contribution = mergeContributions(await Promise.all(taskIsolators.map((ti) => ti.prepare(tc!))));
      if (contribution.unshare.length > 0 && opts.tools.unshare === undefined) throw new Error('unshare (util-linux) is not installed in the system directories');
      const limits: ContainerLimits = contribution.denyDevices.length > 0 ? { ...spec.limits, devices: contribution.denyDevices } : spec.limits;
      const preparation = await isolator.prepare(containerId, limits);
      prepared = true;
      const stdout = await openAppend(path.join(spec.sandbox, 'stdout'));
      handles.push(stdout);
      const stderr = await openAppend(path.join(spec.sandbox, 'stderr'));
      handles.push(stderr);
      if (user !== undefined && privilegeDrop.length > 0) {
        await chown(spec.sandbox, user.uid, user.gid);
        await stdout.chown(user.uid, user.gid);
        await stderr.chown(user.uid, user.gid);
      }
      const image = contribution.image;
      if (spec.options?.image !== undefined && image === undefined) throw new Error(`image ${spec.options.image.name}: this agent does not provision images`);
      if (image === undefined && spec.command.value === '') throw new Error('the command is empty (command.value may only be left out by a task in an image, which runs its Entrypoint/Cmd)');
      const { chain, afterDrop } = environmentsOf(spec, user, contribution.env, privilegeDrop.length > 0, image);
      if (image !== undefined) {
        // Enter the image's root last (util-linux unshare: chroot, cd, then the user switch): every step before runs host programs.
        if (Object.keys(afterDrop).length > 0) throw new Error(`image ${image.image}: dynamic-loader variables (${Object.keys(afterDrop).join(', ')}) cannot be given to an image task that runs as another user`);
        const argv = image.argv(spec.command);
        privilegeDrop = enterRootArgv(opts.tools.unshare!, image.rootfs, image.workingDir, privilegeDrop.length > 0 ? user : undefined);
        spec = { ...spec, command: { ...spec.command, shell: false, value: argv[0]!, arguments: argv } };
      }
      const argv = launchArgv({
        runtimeDir: spec.runtimeDir,
        joinProcsFiles: preparation.joinProcsFiles,
        setsid: opts.tools.setsid,
        ...(contribution.unshare.length > 0
          ? { unshare: { bin: opts.tools.unshare!, flags: contribution.unshare, init: { setup: contribution.setup, pidNamespace: contribution.pidNamespace } } }
          : {}),
        privilegeDrop,
        ...(Object.keys(afterDrop).length > 0 ? { afterDrop: { env: '/usr/bin/env', variables: afterDrop } } : {}),
        command: spec.command,
      });
      const [file, ...args] = argv;
      if (file === undefined) throw new Error('empty argv');
      const child = spawn(file, args, {
        cwd: spec.sandbox,
        env: chain,
        stdio: ['ignore', stdout.fd, stderr.fd, 'pipe'],
        detached: true,
      });
      const supervisorExit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // Listen to the pipe at once: when the child exits, Node drains stdio streams nobody listens to.
      const reportedPid = readPidPipe(child.stdio[3] as Readable | null, 10_000);
      reportedPid.catch(() => undefined);
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      const supPid = child.pid;
      if (supPid === undefined) throw new Error('spawned supervisor has no pid');
      const supStat = await readProcStat(supPid);
      const supervisor: SupervisorRecord = { pid: supPid, startTicks: supStat?.startTicks ?? 0 };
      await writeRuntimeJson(spec.runtimeDir, RUNTIME_FILES.supervisor, supervisor);
      const pid = await reportedPid.catch(async (err: unknown) => {
        // It may have run and ended already (a task that exits at once): its pid file says.
        const written = await readTaskPid(spec.runtimeDir);
        if (written !== undefined) return written;
        child.kill('SIGKILL');
        throw err;
      });
      // The pid is known as soon as the supervisor forks; the task is contained (in its cgroups,
      // its own session) once that process has run setsid: signals before that would miss it.
      await waitForOwnSession(pid, 10_000);
      const exec = containerExec({
        sandbox: spec.sandbox,
        chainEnv: chain,
        afterDrop,
        joinProcsFiles: preparation.joinProcsFiles,
        privilegeDrop,
        ...(opts.tools.nsenter !== undefined ? { nsenter: { bin: opts.tools.nsenter, flags: nsenterFlags(contribution.unshare), pid: () => pid, pidNamespace: contribution.pidNamespace } } : {}),
      });
      const container = new RunningContainer(containerId, pid, exec, supervisor, spec.runtimeDir, tc, isolator, taskIsolators, clog.child({ pid }), () => live.delete(containerId));
      container.attachChild(child, supervisorExit);
      container.watch();
      clog.info(
        { pid, supervisorPid: supPid, isolation: isolator.kind, sandbox: spec.sandbox, user: spec.user, limits: spec.limits, namespaces: contribution.unshare },
        'container launched',
      );
      return container;
    } catch (err) {
      live.delete(containerId);
      if (prepared) {
        await isolator.cleanup(containerId).catch((e: unknown) => clog.error({ err: describeError(e) }, 'cleanup after failed launch failed'));
      }
      for (const ti of taskIsolators) await ti.cleanup?.(containerId).catch(() => undefined);
      clog.warn({ err: describeError(err) }, 'container launch failed');
      throw new ContainerizerError('LAUNCH_FAILED', `failed to launch container ${containerId}: ${describeError(err)}`, { cause: err });
    } finally {
      for (const h of handles) await h.close().catch(() => undefined);
    }
  }

  async function recover(spec: LaunchSpec): Promise<Recovered> {
    const { containerId } = spec;
    const clog = log.child({ containerId });
    const supervisor = (await readSupervisorRecord(spec.runtimeDir)) ?? (await findSupervisor(spec.runtimeDir));
    const decision = decideRecovery({
      supervisorKnown: supervisor !== undefined,
      supervisorAlive: supervisor !== undefined && (await supervisorAlive(supervisor)),
      exitStatusWritten: (await readExitStatus(spec.runtimeDir)) !== undefined,
    });
    if (decision === 'launch') {
      clog.info('container was never started; it will be launched');
      return { kind: 'not-started' };
    }
    const sup = supervisor ?? { pid: 0, startTicks: 0 };
    const pid = (await readTaskPid(spec.runtimeDir)) ?? 0;
    let user: UserInfo | undefined;
    let privilegeDrop: readonly string[] = [];
    if (spec.user !== undefined) {
      user = await resolveUser(spec.user).catch(() => undefined);
      if (user !== undefined) privilegeDrop = await userSwitch(user).catch(() => []);
    }
    const tc = taskContainer(spec, user, privilegeDrop.length > 0);
    live.add(containerId);
    await isolator.recover(containerId, spec.limits, pid).catch((err: unknown) => clog.warn({ err: describeError(err) }, 'cannot take over the container isolation'));
    const contribution = mergeContributions(await Promise.all(taskIsolators.map((ti) => ti.prepare(tc, true).catch(() => ({})))));
    const { chain, afterDrop } = environmentsOf(spec, user, contribution.env, privilegeDrop.length > 0, contribution.image);
    const exec = containerExec({
      sandbox: spec.sandbox,
      chainEnv: chain,
      afterDrop,
      joinProcsFiles: isolator.procsFiles(containerId),
      privilegeDrop,
      ...(opts.tools.nsenter !== undefined ? { nsenter: { bin: opts.tools.nsenter, flags: nsenterFlags(contribution.unshare), pid: () => pid, pidNamespace: contribution.pidNamespace } } : {}),
    });
    const container = new RunningContainer(containerId, pid, exec, sup, spec.runtimeDir, tc, isolator, taskIsolators, clog.child({ pid, recovered: true }), () => live.delete(containerId));
    const kill = await readKillRecord(spec.runtimeDir);
    if (decision === 'ended') {
      if (kill !== undefined) container.markKillRequested();
      clog.info({ supervisorPid: sup.pid }, 'container ended while the agent was down');
      await container.finishFound();
      return { kind: 'attached', container, running: false };
    }
    container.watch();
    container.startPolling(pollMs);
    if (kill !== undefined) container.resumeKill(kill);
    clog.info({ pid, supervisorPid: sup.pid }, 'container re-attached');
    return { kind: 'attached', container, running: true };
  }

  async function prepareSandbox(spec: LaunchSpec, uris: readonly CommandUri[], signal?: AbortSignal): Promise<void> {
    await createSandbox(spec.sandbox);
    if (uris.length === 0 && spec.user === undefined) return;
    let user: UserInfo | undefined;
    let drop: readonly string[] = [];
    if (spec.user !== undefined) {
      user = await resolveUser(spec.user);
      drop = await userSwitch(user);
      if (drop.length > 0) await chown(spec.sandbox, user.uid, user.gid);
    }
    if (uris.length === 0) return;
    await fetchUris(uris, {
      sandbox: spec.sandbox,
      tools: opts.tools,
      ...(user !== undefined && drop.length > 0 ? { owner: { uid: user.uid, gid: user.gid }, asOwner: drop } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
  }

  return {
    isolation: isolator.kind,
    isolators: taskIsolators.map((t) => t.name),
    prepareSandbox,
    launch,
    recover,
    async destroy(containerId) {
      await isolator.cleanup(containerId);
      for (const ti of taskIsolators) await ti.cleanup?.(containerId).catch(() => undefined);
    },
    containersOnHost: () => isolator.containers(),
  };
}
