/**
 * Identities on the bus, against a real nats-server in operator mode: each party's credentials
 * (security/nats) can do its job and are refused everything else — appends and subscriptions on
 * foreign subjects, and the JetStream API (purge, delete, consumer create on foreign subjects);
 * an anonymous client is refused; a revoked user is cut off.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { AckPolicy } from '@nats-io/jetstream';
import { STREAM_NAME, jsApi, type AgentId, type FrameworkId, SCHEMA_VERSION, subjects } from '../../events/index.js';
import { type Bus, BusError, append, connectBus, ensureStream, readLog } from '../../kernel/shell/bus.js';
import { pushAccount } from '../../security/nats/index.js';
import { testLog } from '../helpers/cluster.js';
import { agentRegistered, frameworkSubscribed, leaderElected } from '../helpers/events.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const log = testLog();
let nats: SecureTestNats;
const buses: Bus[] = [];
const A = `agent-a-${randomUUID().slice(0, 8)}` as AgentId;
const B = `agent-b-${randomUUID().slice(0, 8)}` as AgentId;
const F = randomUUID() as FrameworkId;
const G = randomUUID() as FrameworkId;

async function as(party: Parameters<SecureTestNats['creds']>[0], name: string): Promise<Bus> {
  const bus = await connectBus({ servers: nats.url, name: `${party}-${name}`, log, creds: nats.creds(party, name) });
  buses.push(bus);
  return bus;
}

/** Resolves with the error `p` rejects with (fails if it resolves). */
async function refused(p: Promise<unknown>, what: string): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  assert.unreachable(`${what} was allowed`);
  throw new Error('unreachable');
}

const permissionError = (e: Error): boolean => /permission|authoriz/i.test(`${e.message} ${String((e.cause as Error | undefined)?.message ?? '')}`);

const registered = (agentId: AgentId) => agentRegistered({ agentId, time: Date.now(), id: `reg-${randomUUID()}` });

/** Read a whole filtered part of the log; throws when the consumer cannot be created. */
async function readAll(bus: Bus, filter: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readLog(bus, { filter, untilHead: true })) out.push(e.subject);
  return out;
}

let admin: Bus;
let master: Bus;

test.before(async () => {
  nats = await withSecureNats();
  admin = await as('admin', 'admin');
  await ensureStream(admin.jsm);
  master = await as('master', 'm1');
  await append(master.js, leaderElected(1, { id: `le-${randomUUID()}`, time: Date.now() }));
});

test.after(async () => {
  for (const b of buses) await b.close().catch(() => undefined);
  await nats.stop();
});

test('an anonymous client is refused, and connectBus names the flag', async () => {
  const e = await refused(connect({ servers: nats.url, timeout: 2000 }), 'an anonymous connect');
  assert.match(e.message, /Authorization Violation/i);
  const b = await refused(connectBus({ servers: nats.url, name: 'anon', log, connectTimeoutMs: 2000 }), 'connectBus without creds');
  assert.instance(b, BusError);
  assert.match(b.message, /--creds FILE/);
  assert.match(b.message, /MESOS_CREDS/);
});

test('the master appends decisions and reads everything, but cannot purge or delete the stream', async () => {
  await append(master.js, { type: 'LaunchTasks', schemaVersion: SCHEMA_VERSION, id: `l-${randomUUID()}`, time: Date.now(), epoch: 1, agentId: A, agentSeq: 1, frameworkId: F, framework: { name: 'f', user: 'nobody', checkpoint: false }, tasks: [{ taskId: 't1' as never, name: 't1', agentId: A, resources: [{ name: 'cpus', type: 'SCALAR', scalar: 0.1 }], command: { value: 'true', shell: true } }] });
  const all = await readAll(master, subjects.all);
  assert.ok(all.includes(subjects.sys('leader')));
  assert.ok(all.includes(subjects.agentCommand(A, 'launch')));
  assert.ok(permissionError(await refused(master.jsm.streams.purge(STREAM_NAME), 'a purge by the master')));
  assert.ok(permissionError(await refused(master.jsm.streams.delete(STREAM_NAME), 'a delete by the master')));
});

test('agent A appends only its own facts, reads only its commands and the elections', async () => {
  const a = await as('agent', A);
  await append(a.js, registered(A));
  const foreign = await refused(append(a.js, registered(B), { timeoutMs: 3000 }), 'a fact for agent B');
  assert.ok(permissionError(foreign), foreign.message);
  // Forging a command, or an election, is refused.
  assert.ok(permissionError(await refused(append(a.js, leaderElected(99, { id: `forged-${randomUUID()}`, time: Date.now() }), { timeoutMs: 3000 }), 'a forged election')));
  // Its own commands and the elections: readable; B's commands and the whole log: not.
  assert.equal(await readAll(a, subjects.commandsOf(A)), [subjects.agentCommand(A, 'launch')]);
  assert.equal(await readAll(a, subjects.sys('leader')), [subjects.sys('leader')]);
  assert.ok(permissionError(await refused(readAll(a, subjects.commandsOf(B)), "reading B's commands")));
  assert.ok(permissionError(await refused(readAll(a, subjects.all), 'reading the whole log')));
  // A core subscription on B's commands is refused by the server.
  const sub = a.nc.subscribe(subjects.commandsOf(B));
  const closed = await sub.closed;
  assert.ok(closed instanceof Error && permissionError(closed), String(closed));
  assert.ok(permissionError(await refused(a.jsm.streams.purge(STREAM_NAME), 'a purge by an agent')));
  assert.ok(permissionError(await refused(a.jsm.streams.delete(STREAM_NAME), 'a delete by an agent')));
});

test('framework F appends only its own calls and reads only what is told to it', async () => {
  const f = await as('framework', F);
  await append(f.js, frameworkSubscribed({ frameworkId: F, time: Date.now(), id: `sub-${randomUUID()}` }));
  assert.ok(permissionError(await refused(append(f.js, frameworkSubscribed({ frameworkId: G, time: Date.now(), id: `sub-${randomUUID()}` }), { timeoutMs: 3000 }), "G's call")));
  assert.ok(permissionError(await refused(append(f.js, registered(A), { timeoutMs: 3000 }), "an agent's fact")));
  assert.equal(await readAll(f, subjects.toldTo(F)), []);
  assert.equal(await readAll(f, subjects.sys('leader')), [subjects.sys('leader')]);
  assert.ok(permissionError(await refused(readAll(f, subjects.toldTo(G)), "reading what G is told")));
  assert.ok(permissionError(await refused(readAll(f, subjects.commandsOf(A)), "reading an agent's commands")));
  assert.ok(permissionError(await refused(f.jsm.streams.purge(STREAM_NAME), 'a purge by a framework')));
});

test('the auditor reads everything, appends nothing, makes no durable consumer, purges nothing', async () => {
  const au = await as('auditor', 'audit');
  const all = await readAll(au, subjects.all);
  assert.ok(all.length >= 4, `${all.length}`);
  assert.ok(permissionError(await refused(append(au.js, registered(A), { timeoutMs: 3000 }), 'an append by the auditor')));
  // The durable-create API is refused (see docs/security.md for what the named-create API leaves open).
  const body = new TextEncoder().encode(JSON.stringify({ stream_name: STREAM_NAME, config: { durable_name: 'keep', ack_policy: AckPolicy.None } }));
  assert.ok(permissionError(await refused(au.nc.request(jsApi.consumerDurableCreate().replace('>', 'keep'), body, { timeout: 3000 }), 'a durable consumer')));
  assert.ok(permissionError(await refused(au.jsm.streams.purge(STREAM_NAME), 'a purge by the auditor')));
  assert.ok(permissionError(await refused(au.jsm.streams.delete(STREAM_NAME), 'a delete by the auditor')));
});

test('only the admin may update the stream', async () => {
  const info = await admin.jsm.streams.info(STREAM_NAME);
  await admin.jsm.streams.update(STREAM_NAME, { ...info.config, description: 'changed by the admin' });
  assert.ok(permissionError(await refused(master.jsm.streams.update(STREAM_NAME, { ...info.config, description: 'x' }), 'an update by the master')));
  // The admin appends no event.
  assert.ok(permissionError(await refused(append(admin.js, registered(A), { timeoutMs: 3000 }), 'an append by the admin')));
});

test('a revoked user is disconnected and refused from then on (no server restart)', async () => {
  const file = nats.creds('agent', B);
  const nc = await connect({ servers: nats.url, authenticator: credsAuthenticator(readFileSync(file)), inboxPrefix: `_INBOX_${B}`, maxReconnectAttempts: 2, reconnectTimeWait: 100 });
  await nc.flush();
  const before = nats.keystore.list().find((u) => u.name === B);
  assert.ok(before !== undefined && !before.revoked);
  nats.keystore.revoke(B);
  await pushAccount(nats.keystore, nats.url);
  assert.ok(nats.keystore.list().find((u) => u.name === B)?.revoked);
  await waitFor(() => nc.isClosed(), 'the revoked connection closed', 10_000);
  const again = await refused(connect({ servers: nats.url, authenticator: credsAuthenticator(readFileSync(file)), timeout: 2000 }), 'a revoked user reconnecting');
  assert.match(again.message, /Authorization|revoked/i);
  // Others are unaffected; a new agent needs no server change.
  const c = await as('agent', `agent-c-${randomUUID().slice(0, 8)}`);
  await c.nc.flush();
});

test.run();
