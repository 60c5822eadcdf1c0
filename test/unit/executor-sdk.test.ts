/** The SDK's executor side, without an agent: the environment the agent gives an executor, read as Mesos's library reads it. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExecutorError, executorEnvironment, parseMesosDuration } from '../../frameworks/sdk/index.js';
import { mesosDuration } from '../../agent/executor/manager.js';

test('parseMesosDuration: the units Mesos writes; anything else is a clear error', () => {
  assert.is(parseMesosDuration('5secs'), 5000);
  assert.is(parseMesosDuration('250ms'), 250);
  assert.is(parseMesosDuration('15mins'), 900_000);
  assert.is(parseMesosDuration('2.5secs'), 2500);
  assert.throws(() => parseMesosDuration('5s'), (e: unknown) => e instanceof ExecutorError && e.code === 'BAD_ENVIRONMENT' && /not a Mesos duration/.test(e.message));
});

test('the agent writes durations the SDK reads back', () => {
  for (const ms of [0, 250, 1000, 5000, 2500, 900_000]) assert.is(parseMesosDuration(mesosDuration(ms)), ms);
  assert.is(mesosDuration(5000), '5secs');
  assert.is(mesosDuration(250), '250ms');
});

test('executorEnvironment: what the agent gave; defaults as Mesos; a missing variable names itself', () => {
  const env = executorEnvironment({
    MESOS_AGENT_ENDPOINT: '10.0.0.1:5051',
    MESOS_FRAMEWORK_ID: 'fw',
    MESOS_EXECUTOR_ID: 'ex',
    MESOS_AGENT_ID: 'a1',
    MESOS_SANDBOX: '/sb',
    MESOS_CHECKPOINT: '1',
    MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: '3secs',
  });
  assert.equal(env, {
    agentEndpoint: '10.0.0.1:5051',
    frameworkId: 'fw',
    executorId: 'ex',
    agentId: 'a1',
    sandbox: '/sb',
    checkpoint: true,
    shutdownGracePeriodMs: 3000,
    subscriptionBackoffMaxMs: 2000,
    recoveryTimeoutMs: 900_000,
  });
  assert.throws(() => executorEnvironment({ MESOS_FRAMEWORK_ID: 'fw', MESOS_EXECUTOR_ID: 'ex' }), /MESOS_AGENT_ENDPOINT is not set/);
  const withToken = executorEnvironment({ MESOS_AGENT_ENDPOINT: 'h:1', MESOS_FRAMEWORK_ID: 'fw', MESOS_EXECUTOR_ID: 'ex', MESOS_EXECUTOR_AUTHENTICATION_TOKEN: 'a.b.c' });
  assert.is(withToken.authenticationToken, 'a.b.c', 'the token the agent gave, sent on every call');
});

test.run();
