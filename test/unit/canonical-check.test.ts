/**
 * The canonical check (events/canonical-check.ts) lets decode skip zod's rebuilding of an event.
 * It must never say yes where zod would refuse the value or return anything but the value itself:
 * checked here against zod over thousands of mutated events (deleted, added, retyped and reordered
 * fields, boundary numbers and strings), on every event type.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { Prng } from '../../bench/prng.js';
import { canonicalChecker } from '../../events/canonical-check.js';
import { ClusterEvent, EVENT_TYPES, decode, encode } from '../../events/index.js';
import { accepted, agentRegistered, frameworkSubscribed, resetIds, status } from '../helpers/events.js';
import { sampleEvents } from '../helpers/samples.js';
import { parseAttributes } from '../../kernel/core/attributes.js';

const isCanonical = canonicalChecker(ClusterEvent);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const clone = (v: unknown): Json => JSON.parse(JSON.stringify(v)) as Json;

function corpus(): Json[] {
  resetIds();
  const richer = [
    agentRegistered({ agentId: 'a2', resources: 'cpus(web):2;mem:512;ports:[1-2,5-9];x:{a,b}', attributes: [...parseAttributes('rack:a;n:2;r:[1-3];s:{x,y}')] }),
    frameworkSubscribed({ frameworkId: 'fw9', capabilities: ['PARTITION_AWARE', 'MULTI_ROLE'], roles: ['a', 'b'] }),
    accepted({ frameworkId: 'fw1', offerIds: ['o1', 'o2'], tasks: [{ taskId: 't9', agentId: 'a1', resources: 'cpus:1;mem:2', killGracePeriodMs: 5 }], refuseSeconds: 0 }),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'FAILED', uuid: 'u', reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: 'oom', containerId: 'c' }),
  ];
  return [...sampleEvents(), ...richer].map(clone);
}

/** Every path to a value inside `v` (objects and arrays), root excluded. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([...at, i]), paths(x, [...at, i], out)));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) out.push([...at, k]), paths(v[k] as Json, [...at, k], out);
  return out;
}

const REPLACEMENTS: Json[] = [null, true, false, 0, -0, -1, 1.5, 2 ** 53, -(2 ** 53), 1e300, '', 'x', 'a.b', 'TASK_RUNNING', 'SCALAR', 'x'.repeat(300), [], [1, 2], [[3, 1]], {}, { a: 1 }];

/** One random change somewhere in a copy of `e`. */
function mutate(e: Json, rng: Prng): Json {
  const v = clone(e);
  const ps = paths(v);
  const p = ps[rng.int(0, ps.length - 1)]!;
  const parent = p.slice(0, -1).reduce<Json>((o, k) => (o as Record<string, Json>)[k as string]!, v) as Record<string, Json> | Json[];
  const key = p[p.length - 1]!;
  const kind = rng.int(0, 6);
  if (Array.isArray(parent)) {
    const i = key as number;
    if (kind === 0) parent.splice(i, 1);
    else if (kind === 1) parent.push(clone(parent[i]!));
    else if (kind === 2) parent.reverse();
    else parent[i] = REPLACEMENTS[rng.int(0, REPLACEMENTS.length - 1)]!;
    return v;
  }
  const k = key as string;
  if (kind === 0) delete parent[k];
  else if (kind === 1) parent[rng.chance(0.5) ? 'extra' : '__proto__x'] = 1;
  else if (kind === 2) {
    // Move the key to the end (reorder).
    const x = parent[k]!;
    delete parent[k];
    parent[k] = x;
  } else if (kind === 3 && typeof parent[k] === 'number') parent[k] = (parent[k] as number) + rng.pick([0.5, -1e9, 1e9, 2 ** 60]);
  else if (kind === 4 && typeof parent[k] === 'string') parent[k] = rng.pick(['', `${parent[k] as string}.`, `${parent[k] as string} `, (parent[k] as string).repeat(60)]);
  else parent[k] = REPLACEMENTS[rng.int(0, REPLACEMENTS.length - 1)]!;
  return v;
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

test('every event our encoder writes is canonical (the fast path is taken), for every event type', () => {
  const seen = new Set<string>();
  for (const e of corpus()) {
    const bytes = encode(e as never);
    const raw = JSON.parse(new TextDecoder().decode(bytes)) as Json;
    assert.ok(isCanonical(raw), `${(raw as { type: string }).type} is canonical`);
    seen.add((raw as { type: string }).type);
  }
  assert.equal([...seen].sort(), [...EVENT_TYPES].sort());
});

test('never yes where zod refuses or would change the value: 20,000 mutated events', () => {
  const rng = new Prng(7);
  const base = corpus();
  let yes = 0;
  let no = 0;
  for (let i = 0; i < 20_000; i++) {
    let v: Json = base[rng.int(0, base.length - 1)]!;
    for (let m = rng.int(1, 3); m > 0; m--) v = mutate(v, rng);
    const fast = isCanonical(v);
    const slow = ClusterEvent.safeParse(v);
    if (fast) {
      yes++;
      assert.ok(slow.success, `canonical but zod refuses: ${JSON.stringify(v).slice(0, 300)}`);
      if (slow.success) assert.ok(sameJson(slow.data, v), `canonical but zod changes it: ${JSON.stringify(v).slice(0, 300)}`);
    } else no++;
  }
  // Both answers were exercised.
  assert.ok(yes > 1000, `${yes} mutated events still canonical`);
  assert.ok(no > 5000, `${no} refused`);
});

/** Every copy of `e` with two neighbouring keys of one of its objects swapped. */
function swaps(e: Json): Json[] {
  const out: Json[] = [];
  for (const p of [[], ...paths(e)]) {
    const target = p.reduce<Json>((o, k) => (o as Record<string, Json>)[k as string]!, e);
    if (target === null || typeof target !== 'object' || Array.isArray(target)) continue;
    const keys = Object.keys(target);
    for (let i = 1; i < keys.length; i++) {
      const copy = clone(e);
      const obj = p.reduce<Json>((o, k) => (o as Record<string, Json>)[k as string]!, copy) as Record<string, Json>;
      const order = [...keys];
      [order[i - 1], order[i]] = [order[i]!, order[i - 1]!];
      const values = Object.fromEntries(order.map((k) => [k, obj[k]!]));
      for (const k of keys) delete obj[k];
      Object.assign(obj, values);
      out.push(copy);
    }
  }
  return out;
}

test('keys in another order than the schema\'s are not canonical (zod would reorder them)', () => {
  let n = 0;
  for (const e of corpus()) {
    for (const v of swaps(e)) {
      const parsed = ClusterEvent.safeParse(v);
      assert.ok(parsed.success, 'still valid: only the order differs');
      // A record (quota amounts, labels) keeps its keys in the order given: zod returns it unchanged.
      if (parsed.success && sameJson(parsed.data, v)) {
        assert.ok(isCanonical(v), `a record's own order: ${JSON.stringify(v).slice(0, 200)}`);
        continue;
      }
      n++;
      assert.not.ok(isCanonical(v), JSON.stringify(v).slice(0, 200));
    }
  }
  assert.ok(n > 200);
});

test('decode gives the same event whichever path it takes', () => {
  const rng = new Prng(11);
  const base = corpus();
  for (let i = 0; i < 3000; i++) {
    const v = mutate(base[rng.int(0, base.length - 1)]!, rng);
    const d = decode(new TextEncoder().encode(JSON.stringify(v)));
    const slow = ClusterEvent.safeParse(v);
    assert.is(d.ok, slow.success, JSON.stringify(v).slice(0, 200));
    if (d.ok && slow.success) assert.ok(sameJson(d.event, slow.data));
  }
});

test('schemas it does not know compile to "no" (zod decides), never to "yes"', () => {
  const pipe = canonicalChecker(z.string().transform((s) => s.length) as unknown as z.ZodType);
  assert.not.ok(pipe('abc'));
  const plainUnion = canonicalChecker(z.union([z.object({ a: z.number().default(1) }), z.object({ a: z.number() })]));
  assert.not.ok(plainUnion({ a: 1 }));
  const strict = canonicalChecker(z.object({ a: z.number() }).strict());
  assert.not.ok(strict({ a: 1 }));
  const superRefined = canonicalChecker(z.number().superRefine(() => undefined));
  assert.not.ok(superRefined(1));
  const withDefault = canonicalChecker(z.object({ a: z.number().default(1), b: z.string().optional() }));
  assert.not.ok(withDefault({}), 'a default to fill in');
  assert.ok(withDefault({ a: 2 }));
  assert.not.ok(withDefault({ b: 'x', a: 2 }), 'keys out of order');
  const nullable = canonicalChecker(z.object({ a: z.number().nullable() }));
  assert.ok(nullable({ a: null }));
  assert.ok(nullable({ a: 1 }));
  assert.not.ok(nullable({ a: 'x' }));
  const refined = canonicalChecker(z.tuple([z.number(), z.number()]).refine(([a, b]) => a <= b));
  assert.ok(refined([1, 2]));
  assert.not.ok(refined([2, 1]));
});

test.run();
