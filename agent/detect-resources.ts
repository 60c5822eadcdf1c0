/**
 * The resources an agent announces when the operator gives none, as Apache Mesos detects them:
 * all cpus; memory less 1 GB (or half of it on small machines); disk of the work dir's file system
 * less 5 GB (or half); ports [31000-32000]; gpus counted with nvidia-smi when it exists. Whatever
 * `--resources` gives overrides the detected value of the same name.
 */
import { execFileSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { Resource, Resources } from '../events/index.js';
import { normalise, roundScalar } from '../kernel/core/resources.js';

const MB = 1024 * 1024;
const GB_IN_MB = 1024;

export function detectGpus(): number {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    return out.split('\n').filter((l) => l.trim() !== '').length;
  } catch {
    return 0;
  }
}

export function detectResources(workDir: string): Resources {
  const memMb = Math.floor(totalmem() / MB);
  const mem = memMb >= 2 * GB_IN_MB ? memMb - GB_IN_MB : Math.floor(memMb / 2);
  let diskMb = 0;
  try {
    const s = statfsSync(workDir);
    diskMb = Math.floor((s.bsize * s.blocks) / MB);
  } catch {
    diskMb = 0;
  }
  const disk = diskMb >= 10 * GB_IN_MB ? diskMb - 5 * GB_IN_MB : Math.floor(diskMb / 2);
  const list: Resource[] = [
    { name: 'cpus', type: 'SCALAR', scalar: roundScalar(cpus().length || 1) },
    { name: 'mem', type: 'SCALAR', scalar: mem },
    { name: 'disk', type: 'SCALAR', scalar: disk },
    { name: 'ports', type: 'RANGES', ranges: [[31000, 32000]] },
  ];
  const gpus = detectGpus();
  if (gpus > 0) list.push({ name: 'gpus', type: 'SCALAR', scalar: gpus });
  return normalise(list);
}

/** Given resources replace detected ones of the same name; the rest are detected. */
export function mergeResources(detected: Resources, given: Resources): Resources {
  const names = new Set(given.map((r) => r.name));
  return normalise([...detected.filter((r) => !names.has(r.name)), ...given]);
}
