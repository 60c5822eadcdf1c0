/**
 * The codec's fast check of OffersCreated agrees with its zod schema: whenever it accepts an event,
 * zod accepts it too and returns the very same object (so skipping zod changes nothing). Checked on
 * valid events and on thousands of random mutations of them (seeded).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterEvent, decode, encode } from '../../events/index.js';
import { offersCreatedOk } from '../../events/fast-check.js';
import { Prng } from '../../bench/prng.js';

function sample(rng: Prng): Record<string, unknown> {
  const offers = [];
  for (let i = 0; i < rng.int(1, 4); i++) {
    offers.push({
      offerId: `m-O${i}`,
      agentId: `agent-${i}`,
      hostname: `host-${i}`,
      role: rng.pick(['*', 'eng', 'eng/backend']),
      resources: [
        { name: 'cpus', type: 'SCALAR', scalar: rng.int(1, 64) / 4 },
        { name: 'disk', type: 'SCALAR', scalar: 64, reservations: [{ type: 'DYNAMIC', role: 'eng', principal: 'p', labels: { a: 'b' } }], disk: { persistence: { id: 'v' }, volume: { containerPath: 'd', mode: 'RW' } } },
        { name: 'ports', type: 'RANGES', ranges: [[31000, 31010], [31020, 32000]] },
        { name: 'zones', type: 'SET', set: ['a', 'b'] },
      ],
      ...(rng.chance(0.5) ? { expiresAt: 1000 } : {}),
      ...(rng.chance(0.3) ? { unavailability: { start: -5, durationMs: 60_000 } } : {}),
    });
  }
  return { type: 'OffersCreated', schemaVersion: 1, id: 'e1', time: 100, epoch: 2, frameworkId: 'fw-1', offers };
}

const BAD_VALUES: unknown[] = [undefined, null, '', 'x', -1, 0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, [], {}, [1, 2], [2, 1], true, 'a b', 'SCALAR'];

/** Replace one random leaf (or add a stray key) somewhere in the object. */
function mutate(x: unknown, rng: Prng): unknown {
  if (Array.isArray(x)) {
    if (x.length === 0 || rng.chance(0.1)) return rng.pick(BAD_VALUES);
    const i = rng.int(0, x.length - 1);
    const copy = [...x];
    copy[i] = mutate(copy[i], rng);
    return copy;
  }
  if (typeof x === 'object' && x !== null) {
    const keys = Object.keys(x);
    if (keys.length === 0 || rng.chance(0.1)) return rng.chance(0.5) ? { ...x, stray: 1 } : rng.pick(BAD_VALUES);
    const k = rng.pick(keys);
    return { ...x, [k]: mutate((x as Record<string, unknown>)[k], rng) };
  }
  return rng.pick(BAD_VALUES);
}

test('valid OffersCreated events pass the fast check and zod alike, unchanged', () => {
  const rng = new Prng(1);
  for (let i = 0; i < 200; i++) {
    const e = sample(rng);
    assert.ok(offersCreatedOk(e));
    const z = ClusterEvent.safeParse(e);
    assert.ok(z.success);
    assert.equal(z.data, e);
  }
});

test('on random mutations, the fast check never accepts what zod refuses or would change', () => {
  const rng = new Prng(42);
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 20_000; i++) {
    let e = sample(rng);
    for (let k = rng.int(1, 3); k > 0; k--) e = mutate(e, rng) as Record<string, unknown>;
    const fast = offersCreatedOk(e);
    const z = ClusterEvent.safeParse(e);
    if (fast) {
      accepted++;
      assert.ok(z.success, `fast accepted what zod refuses: ${JSON.stringify(e)}`);
      assert.equal(z.data, e, `zod would change it: ${JSON.stringify(e)}`);
    } else refused++;
  }
  assert.ok(accepted > 200 && refused > 1000, `both branches are exercised (${accepted} accepted, ${refused} refused)`);
});

test('encode and decode take the fast path and give what zod gives', () => {
  const e = sample(new Prng(7));
  const bytes = encode(e as never);
  const d = decode(bytes, 'cl.tell.fw-1.offers');
  assert.ok(d.ok);
  if (d.ok) assert.equal(d.event, ClusterEvent.parse(e));
  const wrong = decode(bytes, 'cl.tell.fw-2.offers');
  assert.not.ok(wrong.ok);
  if (!wrong.ok) assert.is(wrong.error.code, 'WRONG_SUBJECT');
});

test.run();
