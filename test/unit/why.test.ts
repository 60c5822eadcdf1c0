/**
 * explainPending names why a demand is not met, in the allocator's terms, one reason per kind of
 * obstacle with the number of agents it applies to.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FrameworkId } from '../../events/index.js';
import { explainPending } from '../../kernel/core/allocator/why.js';
import type { State } from '../../kernel/core/state.js';
import {
  agentDeactivated,
  agentRegistered,
  declined,
  frameworkSubscribed,
  given,
  leaderElected,
  offersCreated,
  quotaUpdated,
  requested,
  resetIds,
  suppressed,
  when,
} from '../helpers/events.js';

test.before.each(() => resetIds());

const NOW = 1_700_001_000_000;
const codes = (s: State, fw = 'fw1'): string[] => explainPending(s, NOW, s.frameworks.get(fw as FrameworkId)!).map((r) => r.code);
const base = (...agents: string[]): State =>
  given(leaderElected(1), ...agents.map((res, i) => agentRegistered({ agentId: `a${i}`, resources: res })), frameworkSubscribed({ frameworkId: 'fw1', roles: ['eng'] }));

test('more memory than any agent has: NO_AGENT_LARGE_ENOUGH, saying how much the largest has', () => {
  const s = base('cpus:4;mem:1024', 'cpus:4;mem:2048');
  when(s, requested({ frameworkId: 'fw1', requests: [{ name: 'huge', resources: 'cpus:1;mem:100000' }] }));
  const [r] = explainPending(s, NOW, s.frameworks.get('fw1' as FrameworkId)!);
  assert.is(r!.code, 'NO_AGENT_LARGE_ENOUGH');
  assert.is(r!.resource, 'mem');
  assert.is(r!.agents, 2);
  assert.match(r!.message, /needs 100000, the largest mem any agent offers role 'eng' is 2048/);
});

test('fits only with another role’s reservation: RESERVED_FOR_OTHER_ROLE', () => {
  const s = base('cpus:1;mem:512;mem(ops):4096');
  when(s, requested({ frameworkId: 'fw1', requests: [{ resources: 'mem:2048' }] }));
  assert.equal(codes(s), ['RESERVED_FOR_OTHER_ROLE']);
});

test('agents deactivated: AGENTS_UNAVAILABLE; declined with a filter: FILTERED; used by others: RESOURCES_IN_USE', () => {
  const s = base('cpus:4;mem:4096', 'cpus:4;mem:4096', 'cpus:4;mem:4096');
  when(
    s,
    frameworkSubscribed({ frameworkId: 'other' }),
    agentDeactivated({ agentId: 'a0' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', role: 'eng', resources: 'cpus:4;mem:4096' }),
    declined({ frameworkId: 'fw1', offerIds: ['o1'], refuseSeconds: 10 ** 6 }),
    offersCreated({ frameworkId: 'other', offerId: 'o2', agentId: 'a2', resources: 'cpus:4;mem:4096' }),
    requested({ frameworkId: 'fw1', requests: [{ resources: 'cpus:2' }] }),
  );
  assert.equal(codes(s).sort(), ['AGENTS_UNAVAILABLE', 'FILTERED', 'RESOURCES_IN_USE']);
});

test('suppressed, quota limit, nothing in the way', () => {
  const s = base('cpus:4;mem:4096');
  when(s, requested({ frameworkId: 'fw1', requests: [{ resources: 'cpus:2' }] }));
  assert.equal(codes(s), ['LOWER_IN_FAIR_SHARE'], 'an agent could serve it now');
  when(s, quotaUpdated({ configs: [{ role: 'eng', limits: { cpus: 1 } }] }));
  assert.equal(codes(s), ['QUOTA_LIMIT']);
  when(s, suppressed({ frameworkId: 'fw1' }));
  assert.equal(codes(s), ['FRAMEWORK_SUPPRESSED']);
});

test('a demand an outstanding offer already holds needs no explanation; implicit demand only when it holds nothing', () => {
  const s = base('cpus:4;mem:4096');
  when(s, offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a0', role: 'eng', resources: 'cpus:4;mem:4096' }), requested({ frameworkId: 'fw1', requests: [{ resources: 'cpus:2' }] }));
  assert.equal(codes(s), []);
  const s2 = base('cpus:4;mem:4096');
  when(s2, frameworkSubscribed({ frameworkId: 'hog' }), offersCreated({ frameworkId: 'hog', offerId: 'h', agentId: 'a0', resources: 'cpus:4;mem:4096' }));
  assert.equal(codes(s2), ['RESOURCES_IN_USE'], 'wants offers, holds none, declined none: the agent is offered to another');
});

test.run();
