/**
 * The faults `mesos chaos` injects into a child of `mesos dev`:
 * - kill: SIGKILL (mesos dev leaves it dead, or restarts it with --restart-killed);
 * - stop: SIGSTOP, then SIGCONT after a while (a frozen process: its connections stay open);
 * - partition: cut the process off the network for a while, then heal. A child that `mesos dev
 *   --netns` started in a network namespace of its own has the host side of its veth pair taken
 *   down (`ip link set <veth> down`) for the window: a true partition, both directions, nothing
 *   passes. Elsewhere (no namespace) its NATS connections are destroyed again and again (`ss -K`)
 *   through the window, an approximation (see `partitionSupport()`, which says how, or why not).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DevChild } from './dev-state.js';
import { onPath as findOnPath } from '../cli/nats/index.js';

const run = promisify(execFile);

/** `ip link set <veth> down|up`: the host side of a namespaced child's veth pair. */
async function setLinkState(veth: string, up: boolean): Promise<void> {
  try {
    await run('ip', ['link', 'set', veth, up ? 'up' : 'down'], { timeout: 10_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip link set ${veth} ${up ? 'up' : 'down'}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

export const FAULTS = ['kill', 'stop', 'partition'] as const;
export type Fault = (typeof FAULTS)[number];

export function parseFaults(text: string): Fault[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const bad = parts.filter((p) => !(FAULTS as readonly string[]).includes(p));
  if (parts.length === 0 || bad.length > 0) throw new RangeError(`--faults takes a comma-separated list of ${FAULTS.join(', ')} (got "${text}")`);
  return [...new Set(parts)] as Fault[];
}


/**
 * How this machine can cut one process off NATS. A true partition drops the process's packets: it
 * needs iptables or nft with a cgroup match, or tc with the cgroup classifier and a drop action, or
 * the process started in a network namespace of its own. Where none is there (this project's build
 * machine has no iptables/nft, and its kernel's tc has neither cls_cgroup nor gact), the fallback is
 * `sever`: the process's NATS TCP connections are destroyed with `ss -K` (SOCK_DESTROY: the kernel
 * aborts the socket and resets the peer) every `SEVER_EVERY_MS` for the window. That is not a
 * packet filter: between two rounds a reconnect may get through and exchange a few messages, which
 * the verdict says. Returns the reason when not even that is possible.
 */
export type PartitionSupport = { ok: true; how: 'sever' | 'netns'; note: string } | { ok: false; why: string };

/** How a partition of `target` is made: its link down (`netns`), or its connections cut (`sever`). */
export function partitionHow(target: Pick<DevChild, 'netns'>): 'netns' | 'sever' {
  return target.netns !== undefined ? 'netns' : 'sever';
}

/** The partition `mesos chaos` can make against a dev cluster whose children run in their own namespaces (`network: 'netns'`) or not. */
export function partitionSupportFor(network: 'netns' | 'host' | undefined): PartitionSupport {
  if (network === 'netns') {
    if (findOnPath('ip') === undefined) return { ok: false, why: 'mesos dev runs its children in network namespaces, but there is no `ip` (iproute2) here to take a link down' };
    return { ok: true, how: 'netns', note: "partition is real: mesos dev runs each child in a network namespace of its own, and a partition takes the host side of its veth pair down for the window (both directions; nothing passes)" };
  }
  return partitionSupport();
}

export const SEVER_EVERY_MS = 20;

export function partitionSupport(): PartitionSupport {
  if (findOnPath('ss') === undefined) return { ok: false, why: 'no iptables or nft to block a process\'s NATS port, and no ss (iproute2) to cut its connections' };
  const filter = findOnPath('iptables') !== undefined || findOnPath('nft') !== undefined;
  return {
    ok: true,
    how: 'sever',
    note: `partition is approximated: ${filter ? 'the cgroup-matching packet filter is not built' : 'no iptables or nft here'}, so the process's NATS connections are cut (ss -K) every ${SEVER_EVERY_MS} ms for the window; a reconnect may slip through between two cuts`,
  };
}

/** One established TCP connection, as /proc/net/tcp{,6} lists it. */
export interface Conn {
  readonly localPort: number;
  readonly peerPort: number;
  readonly inode: number;
}

/**
 * Parses /proc/net/tcp or /proc/net/tcp6: `sl local rem st tx:rx tr:when retrnsmt uid timeout
 * inode ...`, addresses as HEXADDR:HEXPORT; keeps the established ones (st 01).
 */
export function parseProcNetTcp(text: string): Conn[] {
  const out: Conn[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '01') continue;
    const port = (a: string): number => parseInt(a.slice(a.lastIndexOf(':') + 1), 16);
    const localPort = port(f[1]!);
    const peerPort = port(f[2]!);
    const inode = Number(f[9]);
    if (Number.isNaN(localPort) || Number.isNaN(peerPort) || !Number.isInteger(inode)) continue;
    out.push({ localPort, peerPort, inode });
  }
  return out;
}

/** The inodes of the sockets process `pid` holds open (its /proc/<pid>/fd links `socket:[N]`). */
export function socketInodes(pid: number): Set<number> {
  const out = new Set<number>();
  const dir = `/proc/${pid}/fd`;
  for (const fd of readdirSync(dir)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${dir}/${fd}`));
      if (m) out.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/**
 * Which of `conns` a partition of a process cuts (`inodes`: its sockets): a master's or an agent's
 * connections to a NATS client port; every connection of a NATS node (its clients, who move to
 * another node, and its routes to the other nodes).
 */
export function partitionPlan(conns: readonly Conn[], inodes: ReadonlySet<number>, role: DevChild['role'], natsPorts: readonly number[]): Conn[] {
  const own = conns.filter((c) => inodes.has(c.inode));
  return role === 'nats' ? own : own.filter((c) => natsPorts.includes(c.peerPort));
}

function established(): Conn[] {
  const read = (f: string): string => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  return [...parseProcNetTcp(read('/proc/net/tcp')), ...parseProcNetTcp(read('/proc/net/tcp6'))];
}

/** The `ss` filter that matches exactly these connections (from the process's side). */
export function ssFilter(conns: readonly Conn[]): string[] {
  const out: string[] = [];
  conns.forEach((c, i) => {
    if (i > 0) out.push('or');
    out.push('(', 'sport', '=', `:${c.localPort}`, 'and', 'dport', '=', `:${c.peerPort}`, ')');
  });
  return out;
}

/** The NATS client ports of a `mesos dev` (its state's comma-separated --nats list). */
export function natsPortsOf(nats: string): number[] {
  return nats
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '')
    .map((u) => Number(new URL(u.includes('://') ? u : `nats://${u}`).port || '4222'));
}

/** One round of a sever: cuts what `partitionPlan` names; returns how many were cut. Throws when ss cannot destroy sockets. */
export async function severOnce(target: Pick<DevChild, 'pid' | 'role'>, natsPorts: readonly number[]): Promise<number> {
  const inodes = socketInodes(target.pid);
  const plan = partitionPlan(established(), inodes, target.role, natsPorts);
  if (plan.length === 0) return 0;
  await run('ss', ['-K', '-tnH', 'state', 'established', ...ssFilter(plan)], { timeout: 5000, maxBuffer: 16 * 1024 * 1024 });
  const left = partitionPlan(established(), inodes, target.role, natsPorts).filter((c) => plan.some((p) => p.inode === c.inode));
  if (left.length === plan.length) throw new Error('ss -K destroyed no socket (a kernel without SOCK_DESTROY, CONFIG_INET_DIAG_DESTROY?)');
  return plan.length;
}

export interface Applied {
  readonly fault: Fault;
  readonly target: DevChild;
  readonly at: number;
  /** For `stop`: resolves once SIGCONT is sent; for `partition`: once healed. */
  readonly resumed: Promise<void>;
}

/**
 * Sends the fault's signal(s), or starts a partition. A `stop` is undone after `stopMs`, a
 * `partition` healed after `partitionMs` (the cutting stops), or both at once by `resumeAll()`.
 */
export class FaultInjector {
  private readonly frozen = new Map<number, () => void>();
  /**
   * Per partitioned pid: how (`netns`: its link down; `sever`: its connections cut), connections cut
   * so far (sever), when the link was down and up again (netns), and the first error, if any.
   */
  readonly severed = new Map<number, { how: 'netns' | 'sever'; cut: number; downAt?: number; upAt?: number; error?: string }>();

  constructor(private readonly natsPorts: readonly number[] = []) {}

  apply(fault: Fault, target: DevChild, stopMs: number, partitionMs = stopMs): Applied {
    const at = Date.now();
    if (fault === 'kill') {
      process.kill(target.pid, 'SIGKILL');
      return { fault, target, at, resumed: Promise.resolve() };
    }
    if (fault === 'partition') return { fault, target, at, resumed: this.partition(target, partitionMs) };
    process.kill(target.pid, 'SIGSTOP');
    const resumed = new Promise<void>((res) => {
      const cont = (): void => {
        clearTimeout(timer);
        this.frozen.delete(target.pid);
        try {
          process.kill(target.pid, 'SIGCONT');
        } catch {
          // gone meanwhile
        }
        res();
      };
      const timer = setTimeout(cont, stopMs);
      this.frozen.set(target.pid, cont);
    });
    return { fault, target, at, resumed };
  }

  private partition(target: DevChild, ms: number): Promise<void> {
    if (target.netns !== undefined) return this.linkDown(target, target.netns.veth, ms);
    const tally: { how: 'sever'; cut: number; error?: string } = { how: 'sever', cut: 0 };
    this.severed.set(target.pid, tally);
    return new Promise<void>((res) => {
      let healed = false;
      let timer: NodeJS.Timeout | undefined;
      const round = async (): Promise<void> => {
        if (healed) return;
        try {
          tally.cut += await severOnce(target, this.natsPorts);
        } catch (err) {
          tally.error ??= (err as Error).message;
        }
        if (!healed) timer = setTimeout(() => void round(), SEVER_EVERY_MS);
      };
      const heal = (): void => {
        healed = true;
        clearTimeout(timer);
        clearTimeout(end);
        this.frozen.delete(target.pid);
        res();
      };
      const end = setTimeout(heal, ms);
      this.frozen.set(target.pid, heal);
      void round();
    });
  }

  /** The true partition: the veth down for `ms`, then up (resumeAll() heals at once). */
  private linkDown(target: DevChild, veth: string, ms: number): Promise<void> {
    const tally: { how: 'netns'; cut: number; downAt?: number; upAt?: number; error?: string } = { how: 'netns', cut: 0 };
    this.severed.set(target.pid, tally);
    const down = setLinkState(veth, false).then(
      () => {
        tally.downAt = Date.now();
      },
      (err: unknown) => {
        tally.error ??= (err as Error).message;
      },
    );
    return new Promise<void>((res) => {
      let healed = false;
      const heal = (): void => {
        if (healed) return;
        healed = true;
        clearTimeout(end);
        this.frozen.delete(target.pid);
        // Up again only once the down is done (a heal during the down must not be overtaken by it).
        void down
          .then(() => setLinkState(veth, true))
          .then(
            () => {
              tally.upAt = Date.now();
            },
            (err: unknown) => {
              tally.error ??= (err as Error).message;
            },
          )
          .finally(res);
      };
      const end = setTimeout(heal, ms);
      this.frozen.set(target.pid, heal);
    });
  }

  /** SIGCONT every process still frozen, heal every partition. */
  resumeAll(): void {
    for (const cont of [...this.frozen.values()]) cont();
  }
}
