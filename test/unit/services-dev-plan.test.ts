/** `mesos dev` starts the services framework with what it needs to connect. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type DevPlanContext, servicesPlan } from '../../cli/dev/plans.js';
import { devFlags } from '../../cli/commands/dev.js';

const ctx: DevPlanContext = {
  nats: 'nats://127.0.0.1:4222', data: '/tmp/d', logLevel: 'info', streamReplicas: 1, masterPort: () => 5050, agentPort: () => 5060,
  agentResources: 'cpus:1', isolation: 'auto', cgroupsRoot: 'x', extraArgs: { framework: ['--tls-ca', '/ca.pem'] },
};

test('the services child gets the NATS URL, its port and the extra flags (TLS, later creds)', () => {
  const p = servicesPlan(ctx, 8181);
  assert.is(p.role, 'framework');
  assert.equal(p.args.slice(0, 5), ['services', '--nats', 'nats://127.0.0.1:4222', '--port', '8181']);
  assert.ok(p.args.includes('--tls-ca'));
});

test('mesos dev starts frameworks by default on 8080; --no-frameworks leaves them out', () => {
  assert.is(devFlags.find((f) => f.name === 'frameworks')?.default, true);
  assert.is(devFlags.find((f) => f.name === 'services-port')?.default, 8080);
});

test.run();
