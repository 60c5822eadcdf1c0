/**
 * Chaos: the true partition of `mesos chaos` (chaos/faults.ts) on processes that run in network
 * namespaces of their own, as `mesos dev --netns` starts them (cli/dev/netns.ts): a nats-server in
 * one, a publisher in another, two masters in two more, all on one bridge. A partition takes the
 * host side of the target's veth down for the window: nothing gets through either way (not a
 * single beat of a 50/s publisher arrives during the window), and once healed the publisher's
 * beats flow again. A partitioned leader loses the lead to the other master, and once healed serves
 * again as a standby. Afterwards no namespace, veth or bridge of the test is left.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { credsOptions } from '../../kernel/shell/bus.js';
import { type TestKeys, testKeys } from '../helpers/nats.js';
import { FaultInjector, partitionHow } from '../../chaos/faults.js';
import type { DevChild } from '../../chaos/dev-state.js';
import { DevNetwork, NETNS_DIR, type NetSlot, netnsSupport } from '../../cli/dev/netns.js';
import { type RunningNatsServer, startNatsServer } from '../../cli/nats/index.js';
import { findLeader, type MasterProcess, spawnMaster } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

let net: DevNetwork;
let nats: RunningNatsServer;
/** The bus is secured, as every test's: each master, the beater and the reader with credentials of their own. */
const keys: TestKeys = testKeys();
let masters: Array<MasterProcess & { slot: NetSlot }> = [];
const others: Array<ReturnType<typeof spawn>> = [];
const data = mkdtempSync(join(tmpdir(), 'mesos-netns-test-'));
const tag = randomBytes(4).toString('hex');

const child = (pid: number, role: DevChild['role'], name: string, slot: NetSlot): DevChild => ({
  name,
  role,
  pid,
  alive: true,
  port: 0,
  url: '',
  restarts: 0,
  netns: { ns: slot.ns, addr: slot.addr, veth: slot.veth },
});

test.before(async () => { try { await setup(); } catch (err) { console.error("before failed:", err); throw err; } });
async function setup(): Promise<void> {
  const can = await netnsSupport();
  assert.ok(can.ok, can.ok ? '' : `network namespaces are needed here: ${can.why}`);
  net = await DevNetwork.create(tag, data);
  const ns = await net.slot('nats');
  nats = await startNatsServer({ host: ns.addr, port: 4222, wrap: ns.wrap, auth: keys.auth });
  masters = await Promise.all(
    ['master-1', 'master-2'].map(async (name) => {
      const slot = await net.slot(name);
      return { ...(await spawnMaster(nats.url, ['--leader-lease', '1s', '--ip', slot.addr, '--creds', keys.creds('master', name)], slot.wrap)), slot };
    }),
  );
  await waitFor(() => findLeader(masters), 'a leader', 40_000);
}

test.after(async () => {
  for (const m of masters) m.proc.kill('SIGKILL');
  for (const o of others) o.kill('SIGKILL');
  await nats?.stop();
  await net?.remove();
  rmSync(data, { recursive: true, force: true });
  keys.remove();
});

test('a partitioned client in its own namespace: not one message gets through during the window, and they flow once healed', async () => {
  const slot = await net.slot('pub');
  // Core-NATS beats outside the log: the master is the party that may publish and read `live.>`.
  const beat = 'live.test.beat';
  const script = `import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
const nc = await connect({ servers: ${JSON.stringify(nats.url)}, authenticator: credsAuthenticator(readFileSync(${JSON.stringify(keys.creds('master', 'beater'))})), inboxPrefix: '_INBOX_beater', maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 5000 });
setInterval(() => { try { nc.publish(${JSON.stringify(beat)}, String(Date.now())); } catch {} }, 20);`;
  const pub = spawn(slot.wrap[0]!, [...slot.wrap.slice(1), process.execPath, '--input-type=module', '-e', script], { stdio: 'ignore', cwd: process.cwd() });
  others.push(pub);
  const { identity: _reader, ...auth } = credsOptions(keys.creds('master', 'beat-reader'));
  const nc = await connect({ servers: nats.url, ...auth });
  const got: Array<{ sent: number; at: number }> = [];
  const sub = nc.subscribe(beat);
  void (async () => {
    for await (const m of sub) got.push({ sent: Number(m.string()), at: Date.now() });
  })();
  await waitFor(() => got.length > 10, 'beats before the partition');
  const target = child(pub.pid!, 'framework', 'pub', slot);
  assert.is(partitionHow(target), 'netns');
  const inj = new FaultInjector([4222]);
  const a = inj.apply('partition', target, 3000, 3000);
  await a.resumed;
  const tally = inj.severed.get(pub.pid!)!;
  assert.is(tally.error, undefined);
  assert.is(tally.how, 'netns');
  const down = tally.downAt!;
  const up = tally.upAt!;
  await waitFor(() => got.filter((g) => g.sent > up + 1000).length > 0, 'beats a second after the heal', 15_000);
  // Arrived while the link was down (what was on the wire before it went down has had 50 ms):
  const during = got.filter((g) => g.at > down + 50 && g.at < up).length;
  const sentDuring = got.filter((g) => g.sent > down && g.sent < up).length;
  const after = got.filter((g) => g.sent > up + 200 && g.sent < up + 1000).length;
  console.log(`netns partition of a client: link down ${up - down} ms; ${during} beats arrived during it (a clean connection: ~${Math.round((up - down) / 20)}); ${sentDuring} sent during it arrived late, after the heal; ${after} in 0.8 s after the heal`);
  assert.is(during, 0, `${during} beats got through the partition`);
  assert.ok(after > 20, `only ${after} beats in the 0.8 s after the heal`);
  await nc.close();
});

test('a partitioned leader in its own namespace loses the lead to another master, and serves again as a standby once healed', async () => {
  const leading = (await findLeader(masters))!;
  const leader = masters.find((m) => m.proc === leading.proc)!;
  const other = masters.find((m) => m !== leader)!;
  const inj = new FaultInjector([4222]);
  const a = inj.apply('partition', child(leader.proc.pid!, 'master', 'leader', leader.slot), 6000, 6000);
  await waitFor(async () => (await other.elected()) === true, 'the other master to lead while the leader is cut off', 6000);
  const tookOver = Date.now() - a.at;
  assert.ok(Date.now() < a.at + 6000, 'the other master led only after the heal');
  // Cut off both ways: not even its HTTP answers from the host.
  assert.is(await leader.elected(), null, 'the partitioned master still answered over HTTP');
  await a.resumed;
  assert.is(inj.severed.get(leader.proc.pid!)?.error, undefined);
  await waitFor(async () => (await leader.elected()) === false && (await other.elected()) === true, 'the healed master to serve as a standby', 30_000);
  console.log(`netns partition of the leader: the other master led ${tookOver} ms after the link went down; the healed one served as a standby ${Date.now() - inj.severed.get(leader.proc.pid!)!.upAt!} ms after the heal`);
  assert.is(leader.proc.exitCode, null, 'the partitioned master died');
});

test('removing the network leaves no namespace, veth or bridge of it', async () => {
  for (const m of masters) m.proc.kill('SIGKILL');
  for (const o of others) o.kill('SIGKILL');
  await nats.stop();
  await net.remove();
  const nss = (() => {
    try {
      return readdirSync(NETNS_DIR);
    } catch {
      return [];
    }
  })().filter((n) => n.includes(tag));
  assert.equal(nss, [], 'no namespace left');
  assert.equal(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(tag)), []);
  assert.equal(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(tag)), [], 'no link left');
});

test.run();
