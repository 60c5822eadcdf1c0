/**
 * The units of `mesos dev`: a master or an agent (a `mesos` child process, its output appended
 * to `<logs>/<name>.log`) and a NATS node (a nats-server of cli/nats/).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningNatsServer } from '../nats/index.js';
import { httpGet } from '../../security/tls/index.js';
import type { ChildPlan } from './plans.js';
import type { NetSlot } from './netns.js';
import type { Unit, UnitRun } from './supervisor.js';

const MESOS_JS = fileURLToPath(new URL('../mesos.js', import.meta.url));

/** How a child ended, as a person reads it. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? signal : `exit ${code ?? '?'}`;
}

interface Spawned {
  readonly proc: ChildProcess;
  readonly logFile: string;
  readonly logStart: number;
  readonly exited: Promise<string>;
  hasExited: boolean;
}

function spawnMesos(plan: ChildPlan, logs: string): Spawned {
  const logFile = join(logs, `${plan.name}.log`);
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const fd = openSync(logFile, 'a');
  // detached: a process group of its own (a terminal's Ctrl-C reaches `mesos dev` only, which
  // stops the children in order). The IPC channel stops the child when `mesos dev` dies.
  const wrap = plan.wrap ?? [];
  const proc = spawn(wrap[0] ?? process.execPath, [...wrap.slice(1), ...(wrap.length > 0 ? [process.execPath] : []), MESOS_JS, ...plan.args], { stdio: ['ignore', fd, fd, 'ipc'], detached: true, env: { ...process.env, ...plan.env } });
  closeSync(fd);
  const s: Spawned = {
    proc,
    logFile,
    logStart,
    hasExited: false,
    exited: new Promise((res) => {
      proc.once('exit', (code, signal) => {
        s.hasExited = true;
        res(describeExit(code, signal));
      });
      proc.once('error', (err) => {
        s.hasExited = true;
        res(`could not start: ${err.message}`);
      });
    }),
  };
  return s;
}

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // the group is gone
  }
}

function stopper(s: Spawned): (graceMs: number) => Promise<void> {
  return async (graceMs) => {
    if (!s.hasExited) {
      s.proc.kill('SIGTERM');
      s.proc.kill('SIGCONT'); // a SIGSTOPped child (mesos chaos) must run to handle the SIGTERM
      const t = setTimeout(() => signalGroup(s.proc.pid, 'SIGKILL'), graceMs);
      await s.exited;
      clearTimeout(t);
    }
    signalGroup(s.proc.pid, 'SIGKILL'); // anything it left in its group
  };
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function newOutput(s: Spawned): string {
  return existsSync(s.logFile) ? readFileSync(s.logFile).subarray(s.logStart).toString('utf8') : '';
}

export async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string, watch?: { name: string; s: Spawned }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (watch?.s.hasExited) throw new Error(`${watch.name} exited while waiting for ${what}:\n${tail(watch.s.logFile)}`);
    try {
      if (await cond()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${watch ? `; last lines of ${watch.s.logFile}:\n${tail(watch.s.logFile)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A failed start leaves nothing behind. */
async function startOrStop(s: Spawned, ready: () => Promise<UnitRun>): Promise<UnitRun> {
  try {
    return await ready();
  } catch (err) {
    await stopper(s)(2000);
    throw err;
  }
}

/** A master: ready once it listens and `/health` answers 200 (it has caught up with the log). */
export function masterUnit(plan: ChildPlan, logs: string, net?: NetSlot): Unit {
  return {
    name: plan.name,
    ...(net !== undefined ? { net } : {}),
    role: 'master',
    start: async () => {
      const s = spawnMesos(plan, logs);
      return startOrStop(s, async () => {
        let url = '';
        await waitFor(async () => {
          url = /master listening on (https?:\/\/\S+)/.exec(newOutput(s))?.[1] ?? '';
          return url !== '';
        }, 20_000, `${plan.name} to listen`, { name: plan.name, s });
        // With --tls-ca in its flags (`mesos dev --tls`) the master is HTTPS: verified against that CA.
        const ca = plan.args.includes('--tls-ca') ? readFileSync(plan.args[plan.args.indexOf('--tls-ca') + 1]!) : undefined;
        await waitFor(async () => (await httpGet(`${url}/health`, ca !== undefined ? { ca } : {})).status === 200, 20_000, `${plan.name} to catch up`, { name: plan.name, s });
        return { pid: s.proc.pid ?? 0, port: Number(new URL(url).port), url, exited: s.exited, stop: stopper(s) };
      });
    },
  };
}

/** The services framework: ready once it says where its REST API is. */
export function servicesUnit(plan: ChildPlan, logs: string): Unit {
  return {
    name: plan.name,
    role: 'framework',
    start: async () => {
      const s = spawnMesos(plan, logs);
      return startOrStop(s, async () => {
        let url = '';
        await waitFor(async () => {
          url = /REST API v2 on (https?:\/\/\S+)/.exec(newOutput(s))?.[1] ?? '';
          return url !== '';
        }, 30_000, `${plan.name} to serve`, { name: plan.name, s });
        return { pid: s.proc.pid ?? 0, port: Number(new URL(url).port), url, exited: s.exited, stop: stopper(s) };
      });
    },
  };
}

/** The jobs framework: ready once it says where its REST API is. */
export function jobsUnit(plan: ChildPlan, logs: string): Unit {
  return {
    name: plan.name,
    role: 'framework',
    start: async () => {
      const s = spawnMesos(plan, logs);
      return startOrStop(s, async () => {
        let url = '';
        await waitFor(async () => {
          url = /Chronos REST API on (https?:\/\/\S+)/.exec(newOutput(s))?.[1] ?? '';
          return url !== '';
        }, 30_000, `${plan.name} to serve`, { name: plan.name, s });
        return { pid: s.proc.pid ?? 0, port: Number(new URL(url).port), url, exited: s.exited, stop: stopper(s) };
      });
    },
  };
}

/** An agent: ready once it says it runs (its HTTP endpoint is up). */
export function agentUnit(plan: ChildPlan, logs: string, net?: NetSlot): Unit {
  return {
    name: plan.name,
    ...(net !== undefined ? { net } : {}),
    role: 'agent',
    start: async () => {
      const s = spawnMesos(plan, logs);
      return startOrStop(s, async () => {
        let url = '';
        await waitFor(async () => {
          url = /agent \S+ running \(.*?(https?:\/\/[^/\s]+)\/state/.exec(newOutput(s))?.[1] ?? '';
          return url !== '';
        }, 30_000, `${plan.name} to start`, { name: plan.name, s });
        return { pid: s.proc.pid ?? 0, port: Number(new URL(url).port), url, exited: s.exited, stop: stopper(s) };
      });
    },
  };
}

function natsRun(srv: RunningNatsServer): UnitRun {
  return {
    pid: srv.pid,
    port: srv.port,
    url: srv.url,
    ...(srv.monitorUrl !== undefined ? { monitorUrl: srv.monitorUrl } : {}),
    exited: srv.exited.then((code) => (code === null ? 'killed by a signal' : `exit ${code}`)),
    stop: async () => {
      srv.kill('SIGCONT');
      await srv.stop();
    },
  };
}

/** A NATS node: the first start hands over the server already running; later ones restart it. */
export function natsUnit(name: string, first: RunningNatsServer, restart: () => Promise<RunningNatsServer>, net?: NetSlot): Unit {
  let started = false;
  return {
    name,
    ...(net !== undefined ? { net } : {}),
    role: 'nats',
    start: async () => {
      if (!started) {
        started = true;
        return natsRun(first);
      }
      return natsRun(await restart());
    },
  };
}
