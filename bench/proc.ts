/** CPU time of processes, to say who was busy during a measurement. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU seconds a process has used so far (Linux /proc), or NaN when unknown. */
export function processCpuSeconds(pid: number): number {
  // Fields 14 and 15 (utime, stime), counted after the command name, which may hold spaces.
  return processCpuSecondsFields(pid, 11, 12);
}

/** This process's user + system CPU seconds so far. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * User + system CPU seconds of this process's main thread so far (Linux /proc; the main thread's
 * id is the process id), NaN when unknown. Worker threads (e.g. the operator stream subscribers of
 * the pipeline benchmark), libuv's pool and V8's helper threads are not in it.
 */
export function mainThreadCpuSeconds(): number {
  return processCpuSecondsFields(process.pid, 11, 12, `/proc/${process.pid}/task/${process.pid}/stat`);
}

/** CPU seconds of this process's children that have exited and been reaped (e.g. stopped nats-servers). */
export function reapedChildrenCpuSeconds(): number {
  return processCpuSecondsFields(process.pid, 13, 14);
}

function processCpuSecondsFields(pid: number, a: number, b: number, file = `/proc/${pid}/stat`): number {
  try {
    const stat = readFileSync(file, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[a]) + Number(rest[b])) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/** Busy and stolen CPU seconds of the whole machine so far (Linux /proc/stat), NaN when unknown. */
export function machineCpuSeconds(): { busy: number; steal: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const t = clockTicks();
    return { busy: (user! + nice! + system! + irq! + softirq!) / t, steal: (steal ?? 0) / t };
  } catch {
    return { busy: Number.NaN, steal: Number.NaN };
  }
}

/**
 * Measures how much CPU processes other than this one and its children used meanwhile: the
 * benchmarks share the machine, and a busy neighbour shows up in the numbers.
 */
export function startBackgroundMeter(): () => { otherCpuPct: number; stealPct: number; wallS: number } {
  const t0 = performance.now();
  const m0 = machineCpuSeconds();
  const own0 = selfCpuSeconds() + reapedChildrenCpuSeconds();
  return () => {
    const wallS = (performance.now() - t0) / 1000;
    const m1 = machineCpuSeconds();
    const own1 = selfCpuSeconds() + reapedChildrenCpuSeconds();
    const other = m1.busy - m0.busy - (own1 - own0);
    return { otherCpuPct: (100 * Math.max(0, other)) / wallS, stealPct: (100 * (m1.steal - m0.steal)) / wallS, wallS };
  };
}
