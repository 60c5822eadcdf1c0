/** security/nats: JWTs and .creds files as NATS reads them, the keystore, and each party's permissions. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createUser } from '@nats-io/nkeys';
import { subjects, type AgentId, type FrameworkId } from '../../events/index.js';
import { Keystore, NKey, base32, credsIdentity, decodeJwt, encodeJwt, formatCreds, parseCreds, permissionsFor, type UserNats } from '../../security/nats/index.js';

test('base32 is RFC 4648 without padding', () => {
  assert.is(base32(new TextEncoder().encode('foobar')), 'MZXW6YTBOI');
  assert.is(base32(new TextEncoder().encode('f')), 'MY');
});

test('a JWT round-trips, and a tampered one does not verify', () => {
  const kp = NKey.fromSeed(createUser().getSeed());
  const jwt = encodeJwt(kp, { sub: kp.publicKey, name: 'x', nats: { type: 'user' } });
  const c = decodeJwt<{ type: string }>(jwt);
  assert.is(c.iss, kp.publicKey);
  assert.is(c.name, 'x');
  assert.match(c.jti, /^[A-Z2-7]{52}$/);
  const [h, p, s] = jwt.split('.');
  const forged = Buffer.from(JSON.stringify({ ...c, name: 'y' })).toString('base64url');
  assert.throws(() => decodeJwt(`${h}.${forged}.${s}`), /does not verify/);
  assert.throws(() => decodeJwt('nope'), /three/);
  void p;
});

test('a .creds file holds the JWT and the seed in the armoured blocks', () => {
  const kp = createUser();
  const text = formatCreds('a.b.c', kp.getSeed());
  assert.match(text, /^-----BEGIN NATS USER JWT-----\na\.b\.c\n------END NATS USER JWT------/);
  assert.equal(parseCreds(text), { jwt: 'a.b.c', seed: new TextDecoder().decode(kp.getSeed()) });
  assert.throws(() => parseCreds('hello'), /not a NATS .creds file/);
});

test('the keystore: files 0600 in a 0700 directory; issued users signed by the signing key; revocation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-ks-'));
  try {
    const ks = Keystore.init(join(dir, 'k'));
    assert.is(statSync(join(dir, 'k')).mode & 0o777, 0o700);
    for (const f of ['operator.seed', 'account.seed', 'signing.seed', 'system.seed', 'account.jwt', 'sys.creds']) assert.is(statSync(join(dir, 'k', f)).mode & 0o777, 0o600, f);
    assert.throws(() => Keystore.init(join(dir, 'k')), /already holds a keystore/);
    const { creds, user } = ks.issue('agent', 'a1');
    const id = credsIdentity(creds);
    assert.is(id.name, 'a1');
    assert.is(id.party, 'agent');
    assert.is(id.inboxPrefix, '_INBOX_a1');
    const claims = decodeJwt<UserNats>(parseCreds(creds).jwt);
    const account = decodeJwt<{ signing_keys: string[] }>(ks.accountJwt);
    assert.ok(account.nats.signing_keys.includes(claims.iss), 'signed by the account signing key');
    assert.is(claims.nats.issuer_account, ks.accountPub);
    assert.throws(() => ks.issue('agent', 'a b'), /bad credential name/);
    assert.throws(() => ks.revoke('nobody'), /no credentials/);
    ks.revoke('a1');
    assert.ok(ks.revocations()[user.pub]! >= user.issuedAt);
    assert.ok(ks.list().find((u) => u.name === 'a1')?.revoked);
    assert.throws(() => Keystore.open(join(dir, 'none')), /mesos creds init/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('permissions are built from the subjects: an agent appends only its reports, a framework only its calls', () => {
  const a = permissionsFor('agent', 'A');
  assert.ok(a.pub.allow!.includes(subjects.reportsOf('A' as AgentId)));
  assert.not.ok(a.pub.allow!.some((s) => s.startsWith('cl.') && !s.startsWith('cl.agent.A.')));
  assert.ok(a.pub.allow!.includes(`$JS.API.CONSUMER.CREATE.CLUSTER.*.${subjects.commandsOf('A' as AgentId)}`));
  assert.ok(a.sub.allow!.includes('_INBOX_A.>'));
  const f = permissionsFor('framework', 'F');
  assert.ok(f.pub.allow!.includes(subjects.callsOf('F' as FrameworkId)));
  assert.not.ok(f.pub.allow!.some((s) => s.includes('STREAM.PURGE') || s.includes('STREAM.DELETE')));
  const au = permissionsFor('auditor', 'au');
  assert.not.ok(au.pub.allow!.some((s) => s.startsWith('cl.')));
  const m = permissionsFor('master', 'm');
  assert.not.ok(m.pub.allow!.some((s) => s === '$JS.API.>' || s.includes('STREAM.PURGE.CLUSTER') || s.includes('STREAM.DELETE') || s.includes('STREAM.UPDATE')));
});

test.run();
