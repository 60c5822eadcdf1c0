/** security/nats/nkey.ts: nkeys signed with Node's ed25519 give what @nats-io/nkeys gives, byte for byte. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAccount, createOperator, createUser, fromPublic, fromSeed } from '@nats-io/nkeys';
import { credsAuthenticator } from '@nats-io/transport-node';
import { NKey, authenticatorOf, formatCreds, verifyNKey } from '../../security/nats/index.js';

const te = new TextEncoder();

test('a seed gives the same public key and the same signatures as @nats-io/nkeys, for every role', () => {
  for (const [role, make] of [['user', createUser], ['account', createAccount], ['operator', createOperator]] as const) {
    const theirs = make();
    const ours = NKey.fromSeed(theirs.getSeed());
    assert.is(ours.role, role);
    assert.is(ours.publicKey, theirs.getPublicKey(), role);
    const data = te.encode(`a nonce for ${role}`);
    assert.equal(Buffer.from(ours.sign(data)), Buffer.from(theirs.sign(data)), `${role}: ed25519 is deterministic`);
  }
});

test('a key we create is a valid nkey for @nats-io/nkeys, and each verifies the other', () => {
  for (const role of ['user', 'account', 'operator'] as const) {
    const ours = NKey.create(role);
    const theirs = fromSeed(te.encode(ours.seed));
    assert.is(theirs.getPublicKey(), ours.publicKey);
    assert.ok(ours.publicKey.startsWith({ user: 'U', account: 'A', operator: 'O' }[role]));
    assert.ok(ours.seed.startsWith(`S${{ user: 'U', account: 'A', operator: 'O' }[role]}`));
    const data = te.encode('hello');
    assert.ok(fromPublic(ours.publicKey).verify(data, ours.sign(data)));
    assert.ok(verifyNKey(ours.publicKey, data, theirs.sign(data)));
    assert.not.ok(verifyNKey(ours.publicKey, te.encode('hellO'), ours.sign(data)), 'other data');
    assert.not.ok(verifyNKey(NKey.create(role).publicKey, data, ours.sign(data)), 'another key');
  }
});

test('malformed keys are refused: bad characters, a wrong checksum, a public key as a seed', () => {
  const u = NKey.create('user');
  assert.throws(() => NKey.fromSeed('S!'), /base32/);
  const flipped = u.seed.slice(0, 10) + (u.seed[10] === 'A' ? 'B' : 'A') + u.seed.slice(11);
  assert.throws(() => NKey.fromSeed(flipped), /checksum/);
  assert.throws(() => NKey.fromSeed(u.publicKey), /bytes decoded|seed/);
  assert.not.ok(verifyNKey('UNOTAKEY', te.encode('x'), new Uint8Array(64)));
  assert.not.ok(verifyNKey(u.publicKey, te.encode('x'), new Uint8Array(3)), 'a short signature');
});

test('the authenticator answers the server nonce as the NATS client\'s credsAuthenticator does', () => {
  const u = createUser();
  const creds = formatCreds('h.c.s', u.getSeed());
  const nonce = 'sXpQk2i0rN0F3nrA';
  assert.equal(authenticatorOf(creds)(nonce), credsAuthenticator(te.encode(creds))(nonce));
});

test.run();
