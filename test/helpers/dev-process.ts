/**
 * `mesos dev` as a user runs it, as a real process (directly, or through `npx mesos dev`), and
 * what a test asks of it: its output, its state file, and whether its processes are gone.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { type DevState, readDevState } from '../../chaos/dev-state.js';
import { waitFor } from './wait.js';

export const MESOS = fileURLToPath(new URL('../../cli/mesos.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface DevProcess {
  readonly proc: ChildProcess;
  readonly data: string;
  output(): string;
  state(): DevState;
  readonly exited: Promise<number | null>;
}

/** Starts `mesos dev <args> --data <fresh dir>` and waits until it says the cluster is up. */
export async function startDev(args: readonly string[], o: { npx?: boolean; timeoutMs?: number; data?: string } = {}): Promise<DevProcess> {
  const data = o.data ?? mkdtempSync(join(tmpdir(), 'mesos-dev-test-'));
  // Any free ports, unless the test names them.
  const ports = ['--port', '--agent-port', '--nats-port', '--services-port', '--jobs-port'].filter((f) => !args.includes(f)).flatMap((f) => [f, '0']);
  const full = ['dev', ...ports, '--log-level', 'warn', '--data', data, ...args];
  const proc = o.npx === true ? spawn('npx', ['mesos', ...full], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, [MESOS, ...full], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let done = false;
  void exited.then(() => (done = true));
  await waitFor(() => out.includes('cluster is up') || (done ? 'exited' : false), 'mesos dev to start', o.timeoutMs ?? 90_000, 100).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; its output so far:\n${out}`);
  });
  if (!out.includes('cluster is up')) throw new Error(`mesos dev exited during startup:\n${out}`);
  return { proc, data, output: () => out, state: () => readDevState(data), exited };
}

export function alive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is dead too.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Processes that run `marker` (a task's unique command: `sleep 313`, or `sh -c 'sleep 313'`). */
export function pidsWith(marker: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if ((cmd === marker || cmd.endsWith(` -c ${marker}`)) && alive(Number(e))) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

/** Processes whose working directory lies under `dir`. */
export function pidsIn(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cwd = readlinkSync(`/proc/${e}/cwd`);
      if ((cwd === dir || cwd.startsWith(`${dir}/`)) && alive(Number(e))) out.push(Number(e));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** The cgroup dirs named `root` under any hierarchy. */
export function cgroupDirs(root: string): string[] {
  const base = '/sys/fs/cgroup';
  if (!existsSync(base)) return [];
  const cands = [join(base, root), ...readdirSync(base).map((h) => join(base, h, root))];
  return cands.filter((d) => existsSync(d));
}

/** Mount points under `dir`. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Everything a dev cluster started is gone. */
export function assertNothingLeft(before: DevState, marker?: string): void {
  for (const c of before.children) assert.is(alive(c.pid), false, `${c.name} (pid ${c.pid}) is gone`);
  if (marker !== undefined) assert.equal(pidsWith(marker), [], `no process runs "${marker}"`);
  assert.equal(pidsIn(join(before.data, 'agents')), [], 'no process runs in a sandbox');
  assert.equal(cgroupDirs(before.cgroupsRoot), [], `no cgroup ${before.cgroupsRoot} is left`);
  assert.equal(mountsUnder(before.data), [], 'no mount is left under the data dir');
  assertNoNetworkLeft(before);
}

/** `mesos dev --netns`: none of its network namespaces, veths or its bridge is left (`ip netns list`, `ip link`). */
export function assertNoNetworkLeft(before: DevState): void {
  const tags = new Set(before.children.flatMap((c) => (c.netns !== undefined ? [/^mesos-([0-9a-f]{8})-/.exec(c.netns.ns)?.[1] ?? c.netns.ns] : [])));
  if (tags.size === 0) return;
  const nss = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  for (const tag of tags) {
    assert.equal(nss.split('\n').filter((l) => l.includes(tag)), [], `no network namespace of ${tag} is left`);
    assert.equal(links.split('\n').filter((l) => l.includes(tag)), [], `no veth or bridge of ${tag} is left`);
  }
}


let issuedCreds = 0;
/** Fresh framework credentials from a `mesos dev`'s keystore (`<data>/keys`), via `mesos creds issue`. */
export function frameworkCreds(data: string): string {
  const file = join(data, `test-fw-${process.pid}-${++issuedCreds}.creds`);
  const r = spawnSync(process.execPath, [MESOS, 'creds', 'issue', 'framework', '--dir', join(data, 'keys'), '--out', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mesos creds issue failed: ${r.stdout}${r.stderr}`);
  return file;
}
