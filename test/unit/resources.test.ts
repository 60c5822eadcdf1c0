import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Resource, Resources } from '../../events/index.js';
import * as R from '../../kernel/core/resources.js';
import { ResourceError } from '../../kernel/core/resources.js';

const p = R.parseResources;
const cpus = (n: number): Resource => ({ name: 'cpus', type: 'SCALAR', scalar: n });
const ports = (...rs: [number, number][]): Resource => ({ name: 'ports', type: 'RANGES', ranges: rs });

function throwsCode(fn: () => unknown, code: string, message?: RegExp): ResourceError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ResourceError, `expected a ResourceError, got ${String(e)}`);
    const err = e as ResourceError;
    assert.is(err.code, code);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.unreachable(`expected a ResourceError ${code}`);
  throw new Error('unreachable');
}

// --- fixed point ----------------------------------------------------------------------------

test('fixed point: 0.1 + 0.2 is exactly 0.3', () => {
  const sum = R.add([cpus(0.1)], [cpus(0.2)]);
  assert.equal(sum, [cpus(0.3)]);
  assert.is(R.scalar(sum, 'cpus'), 0.3);
  assert.is(R.scalar([cpus(0.1), cpus(0.2)], 'cpus'), 0.3);
});

test('fixed point: scalars round to three decimals', () => {
  assert.is(R.roundScalar(0.1234), 0.123);
  assert.is(R.roundScalar(0.1236), 0.124);
  assert.is(R.roundScalar(2.0004), 2);
  assert.is(R.roundScalar(0.0004), 0);
  assert.equal(p('cpus:1.23456'), [cpus(1.235)]);
  assert.equal(R.normalise([cpus(0.3333)]), [cpus(0.333)]);
});

test('fixed point: subtraction is exact and amounts below a thousandth vanish', () => {
  assert.equal(R.subtract([cpus(0.3)], [cpus(0.1)]), [cpus(0.2)]);
  assert.equal(R.subtract([cpus(1)], [cpus(0.9)]), [cpus(0.1)]);
  assert.equal(R.subtract([cpus(0.3)], [cpus(0.1), cpus(0.2)]), []);
  assert.equal(R.normalise([cpus(0.0004)]), []);
});

// --- scalars ----------------------------------------------------------------------------------

test('scalars: add merges by name and sorts by name', () => {
  const a = p('mem:1024;cpus:2');
  const b = p('cpus:1.5;mem:512;disk:10');
  assert.equal(R.add(a, b), [
    { name: 'cpus', type: 'SCALAR', scalar: 3.5 },
    { name: 'disk', type: 'SCALAR', scalar: 10 },
    { name: 'mem', type: 'SCALAR', scalar: 1536 },
  ]);
});

test('scalars: subtract, subtract of too much throws INSUFFICIENT, subtractClamped floors at zero', () => {
  assert.equal(R.subtract(p('cpus:4;mem:4096'), p('cpus:1;mem:4096')), p('cpus:3'));
  throwsCode(() => R.subtract(p('cpus:1'), p('cpus:2')), 'INSUFFICIENT', /cpus:1.*cpus:2/);
  throwsCode(() => R.subtract(p('cpus:1'), p('mem:2')), 'INSUFFICIENT');
  assert.equal(R.subtractClamped(p('cpus:1;mem:10'), p('cpus:2;gpus:1')), p('mem:10'));
});

test('scalars: contains', () => {
  const have = p('cpus:4;mem:4096');
  assert.ok(R.contains(have, p('cpus:4')));
  assert.ok(R.contains(have, p('cpus:0.5;mem:4096')));
  assert.ok(R.contains(have, []));
  assert.not.ok(R.contains(have, p('cpus:4.001')));
  assert.not.ok(R.contains(have, p('gpus:1')));
  assert.not.ok(R.contains(p('cpus:1'), p('cpus:0.6;cpus:0.6')), 'needs are summed before comparing');
});

test('mixing types under one name throws TYPE_MISMATCH', () => {
  throwsCode(() => R.add([cpus(1)], [{ name: 'cpus', type: 'SET', set: ['a'] }]), 'TYPE_MISMATCH', /cpus/);
});

// --- ranges -----------------------------------------------------------------------------------

test('ranges: normalise sorts and merges overlapping and adjacent intervals', () => {
  assert.equal(R.normaliseRanges([[10, 20], [1, 3], [4, 5], [7, 8], [15, 25]]), [[1, 5], [7, 8], [10, 25]]);
  assert.equal(R.normaliseRanges([]), []);
  assert.equal(R.add([ports([31000, 31499])], [ports([31500, 32000])]), [ports([31000, 32000])]);
});

test('ranges: subtract from the middle splits an interval', () => {
  assert.equal(R.subtractRanges([[31000, 32000]], [[31500, 31500]]), [[31000, 31499], [31501, 32000]]);
  assert.equal(R.subtractRanges([[1, 10]], [[3, 4], [6, 7]]), [[1, 2], [5, 5], [8, 10]]);
  assert.equal(R.subtractRanges([[1, 5], [10, 15]], [[4, 12]]), [[1, 3], [13, 15]]);
  assert.equal(R.subtractRanges([[1, 5]], [[1, 5]]), []);
  assert.equal(R.subtract([ports([31000, 32000])], [ports([31000, 31099])]), [ports([31100, 32000])]);
  assert.equal(R.subtract([ports([1, 100])], [ports([1, 100])]), []);
});

test('ranges: contains', () => {
  const have = [[1, 5], [7, 9]] as [number, number][];
  assert.ok(R.rangesContain(have, [[2, 3], [8, 9]]));
  assert.ok(R.rangesContain(have, [[1, 5]]));
  assert.not.ok(R.rangesContain(have, [[5, 7]]), '6 is missing');
  assert.not.ok(R.rangesContain(have, [[10, 10]]));
  assert.ok(R.contains([ports([31000, 32000])], [ports([31000, 31000], [32000, 32000])]));
  assert.not.ok(R.contains([ports([31000, 32000])], [ports([30999, 31000])]));
  assert.is(R.rangesSize([[1, 5], [7, 9]]), 8);
});

// --- sets -------------------------------------------------------------------------------------

test('sets: add is a union, subtract removes items, contains checks membership', () => {
  const a: Resources = [{ name: 'bugs', type: 'SET', set: ['b', 'a'] }];
  const b: Resources = [{ name: 'bugs', type: 'SET', set: ['c', 'a'] }];
  assert.equal(R.add(a, b), [{ name: 'bugs', type: 'SET', set: ['a', 'b', 'c'] }]);
  assert.equal(R.subtract(R.add(a, b), [{ name: 'bugs', type: 'SET', set: ['b'] }]), [
    { name: 'bugs', type: 'SET', set: ['a', 'c'] },
  ]);
  assert.ok(R.contains(a, [{ name: 'bugs', type: 'SET', set: ['a'] }]));
  assert.not.ok(R.contains(a, [{ name: 'bugs', type: 'SET', set: ['a', 'z'] }]));
  assert.equal(R.subtract(a, a), []);
});

// --- reservations -----------------------------------------------------------------------------

test('reservations keep resources apart', () => {
  const rs = p('cpus:2;cpus(ads):3;mem:100');
  assert.is(rs.length, 3);
  const reserved = rs.find((r) => r.reservations !== undefined)!;
  assert.equal(reserved, { name: 'cpus', type: 'SCALAR', scalar: 3, reservations: [{ type: 'STATIC', role: 'ads' }] });
  assert.is(R.reservedRole(reserved), 'ads');
  assert.is(R.reservedRole(rs.find((r) => r.name === 'mem')!), '*');
  assert.is(R.scalar(rs, 'cpus'), 5, 'scalar() sums over reservations');
  // Unreserved cpus do not satisfy a need for reserved ones, and vice versa.
  assert.not.ok(R.contains(rs, p('cpus(ads):4')));
  assert.not.ok(R.contains(rs, p('cpus:3')));
  assert.ok(R.contains(rs, p('cpus:2;cpus(ads):3')));
  assert.not.ok(R.contains(p('cpus(ads):3'), p('cpus(web):1')));
  // Subtracting reserved leaves unreserved alone.
  assert.equal(R.subtract(rs, p('cpus(ads):3')), p('cpus:2;mem:100'));
  assert.not.equal(R.resourceKey(p('cpus:1')[0]!), R.resourceKey(p('cpus(ads):1')[0]!));
  // `(*)` is the unreserved role.
  assert.equal(p('cpus(*):2'), p('cpus:2'));
});

// --- text form --------------------------------------------------------------------------------

test('parse: the documented text form', () => {
  const rs = p('cpus:2;mem:1024;ports:[31000-32000];disk(role):10;x:{a,b}');
  assert.equal(rs, [
    { name: 'cpus', type: 'SCALAR', scalar: 2 },
    { name: 'disk', type: 'SCALAR', scalar: 10, reservations: [{ type: 'STATIC', role: 'role' }] },
    { name: 'mem', type: 'SCALAR', scalar: 1024 },
    { name: 'ports', type: 'RANGES', ranges: [[31000, 32000]] },
    { name: 'x', type: 'SET', set: ['a', 'b'] },
  ]);
  assert.equal(p('  cpus : 2 ; ; mem:1 ;'), p('cpus:2;mem:1'), 'whitespace and empty parts are tolerated');
  assert.equal(p('ports:[1-2, 5, 3-4]'), [ports([1, 5])]);
  assert.equal(p(''), []);
  assert.equal(p('cpus:1;cpus:2'), [cpus(3)], 'a repeated name is summed');
});

test('parse/format round trip, with roles and sets', () => {
  const texts = [
    'cpus:2;mem:1024',
    'cpus:0.5;disk(ads):10;mem:1024;ports:[31000-32000]',
    'cpus(ads):8;cpus:1;gpus:1;x:{a,b,c}',
    'ports:[1000-2000, 3000-3000, 5000-6000]',
    'bugs(ads):{x,y};cpus:1.125',
  ];
  for (const t of texts) {
    const parsed = p(t);
    const text = R.format(parsed);
    assert.equal(p(text), parsed, `round trip of ${t} via ${text}`);
    assert.is(R.format(p(text)), text, `format is stable for ${t}`);
  }
  assert.is(R.format(p('mem:1024;cpus:2;ports:[31000-32000];disk(role):10;x:{b,a}')), 'cpus:2;disk(role):10;mem:1024;ports:[31000-32000];x:{a,b}');
  assert.is(R.format([]), '');
  assert.is(R.format([cpus(0.1), cpus(0.2)]), 'cpus:0.3');
});

test('parse: JSON array form in the event shape', () => {
  const json = JSON.stringify([cpus(1), { name: 'mem', type: 'SCALAR', scalar: 64 }, cpus(1)]);
  assert.equal(p(json), [cpus(2), { name: 'mem', type: 'SCALAR', scalar: 64 }]);
  throwsCode(() => p('[{"name": "cpus", '), 'PARSE', /JSON/);
});

test('parse errors have code PARSE and say what is wrong', () => {
  throwsCode(() => p('cpus'), 'PARSE', /cannot parse resource "cpus"/);
  throwsCode(() => p('cpus:abc'), 'PARSE', /cpus.*non-negative decimal number.*"abc"/);
  throwsCode(() => p('cpus:-1'), 'PARSE', /cpus.*non-negative/);
  throwsCode(() => p('mem:Infinity'), 'PARSE', /mem/);
  throwsCode(() => p('ports:[5-3]'), 'PARSE', /5-3.*ends before it begins/);
  throwsCode(() => p('ports:[a-b]'), 'PARSE', /bad range "a-b"/);
  throwsCode(() => p('ports:[1-2'), 'PARSE', /\[31000-32000\]/);
  throwsCode(() => p('x:{a,b'), 'PARSE', /set for x must end with "}"/);
  throwsCode(() => p('cpus:1;mem'), 'PARSE', /"mem"/);
});

test('parse errors: a JSON resource list that is malformed is a PARSE error, not a TypeError', () => {
  // The JSON form is not checked against the Resource schema: a RANGES entry without `ranges`
  // crashes inside the arithmetic, and a negative scalar is silently dropped.
  throwsCode(() => p('[{"name":"ports","type":"RANGES"}]'), 'PARSE');
  throwsCode(() => p('[{"name":"cpus","type":"SCALAR","scalar":-4}]'), 'PARSE');
  throwsCode(() => p('[{"name":"cpus"}]'), 'PARSE');
});

test('parse errors: one name used with two types is reported as a PARSE error', () => {
  throwsCode(() => p('x:1;x:[1-2]'), 'PARSE', /x/);
});

// --- flat JSON --------------------------------------------------------------------------------

test('toFlatJson: cpus/mem/disk/gpus always present, ports as "[b-e]", sets as "{a,b}"', () => {
  assert.equal(R.toFlatJson([]), { cpus: 0, mem: 0, disk: 0, gpus: 0 });
  assert.equal(R.toFlatJson(p('cpus:2;mem:1024;ports:[31000-32000]')), {
    cpus: 2,
    mem: 1024,
    disk: 0,
    gpus: 0,
    ports: '[31000-32000]',
  });
  // Reservations are summed into the flat view; ranges merge.
  assert.equal(R.toFlatJson(p('cpus:1;cpus(ads):0.5;ports:[1-2];ports(ads):[3-4, 10-11];x:{b,a}')), {
    cpus: 1.5,
    mem: 0,
    disk: 0,
    gpus: 0,
    ports: '[1-4, 10-11]',
    x: '{a,b}',
  });
  assert.equal(JSON.parse(JSON.stringify(R.toFlatJson(p('gpus:1;disk:10')))), { cpus: 0, mem: 0, disk: 10, gpus: 1 });
});

test('equals, isEmpty, scalar, ranges', () => {
  assert.ok(R.equals(p('cpus:1;mem:2'), [{ name: 'mem', type: 'SCALAR', scalar: 2 }, cpus(0.5), cpus(0.5)]));
  assert.not.ok(R.equals(p('cpus:1'), p('cpus:1;mem:1')));
  assert.ok(R.isEmpty([cpus(0)]));
  assert.not.ok(R.isEmpty([cpus(0.001)]));
  assert.is(R.scalar(p('mem:10'), 'cpus'), 0);
  assert.equal(R.ranges(p('ports:[5-6];ports(a):[1-4]'), 'ports'), [[1, 6]]);
});

test('functions do not mutate their inputs', () => {
  const a = p('cpus:2;ports:[1-10];x:{a,b}');
  const b = p('cpus:1;ports:[3-4];x:{a}');
  const copyA = structuredClone(a);
  const copyB = structuredClone(b);
  R.add(a, b);
  R.subtract(a, b);
  R.subtractClamped(b, a);
  R.contains(a, b);
  R.format(a);
  R.toFlatJson(a);
  assert.equal(a, copyA);
  assert.equal(b, copyB);
});

test.run();
