// offer_constraints (Mesos 1.11): their checking at SUBSCRIBE, their evaluation against an agent,
// and the allocator offering a constrained framework only the agents that pass.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EventOf } from '../../events/index.js';
import { allocate } from '../../kernel/core/allocator/index.js';
import { agentPassesConstraints, constraintHolds } from '../../kernel/core/offer-constraints.js';
import { offerConstraintsFromMesos, subscribeFromMesos } from '../../kernel/shell/scheduler-api/convert/index.js';
import { MesosOfferConstraints, parseMessage } from '../../kernel/shell/scheduler-api/wire.js';
import { agentRegistered, frameworkSubscribed, given, leaderElected, resetIds, T0 } from '../helpers/events.js';

test.before.each(() => resetIds());

const agent = { hostname: 'node-7.rack-a', attributes: [{ name: 'rack', type: 'TEXT', text: 'a1' }, { name: 'cores', type: 'SCALAR', scalar: 8 }] } as const;
const on = (attribute: string) => ({ attribute });

test('predicates as Mesos evaluates them: on a TEXT attribute, a non-text one, a missing one, and the hostname', () => {
  const holds = (selector: { attribute: string } | { pseudoattribute: 'HOSTNAME' | 'REGION' | 'ZONE' }, predicate: Parameters<typeof constraintHolds>[0]['predicate']) =>
    constraintHolds({ selector, predicate }, agent);
  // exists / not exists
  assert.equal([holds(on('rack'), { op: 'EXISTS' }), holds(on('cores'), { op: 'EXISTS' }), holds(on('gpu'), { op: 'EXISTS' })], [true, true, false]);
  assert.equal([holds(on('rack'), { op: 'NOT_EXISTS' }), holds(on('gpu'), { op: 'NOT_EXISTS' })], [false, true]);
  // text equals: TEXT compares; another type passes; missing fails (the NOT_ form passes)
  assert.equal([holds(on('rack'), { op: 'TEXT_EQUALS', value: 'a1' }), holds(on('rack'), { op: 'TEXT_EQUALS', value: 'b1' })], [true, false]);
  assert.equal([holds(on('cores'), { op: 'TEXT_EQUALS', value: 'x' }), holds(on('gpu'), { op: 'TEXT_EQUALS', value: 'x' })], [true, false]);
  assert.equal([holds(on('rack'), { op: 'TEXT_NOT_EQUALS', value: 'a1' }), holds(on('gpu'), { op: 'TEXT_NOT_EQUALS', value: 'x' })], [false, true]);
  // regexes match the whole text
  assert.equal([holds(on('rack'), { op: 'TEXT_MATCHES', regex: 'a[0-9]' }), holds(on('rack'), { op: 'TEXT_MATCHES', regex: 'a' })], [true, false]);
  assert.equal([holds(on('gpu'), { op: 'TEXT_MATCHES', regex: '.*' }), holds(on('gpu'), { op: 'TEXT_NOT_MATCHES', regex: '.*' })], [false, true]);
  assert.equal(holds({ pseudoattribute: 'HOSTNAME' }, { op: 'TEXT_MATCHES', regex: 'node-[0-9]+\\.rack-a' }), true);
  assert.equal(holds({ pseudoattribute: 'ZONE' }, { op: 'EXISTS' }), false, 'our agents report no fault domain');
});

test('groups: a role passes when every constraint of some group holds; an unconstrained role always passes', () => {
  const oc = {
    r1: [
      [{ selector: on('rack'), predicate: { op: 'TEXT_EQUALS' as const, value: 'b1' } }],
      [{ selector: on('rack'), predicate: { op: 'EXISTS' as const } }, { selector: on('cores'), predicate: { op: 'EXISTS' as const } }],
    ],
    r2: [[{ selector: on('rack'), predicate: { op: 'TEXT_EQUALS' as const, value: 'b1' } }]],
  };
  assert.is(agentPassesConstraints(oc, 'r1', agent), true);
  assert.is(agentPassesConstraints(oc, 'r2', agent), false);
  assert.is(agentPassesConstraints(oc, 'r3', agent), true);
  assert.is(agentPassesConstraints(undefined, 'r1', agent), true);
});

const mesos = (json: unknown) => {
  const p = parseMessage(MesosOfferConstraints, json);
  if (!p.ok) throw new Error(p.error);
  return p.value;
};

test('SUBSCRIBE offer_constraints are checked as Mesos checks them, and kept on the framework', () => {
  const bad = (json: unknown, roles = ['r1']) => {
    const r = offerConstraintsFromMesos(mesos(json), roles);
    return r.ok ? 'accepted' : r.error;
  };
  const c = (selector: unknown, predicate: unknown) => ({ role_constraints: { r1: { groups: [{ attribute_constraints: [{ selector, predicate }] }] } } });
  assert.match(bad({ role_constraints: { r9: { groups: [] } } }), /role 'r9', which the framework is not subscribed to/);
  assert.match(bad({ role_constraints: { r1: { groups: [] } } }), /empty 'RoleConstraints::groups' for role r1/);
  assert.match(bad({ role_constraints: { r1: { groups: [{}] } } }), /contains an empty RoleConstraints::Group/);
  assert.match(bad(c({}, { exists: {} })), /exactly one of .*attribute_name.* or .*pseudoattribute_type/);
  assert.match(bad(c({ pseudoattribute_type: 'UNKNOWN' }, { exists: {} })), /Unknown pseudoattribute type/);
  assert.match(bad(c({ attribute_name: 'rack' }, {})), /Unknown predicate type/);
  assert.match(bad(c({ attribute_name: 'rack' }, { text_matches: { regex: '(' } })), /Failed to construct regex from pattern '\('/);
  assert.match(bad(c({ attribute_name: 'rack' }, { text_matches: { regex: '(a)\\1' } })), /back-references/);
  assert.is(bad(c({ attribute_name: 'rack' }, { text_matches: { regex: 'a.*' } })), 'accepted');

  const sub = subscribeFromMesos({
    framework_info: { user: 'u', name: 'n', roles: ['r1'], capabilities: [{ type: 'MULTI_ROLE' }] } as never,
    suppressed_roles: [],
    offer_constraints: mesos(c({ attribute_name: 'rack' }, { text_equals: { value: 'a1' } })),
  });
  assert.ok(sub.ok);
  if (sub.ok) assert.equal(sub.info.offerConstraints, { r1: [[{ selector: { attribute: 'rack' }, predicate: { op: 'TEXT_EQUALS', value: 'a1' } }]] });
});

test('given agents on two racks and a framework constrained to rack a1 in its role, then only the rack-a1 agent is offered to it; an unconstrained framework gets the other', () => {
  const constrained = frameworkSubscribed({ frameworkId: 'fwA', roles: ['r1'] });
  const withOc: EventOf<'FrameworkSubscribed'> = {
    ...constrained,
    info: { ...constrained.info, offerConstraints: { r1: [[{ selector: { attribute: 'rack' }, predicate: { op: 'TEXT_EQUALS', value: 'a1' } }]] } },
  };
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', attributes: [{ name: 'rack', type: 'TEXT', text: 'a1' }] }),
    agentRegistered({ agentId: 'b1', attributes: [{ name: 'rack', type: 'TEXT', text: 'b1' }] }),
    withOc,
  );
  assert.equal(allocate(s, T0 + 1_000_000).map((p) => [p.agentId, p.frameworkId]).sort(), [['a1', 'fwA']]);
  const s2 = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', attributes: [{ name: 'rack', type: 'TEXT', text: 'a1' }] }),
    agentRegistered({ agentId: 'b1', attributes: [{ name: 'rack', type: 'TEXT', text: 'b1' }] }),
    withOc,
    frameworkSubscribed({ frameworkId: 'fwB', roles: ['r1'] }),
  );
  const offers = allocate(s2, T0 + 1_000_000).map((p) => [p.agentId, p.frameworkId]).sort();
  assert.ok(!offers.some(([a, f]) => a === 'b1' && f === 'fwA'), `fwA must never be offered b1: ${JSON.stringify(offers)}`);
  assert.ok(offers.some(([a, f]) => a === 'b1' && f === 'fwB'), `fwB gets b1: ${JSON.stringify(offers)}`);
});

test.run();
