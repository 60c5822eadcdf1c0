/** What the numbers were measured on. */
import { execFileSync } from 'node:child_process';
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { findNatsServer, natsServerVersion, projectRoot } from '../cli/nats/index.js';

export interface MachineInfo {
  readonly cpuModel: string;
  /** Logical CPUs the OS reports. */
  readonly cores: number;
  /** What node may actually use (cgroup limits included). */
  readonly availableParallelism: number;
  readonly memoryBytes: number;
  readonly memory: string;
  readonly nodeVersion: string;
  readonly natsServerVersion: string;
  readonly natsServerPath: string;
  readonly os: string;
  /** 1-minute load average when the benchmarks started. */
  readonly loadAverage1m: number;
  /** ISO 8601, when the benchmarks started. */
  readonly date: string;
  /** The code measured: HEAD, and the files changed from it outside bench/ (others' work in progress). */
  readonly source: { readonly commit: string; readonly changedOutsideBench: readonly string[] };
}

function sourceInfo(): MachineInfo['source'] {
  const root = projectRoot();
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .map((l) => l.slice(3).trim())
      .filter((f) => f !== '' && !f.startsWith('bench/'));
    return { commit, changedOutsideBench: changed };
  } catch {
    return { commit: 'unknown', changedOutsideBench: [] };
  }
}

export function machineInfo(): MachineInfo {
  const cs = cpus();
  let natsPath = 'not found';
  let natsVersion = 'unknown';
  try {
    natsPath = findNatsServer();
    natsVersion = natsServerVersion(natsPath) ?? 'unknown';
  } catch (err) {
    natsPath = `not found (${(err as Error).message.split('.')[0]})`;
  }
  const mem = totalmem();
  return {
    cpuModel: cs[0]?.model.trim() ?? 'unknown',
    cores: cs.length,
    availableParallelism: availableParallelism(),
    memoryBytes: mem,
    memory: `${(mem / 1024 ** 3).toFixed(1)} GiB`,
    nodeVersion: process.version,
    natsServerVersion: natsVersion,
    natsServerPath: natsPath,
    os: `${platform()} ${release()} ${arch()}`,
    loadAverage1m: loadavg()[0] ?? 0,
    date: new Date().toISOString(),
    source: sourceInfo(),
  };
}

export function describeMachine(m: MachineInfo): string {
  return (
    `${m.cpuModel}, ${m.cores} logical CPUs (${m.availableParallelism} usable), ${m.memory} RAM, ${m.os}; ` +
    `node ${m.nodeVersion}, nats-server ${m.natsServerVersion}; load ${m.loadAverage1m.toFixed(2)}; ${m.date}; ` +
    `code ${m.source.commit}${m.source.changedOutsideBench.length > 0 ? ` + uncommitted changes in ${m.source.changedOutsideBench.length} files outside bench/` : ''}`
  );
}
