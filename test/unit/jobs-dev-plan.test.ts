/** `mesos dev` starts the jobs framework with what it needs to connect, on Chronos's port unless told. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type DevPlanContext, jobsPlan } from '../../cli/dev/plans.js';
import { devFlags } from '../../cli/commands/dev.js';

const ctx: DevPlanContext = {
  nats: 'nats://127.0.0.1:4222', data: '/tmp/d', logLevel: 'info', streamReplicas: 1, masterPort: () => 5050, agentPort: () => 5060,
  agentResources: 'cpus:1', isolation: 'auto', cgroupsRoot: 'x', extraArgs: { framework: ['--tls-ca', '/ca.pem'] },
  creds: { master: () => '/m.creds', agent: () => '/a.creds', framework: (name: string) => `/issued/${name}.creds` },
};

test('the jobs child gets the NATS URL, its port, its own credentials and the extra flags', () => {
  const p = jobsPlan(ctx, 4411);
  assert.is(p.role, 'framework');
  assert.is(p.name, 'jobs');
  assert.equal(p.args.slice(0, 5), ['jobs', '--nats', 'nats://127.0.0.1:4222', '--port', '4411']);
  assert.is(p.args[p.args.indexOf('--creds') + 1], '/issued/jobs.creds');
  assert.ok(p.args.includes('--tls-ca'));
});

test("mesos dev starts the jobs framework by default on Chronos's 4400 (--jobs-port)", () => {
  assert.is(devFlags.find((f) => f.name === 'jobs-port')?.default, 4400);
  assert.match(devFlags.find((f) => f.name === 'frameworks')!.help, /jobs/);
});

test.run();
