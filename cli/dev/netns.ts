/**
 * `mesos dev --netns`: each child (master, agent, NATS node) in a network namespace of its own, so
 * that `mesos chaos` can cut one off the network for real (a partition: its link goes down, both
 * directions, nothing leaks).
 *
 * The layout, per dev cluster (tag: 8 hex digits of the data dir's hash, as its cgroups root):
 * - a bridge `msb<tag>` on the host with address 10.233.N.1/24 (N chosen so that no address or
 *   route of this machine overlaps it): the host reaches every child through it;
 * - per child a namespace `mesos-<tag>-<child>` with loopback up and a veth pair: `msv<tag><k>` on
 *   the host side (a port of the bridge) and `eth0` inside with 10.233.N.(k+2)/24 and a default
 *   route via the bridge; children reach each other across the bridge (layer 2, no forwarding);
 * - a marker `/run/mesos-dev-netns/<tag>.json` ({pid, data, subnet}) so that the next `mesos dev`
 *   sweeps what a killed one left (`sweepNetworks`).
 * A child runs in its namespace through `nsenter --net=/run/netns/<ns> --` (which execs: the pid is
 * the child's; the mount namespace is the host's, so cgroups and the data dir are as without).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { onPath as findOnPath } from '../nats/index.js';

const run = promisify(execFile);

export const NETNS_MODES = ['off', 'auto', 'on'] as const;
export type NetnsMode = (typeof NETNS_MODES)[number];

export const MARKER_DIR = '/run/mesos-dev-netns';
export const NETNS_DIR = '/run/netns';

/** One child's place on the dev network. */
export interface NetSlot {
  /** The namespace's name (`ip netns list`). */
  readonly ns: string;
  /** Its address (no prefix length), which the child listens on. */
  readonly addr: string;
  /** The host side of its veth pair: down is a partition. */
  readonly veth: string;
  /** The command prefix that runs a program in the namespace. */
  readonly wrap: readonly string[];
}

const Marker = z.object({ pid: z.number().int(), data: z.string(), subnet: z.string(), bridge: z.string() });
type Marker = z.infer<typeof Marker>;

export function nsPrefix(tag: string): string {
  return `mesos-${tag}-`;
}
export function bridgeName(tag: string): string {
  return `msb${tag}`;
}
export function vethName(tag: string, k: number): string {
  return `msv${tag}${k}`;
}


async function ip(...args: string[]): Promise<string> {
  try {
    return (await run('ip', args, { timeout: 10_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

/** Whether this process can give each child a network namespace; the reason when not. */
export async function netnsSupport(): Promise<{ ok: true } | { ok: false; why: string }> {
  if (process.platform !== 'linux') return { ok: false, why: `network namespaces are Linux only (this is ${process.platform})` };
  if (findOnPath('ip') === undefined) return { ok: false, why: 'no `ip` (iproute2) on PATH' };
  if (findOnPath('nsenter') === undefined) return { ok: false, why: 'no `nsenter` (util-linux) on PATH' };
  if (process.getuid?.() !== 0) return { ok: false, why: 'creating network namespaces and veth pairs needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)' };
  const probe = `mesos-probe-${process.pid}`;
  try {
    await ip('netns', 'add', probe);
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
  await ip('netns', 'del', probe).catch(() => undefined);
  return { ok: true };
}

/** The /24s (as `10.233.N`) that an address or route of this machine touches. */
async function usedSubnets(): Promise<Set<string>> {
  const text = `${await ip('-4', '-o', 'addr', 'show')}\n${await ip('-4', 'route', 'show', 'table', 'all').catch(() => '')}`;
  const used = new Set<string>();
  for (const m of text.matchAll(/\b10\.233\.(\d+)\.\d+/g)) used.add(`10.233.${m[1]}`);
  for (const m of text.matchAll(/\b10\.(\d+)\.\d+\.\d+\/(\d+)/g)) {
    // A wider 10.x route that covers 10.233.*: all of them are out.
    if (Number(m[2]) <= 16 && (Number(m[2]) <= 8 || m[1] === '233')) for (let n = 0; n < 256; n++) used.add(`10.233.${n}`);
  }
  return used;
}

function readMarkers(): Array<{ tag: string; m: Marker }> {
  let files: string[];
  try {
    files = readdirSync(MARKER_DIR);
  } catch {
    return [];
  }
  const out: Array<{ tag: string; m: Marker }> = [];
  for (const f of files) {
    if (!f.endsWith('.json')) continue;
    try {
      const r = Marker.safeParse(JSON.parse(readFileSync(join(MARKER_DIR, f), 'utf8')));
      if (r.success) out.push({ tag: f.slice(0, -5), m: r.data });
    } catch {
      // broken: swept as ownerless
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces in `ip netns list` (names only). */
async function namespaces(): Promise<string[]> {
  try {
    return readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}

/** Links of the host named like a dev network's (`msb<tag>`, `msv<tag><k>`). */
async function devLinks(): Promise<string[]> {
  const text = await ip('-o', 'link', 'show').catch(() => '');
  return [...text.matchAll(/^\d+:\s+(ms[bv][0-9a-f]{8}\d*)[@:]/gm)].map((m) => m[1]!);
}

/** Kills every process in a namespace, then deletes it. */
async function removeNamespace(ns: string): Promise<void> {
  const pids = (await ip('netns', 'pids', ns).catch(() => '')).split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await ip('netns', 'del', ns).catch(() => undefined);
}

/** Removes everything of dev network `tag`: its namespaces (and what runs in them), veths, bridge, marker. */
export async function removeNetwork(tag: string): Promise<{ namespaces: number; links: number }> {
  const nss = (await namespaces()).filter((n) => n.startsWith(nsPrefix(tag)));
  for (const ns of nss) await removeNamespace(ns);
  const links = (await devLinks()).filter((l) => l.startsWith(`msv${tag}`) || l === bridgeName(tag));
  // veths first (deleting one end deletes both), then the bridge.
  for (const l of links.sort((a, b) => (a.startsWith('msv') ? -1 : 1) - (b.startsWith('msv') ? -1 : 1))) await ip('link', 'del', l).catch(() => undefined);
  rmSync(join(MARKER_DIR, `${tag}.json`), { force: true });
  return { namespaces: nss.length, links: links.length };
}

/**
 * What a killed `mesos dev` left: every dev network whose marker names a dead process, or that has
 * no marker at all (namespaces `mesos-<tag>-*`, links `msb<tag>`/`msv<tag>*`), and `tag`'s own.
 */
export async function sweepNetworks(ownTag?: string): Promise<{ networks: string[]; namespaces: number; links: number }> {
  const markers = readMarkers();
  const live = new Set(markers.filter((x) => x.m.pid !== process.pid && alive(x.m.pid)).map((x) => x.tag));
  const tags = new Set<string>();
  for (const ns of await namespaces()) {
    const m = /^mesos-([0-9a-f]{8})-/.exec(ns);
    if (m) tags.add(m[1]!);
  }
  for (const l of await devLinks()) tags.add(l.slice(3, 11));
  for (const x of markers) tags.add(x.tag);
  const gone = [...tags].filter((t) => !live.has(t) || t === ownTag);
  let nsN = 0;
  let linkN = 0;
  for (const t of gone) {
    const r = await removeNetwork(t);
    nsN += r.namespaces;
    linkN += r.links;
  }
  return { networks: gone.filter((t) => t !== ownTag || nsN + linkN > 0), namespaces: nsN, links: linkN };
}

/** A dev cluster's network: its bridge, and a namespace per child (made on first use, kept across restarts). */
export class DevNetwork {
  private readonly slots = new Map<string, NetSlot>();
  private next = 0;

  private constructor(
    readonly tag: string,
    /** `10.233.N`: the bridge is .1, children .2 and up. */
    readonly subnet: string,
  ) {}

  get bridge(): string {
    return bridgeName(this.tag);
  }
  /** The host's address on the bridge. */
  get hostAddr(): string {
    return `${this.subnet}.1`;
  }

  /** Makes the bridge (after a sweep of what an earlier dev on `tag` left). */
  static async create(tag: string, data: string): Promise<DevNetwork> {
    if (!/^[0-9a-f]{8}$/.test(tag)) throw new Error(`a dev network tag is 8 hex digits (got "${tag}")`);
    await removeNetwork(tag);
    const used = await usedSubnets();
    const taken = new Set(readMarkers().map((x) => x.m.subnet));
    const start = parseInt(tag.slice(0, 2), 16);
    let subnet: string | undefined;
    for (let i = 0; i < 256 && subnet === undefined; i++) {
      const cand = `10.233.${(start + i) % 256}`;
      if (!used.has(cand) && !taken.has(cand)) subnet = cand;
    }
    if (subnet === undefined) throw new Error('no free 10.233.N.0/24 for the dev network');
    mkdirSync(MARKER_DIR, { recursive: true });
    const net = new DevNetwork(tag, subnet);
    writeFileSync(join(MARKER_DIR, `${tag}.json`), JSON.stringify({ pid: process.pid, data, subnet, bridge: net.bridge } satisfies Marker));
    try {
      await ip('link', 'add', net.bridge, 'type', 'bridge');
      await ip('addr', 'add', `${net.hostAddr}/24`, 'dev', net.bridge);
      await ip('link', 'set', net.bridge, 'up');
    } catch (err) {
      await removeNetwork(tag);
      throw err;
    }
    return net;
  }

  /** The slot of child `name`: its namespace with a veth to the bridge and an address (made once). */
  async slot(name: string): Promise<NetSlot> {
    const had = this.slots.get(name);
    if (had !== undefined) return had;
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`child name "${name}" is not a namespace name`);
    const k = this.next++;
    if (k > 250) throw new Error('a dev network holds at most 251 children');
    const ns = `${nsPrefix(this.tag)}${name}`;
    const veth = vethName(this.tag, k);
    const peer = `msp${this.tag}${k}`;
    const addr = `${this.subnet}.${k + 2}`;
    await ip('netns', 'add', ns);
    await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', peer);
    await ip('link', 'set', peer, 'netns', ns);
    await ip('-n', ns, 'link', 'set', peer, 'name', 'eth0');
    await ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('-n', ns, 'link', 'set', 'eth0', 'up');
    await ip('-n', ns, 'route', 'add', 'default', 'via', this.hostAddr);
    await ip('link', 'set', veth, 'master', this.bridge);
    await ip('link', 'set', veth, 'up');
    const slot: NetSlot = { ns, addr, veth, wrap: ['nsenter', `--net=${join(NETNS_DIR, ns)}`, '--'] };
    this.slots.set(name, slot);
    return slot;
  }

  /** Removes every namespace (killing what still runs in it), veth and the bridge. */
  async remove(): Promise<{ namespaces: number; links: number }> {
    this.slots.clear();
    return removeNetwork(this.tag);
  }
}

/** A partition: the host side of the child's veth goes down (nothing passes either way), or up again. */
export async function setLink(veth: string, up: boolean): Promise<void> {
  await ip('link', 'set', veth, up ? 'up' : 'down');
}

/** Whether a link is administratively up (for tests). */
export async function linkUp(veth: string): Promise<boolean> {
  return /<[^>]*\bUP\b/.test(await ip('-o', 'link', 'show', veth));
}
