/**
 * A container that runs (launched by this agent process, or re-attached after a restart): watching
 * its limits, noticing its end (the supervisor's exit, or for a re-attached one its status file or
 * the supervisor vanishing, polled), finishing it exactly once (OOM? limits? SIGKILL what is left,
 * remove the isolation, resolve `exited`), killing it (recorded in the runtime dir, SIGTERM, SIGKILL
 * after the grace period) and its usage.
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { type KillRecord, readExitStatus, RUNTIME_FILES, splitExitStatus, supervisorAlive, type SupervisorRecord, writeRuntimeJson } from '../container-runtime.js';
import { signalPids } from '../isolation/cgroup-io.js';
import { MIB, USER_HZ } from '../isolation/cgroup-values.js';
import { describeError } from '../isolation/errors.js';
import { readProcStat, readRssBytes } from '../isolation/proc.js';
import type { TaskContainer, TaskIsolator } from '../isolation/task-isolator.js';
import type { ContainerUsage, Isolator, OomReport, TaskLimitation } from '../isolation/types.js';
import { describeExit, effectiveOom } from './exit.js';
import type { Container, ContainerExec, ContainerStats, ExitInfo } from './types.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  if (pgid <= 1) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is empty
  }
}

/** Isolators with a pids limit can tell how many forks it refused. */
interface PidsAware {
  pidsLimitHits(containerId: string): Promise<number>;
}
const hasPidsHits = (i: Isolator): i is Isolator & PidsAware => typeof (i as Partial<PidsAware>).pidsLimitHits === 'function';

export class RunningContainer implements Container {
  readonly exited: Promise<ExitInfo>;
  private resolveExited!: (info: ExitInfo) => void;
  private readonly commandExited: Promise<void>;
  private markCommandExited!: () => void;
  private commandHasExited = false;
  private finishing = false;
  private killRequested = false;
  private limitation: OomReport | null = null;
  private taskLimitation: TaskLimitation | null = null;
  private poller: NodeJS.Timeout | undefined;

  constructor(
    readonly containerId: string,
    readonly pid: number,
    readonly exec: ContainerExec,
    private readonly supervisor: SupervisorRecord,
    private readonly runtimeDir: string,
    private readonly tc: TaskContainer,
    private readonly isolator: Isolator,
    private readonly taskIsolators: readonly TaskIsolator[],
    private readonly log: Logger,
    private readonly onDone: () => void,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.commandExited = new Promise((resolve) => (this.markCommandExited = resolve));
  }

  get supervisorPid(): number {
    return this.supervisor.pid;
  }

  /** Watch limits: the container isolator (memory) and the task isolators (disk). */
  watch(): void {
    try {
      this.isolator.watch(this.containerId, this.pid, (report) => this.onLimitation(report, null));
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'cannot watch container limits');
    }
    for (const ti of this.taskIsolators) {
      try {
        ti.watch?.(this.tc, (l) => this.onLimitation(null, l));
      } catch (err) {
        this.log.error({ err: describeError(err), isolator: ti.name }, 'cannot watch the task');
      }
    }
  }

  /** A freshly spawned supervisor: its exit (subscribed to right at the spawn) is the task's end. */
  attachChild(child: ChildProcess, exit: Promise<void>): void {
    child.on('error', (err) => this.log.warn({ err: describeError(err) }, 'supervisor process error'));
    void exit.then(() => this.observe(true));
  }

  /** A re-attached container: poll for the status file or the supervisor's end. */
  startPolling(everyMs: number): void {
    const tick = (): void => {
      this.poller = undefined;
      void this.observe(false).then((done) => {
        if (!done && !this.commandHasExited) this.poller = setTimeout(tick, everyMs).unref();
      });
    };
    tick();
  }

  /** Has the task ended? If so, finish. `supervisorGone`: the agent saw its child exit. */
  private async observe(supervisorGone: boolean): Promise<boolean> {
    if (this.finishing) return true;
    let status = await readExitStatus(this.runtimeDir);
    if (status === undefined) {
      if (!supervisorGone && (await supervisorAlive(this.supervisor))) return false;
      status = await readExitStatus(this.runtimeDir); // written just before it exited?
    }
    if (this.finishing) return true;
    this.finishing = true;
    await this.finish(status);
    return true;
  }

  /** Finish now, with what the runtime dir says (for containers found ended at recovery). */
  async finishFound(): Promise<void> {
    if (this.finishing) return;
    this.finishing = true;
    await this.finish(await readExitStatus(this.runtimeDir));
  }

  /** A kill was started before the agent restarted (the task ended meanwhile: it was killed). */
  markKillRequested(): void {
    this.killRequested = true;
  }

  /** Continue a kill that an earlier agent process started. */
  resumeKill(k: KillRecord): void {
    this.killRequested = true;
    const left = Math.max(0, k.at + k.gracePeriodMs - Date.now());
    this.log.info({ graceLeftMs: left }, 'resuming the kill started before the agent restarted');
    void this.kill(left, true);
  }

  private onLimitation(report: OomReport | null, l: TaskLimitation | null): void {
    if (this.commandHasExited || this.limitation !== null || this.taskLimitation !== null) return;
    this.limitation = report;
    this.taskLimitation = l;
    this.log.warn({ limitBytes: report?.limitBytes, maxUsedBytes: report?.maxUsedBytes, limitation: l?.message }, 'container over a limit; destroying it');
    void this.signalAll('SIGKILL');
  }

  /** Signal the process group and every process the isolator knows of. */
  private async signalAll(signal: NodeJS.Signals): Promise<void> {
    signalGroup(this.pid, signal);
    try {
      signalPids(await this.isolator.pids(this.containerId), signal);
    } catch (err) {
      this.log.warn({ err: describeError(err), signal }, 'cannot list container processes');
    }
  }

  private async finish(status: number | undefined): Promise<void> {
    clearTimeout(this.poller);
    this.commandHasExited = true;
    this.markCommandExited();
    const { code, signal } = status === undefined ? { code: null, signal: null } : splitExitStatus(status);
    let oom = this.limitation;
    try {
      oom ??= effectiveOom(await this.isolator.oom(this.containerId), code, signal);
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'cannot tell whether the container was OOM-killed');
    }
    let pidsHits = 0;
    if (hasPidsHits(this.isolator)) pidsHits = await this.isolator.pidsLimitHits(this.containerId).catch(() => 0);
    signalGroup(this.pid, 'SIGKILL'); // leftovers outside the isolator's view (e.g. posix)
    try {
      await this.isolator.cleanup(this.containerId);
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'container cleanup failed; processes or cgroups may be left');
    }
    for (const ti of this.taskIsolators) await ti.cleanup?.(this.containerId).catch((err: unknown) => this.log.error({ err: describeError(err), isolator: ti.name }, 'isolator cleanup failed'));
    let message =
      status === undefined && oom === null && this.taskLimitation === null
        ? `Abnormal executor termination: the task's supervisor (pid ${this.supervisor.pid}) ended without recording the task's exit status`
        : this.taskLimitation !== null && oom === null
          ? this.taskLimitation.message
          : describeExit(code, signal, oom);
    if (pidsHits > 0) message += ` (the task reached its process limit: ${pidsHits} fork${pidsHits > 1 ? 's' : ''} refused)`;
    const info: ExitInfo = {
      code,
      signal,
      oomKilled: oom !== null,
      ...(this.taskLimitation !== null && oom === null ? { limitation: this.taskLimitation } : {}),
      killedByUs: this.killRequested,
      ...(status === undefined ? { statusUnknown: true } : {}),
      message,
    };
    this.log.info({ ...info }, 'container exited');
    this.onDone();
    this.resolveExited(info);
  }

  async kill(gracePeriodMs: number, resumed = false): Promise<ExitInfo> {
    if (this.commandHasExited) return this.exited;
    if (!resumed) {
      if (this.killRequested) return this.exited;
      this.killRequested = true;
      await writeRuntimeJson(this.runtimeDir, RUNTIME_FILES.kill, { gracePeriodMs, at: Date.now() }).catch((err: unknown) =>
        this.log.warn({ err: describeError(err) }, 'cannot record the kill'),
      );
    }
    this.log.info({ gracePeriodMs }, 'killing container');
    await this.signalAll('SIGTERM');
    const inTime = await Promise.race([this.commandExited.then(() => true), sleep(Math.max(0, gracePeriodMs)).then(() => false)]);
    if (!inTime) {
      this.log.info({ gracePeriodMs }, 'grace period over; sending SIGKILL');
      await this.signalAll('SIGKILL');
    }
    return this.exited;
  }

  async usage(): Promise<ContainerStats> {
    let usage: ContainerUsage = {};
    if (!this.commandHasExited) {
      try {
        usage = { ...(await this.isolator.usage(this.containerId)) };
        for (const ti of this.taskIsolators) if (ti.usage !== undefined) Object.assign(usage, await ti.usage(this.containerId));
        if (usage.cpuUserSecs === undefined || usage.memRssBytes === undefined || usage.processes === undefined) {
          Object.assign(usage, { ...(await procUsage(await this.isolator.pids(this.containerId))), ...usage });
        }
      } catch (err) {
        this.log.debug({ err: describeError(err) }, 'cannot read usage');
      }
    }
    return {
      ...usage,
      cpusLimit: this.tc.limits.cpus,
      memLimitBytes: Math.floor(this.tc.limits.memMb * MIB),
      timestamp: Date.now() / 1000,
    };
  }
}

/** Usage summed from /proc for isolators that cannot tell (e.g. cgroups/mem without cpuacct). */
async function procUsage(pids: readonly number[]): Promise<ContainerUsage> {
  let user = 0;
  let system = 0;
  let rss = 0;
  for (const pid of pids) {
    const s = await readProcStat(pid);
    if (s === undefined) continue;
    user += s.utimeTicks;
    system += s.stimeTicks;
    rss += (await readRssBytes(pid)) ?? 0;
  }
  return { cpuUserSecs: user / USER_HZ, cpuSystemSecs: system / USER_HZ, memRssBytes: rss, processes: pids.length };
}
