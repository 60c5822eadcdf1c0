/**
 * `mesos dev` revokes the NATS user of an agent the operator marks gone (cli/dev/revoker.ts): its
 * connection is closed by the server and its credentials are refused from then on.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { basicHeader, loadClientCredential } from '../../security/http/index.js';
import { Keystore } from '../../security/nats/index.js';
import { revokeGoneAgent } from '../../cli/dev/revoker.js';
import { startDev } from '../helpers/dev-process.js';
import { waitFor } from '../helpers/wait.js';

/** The users connected to the servers now (their public keys), asked as the system account. */
async function connectedUsers(nats: string, sysCreds: string): Promise<string[]> {
  const nc = await connect({ servers: nats.split(','), timeout: 3000, authenticator: credsAuthenticator(readFileSync(sysCreds)) });
  try {
    const r = await nc.request('$SYS.REQ.SERVER.PING.CONNZ', new TextEncoder().encode(JSON.stringify({ auth: true, limit: 1024 })), { timeout: 3000 });
    const body = JSON.parse(new TextDecoder().decode(r.data)) as { data?: { connections?: Array<{ authorized_user?: string }> } };
    return (body.data?.connections ?? []).map((c) => c.authorized_user ?? '');
  } finally {
    await nc.close();
  }
}

/** Connecting with a creds file: 'ok', or the error the server gave. */
async function tryConnect(nats: string, creds: string): Promise<string> {
  try {
    const nc = await connect({ servers: nats.split(','), timeout: 3000, reconnect: false, authenticator: credsAuthenticator(readFileSync(creds)) });
    await nc.flush();
    await nc.close();
    return 'ok';
  } catch (err) {
    return String((err as Error).message ?? err);
  }
}

test('an agent marked gone (MARK_AGENT_GONE) has its NATS user revoked: its connection is cut and its credentials refused', async () => {
  const dev = await startDev(['--agents', '1']);
  try {
    const nats = dev.state().nats;
    const ks = Keystore.open(join(dev.data, 'keys'));
    const agentCreds = join(dev.data, 'keys', 'issued', 'agent-1.creds');
    const agent = ks.list().find((u) => u.party === 'agent');
    assert.ok(agent, 'dev issued the agent credentials');
    const agentId = agent!.name;
    // Before: the agent is connected, and its credentials are good.
    await waitFor(async () => (await connectedUsers(nats, ks.sysCredsFile)).includes(agent!.pub), 'the agent to be connected', 20_000);
    assert.is(await tryConnect(nats, agentCreds), 'ok');

    const master = dev.state().children.find((c) => c.role === 'master')!.url;
    const op = loadClientCredential(join(dev.data, 'credentials', 'http.json'), 'operator', 'credentials');
    const res = await fetch(`${master}/api/v1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: basicHeader(op.principal, op.secret) },
      body: JSON.stringify({ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } }),
    });
    assert.is(res.status, 200, await res.text());

    await waitFor(() => dev.output().includes(`revoked: agent ${agentId} was marked gone`), `dev to revoke the agent; output:\n${dev.output()}`, 20_000);
    assert.ok(Keystore.open(join(dev.data, 'keys')).list().filter((u) => u.name === agentId).every((u) => u.revoked), 'the keystore records the revocation');
    // The server closed the agent's connection, and refuses its credentials.
    await waitFor(async () => !(await connectedUsers(nats, ks.sysCredsFile)).includes(agent!.pub), 'the agent to be disconnected', 10_000);
    assert.match(await tryConnect(nats, agentCreds), /revoked|authoriz|authentic/i);
    // Idempotent: the same agent again is left alone; an id never issued is not revoked.
    assert.is(await revokeGoneAgent(ks, nats, agentId), 'already');
    assert.is(await revokeGoneAgent(ks, nats, '00000000-0000-4000-8000-000000000000'), 'unknown');
    assert.is(dev.output().split(`revoked: agent ${agentId}`).length - 1, 1, 'revoked once');
  } finally {
    dev.proc.kill('SIGINT');
    await waitFor(() => dev.proc.exitCode !== null, 'mesos dev to stop', 30_000).catch(() => dev.proc.kill('SIGKILL'));
    rmSync(dev.data, { recursive: true, force: true });
  }
});

test.run();
