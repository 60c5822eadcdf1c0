/**
 * Which child `mesos chaos` hits next. A target spec is a comma-separated list of: `random` (any
 * master, agent or NATS node), `leader` (the leading master), a role (`master`, `agent`, `nats`:
 * any one of them) or a child's name (`master-2`, `agent-1`, `nats-n3`). Pure: the random numbers
 * come in as an argument.
 */
import { type DevChild, ROLES, type Role } from './dev-state.js';

export type TargetSpec = { readonly kind: 'random' } | { readonly kind: 'leader' } | { readonly kind: 'role'; readonly role: Role } | { readonly kind: 'name'; readonly name: string };

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

export function parseTargets(text: string, names: readonly string[]): TargetSpec[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new TargetError('--target is empty; give random, leader, master, agent, nats or a child\'s name');
  return parts.map((p): TargetSpec => {
    if (p === 'random') return { kind: 'random' };
    if (p === 'leader') return { kind: 'leader' };
    if ((ROLES as readonly string[]).includes(p)) return { kind: 'role', role: p as Role };
    if (names.includes(p)) return { kind: 'name', name: p };
    throw new TargetError(`--target ${p}: not random, leader, master, agent, nats, nor a child of this mesos dev (${names.join(', ')})`);
  });
}

/**
 * May `c` be hit now without taking the cluster down for good? Only a live child; a NATS node only
 * while every node is up (a 3-node cluster keeps its quorum with one down; a single node is never
 * hit unless `allowOutage`); a master or an agent only while another of its role is alive.
 */
export function eligible(c: DevChild, all: readonly DevChild[], allowOutage = false): boolean {
  if (!c.alive || c.pid <= 0) return false;
  if (allowOutage) return true;
  const peers = all.filter((o) => o.role === c.role);
  const aliveAfter = peers.filter((o) => o.alive && o.name !== c.name).length;
  if (c.role === 'nats') return aliveAfter === peers.length - 1 && aliveAfter > peers.length / 2;
  return aliveAfter >= 1;
}

/**
 * Picks the next target: one spec of the list uniformly, then one eligible child it names
 * uniformly. `rand` returns numbers in [0, 1). Undefined when none is eligible now.
 */
export function chooseTarget(specs: readonly TargetSpec[], children: readonly DevChild[], leader: string | undefined, rand: () => number, allowOutage = false): DevChild | undefined {
  const spec = specs[Math.floor(rand() * specs.length)]!;
  const ok = children.filter((c) => eligible(c, children, allowOutage));
  const pool =
    spec.kind === 'random' ? ok
    : spec.kind === 'leader' ? ok.filter((c) => c.name === leader)
    : spec.kind === 'role' ? ok.filter((c) => c.role === spec.role)
    : ok.filter((c) => c.name === spec.name);
  if (pool.length === 0) return undefined;
  return pool[Math.floor(rand() * pool.length)]!;
}

/** A small seeded PRNG (mulberry32), so a run can be repeated with --seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
