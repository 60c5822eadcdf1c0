/** Executor tokens (agent/executor/token.ts): HS256 JWTs naming an executor, checked against a call. */
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkExecutorToken, issueExecutorToken, loadExecutorSecret } from '../../agent/executor/token.js';

const secret = Buffer.alloc(32, 7);
const who = { frameworkId: 'fw-1', executorId: 'ex-1', containerId: 'c-1' };

test('a token names its executor and passes for its own calls', () => {
  const t = issueExecutorToken(secret, who, 1_700_000_000_000);
  const [h, c] = t.split('.') as [string, string, string];
  assert.equal(JSON.parse(Buffer.from(h, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
  assert.equal(JSON.parse(Buffer.from(c, 'base64url').toString()), { fid: 'fw-1', eid: 'ex-1', cid: 'c-1', iat: 1_700_000_000 });
  const r = checkExecutorToken(secret, `Bearer ${t}`, { frameworkId: 'fw-1', executorId: 'ex-1' });
  assert.equal(r, { ok: true, principal: who });
});

test('the signature is RFC 7519 HS256 over header.claims (checked by hand)', () => {
  const t = issueExecutorToken(secret, who);
  const [h, c, s] = t.split('.') as [string, string, string];
  assert.is(s, createHmac('sha256', secret).update(`${h}.${c}`).digest('base64url'));
});

test('no token, not a bearer, not a JWT, another secret, altered claims: 401', () => {
  const call = { frameworkId: 'fw-1', executorId: 'ex-1' };
  const t = issueExecutorToken(secret, who);
  const [h, , s] = t.split('.') as [string, string, string];
  const altered = `${h}.${Buffer.from(JSON.stringify({ fid: 'fw-1', eid: 'ex-2', cid: 'c-1' })).toString('base64url')}.${s}`;
  for (const [auth, why] of [
    [undefined, /Missing 'Authorization'/],
    [`Basic ${t}`, /must be 'Bearer/],
    ['Bearer abc', /not a JWT/],
    [`Bearer ${issueExecutorToken(Buffer.alloc(32, 8), who)}`, /bad signature/],
    [`Bearer ${altered}`, /bad signature/],
  ] as const) {
    const r = checkExecutorToken(secret, auth, call);
    assert.ok(!r.ok && r.status === 401 && why.test(r.why), `${String(auth)}: ${JSON.stringify(r)}`);
  }
});

test('a valid token for another executor or framework: 403', () => {
  const t = `Bearer ${issueExecutorToken(secret, who)}`;
  for (const call of [
    { frameworkId: 'fw-1', executorId: 'ex-2' },
    { frameworkId: 'fw-2', executorId: 'ex-1' },
  ]) {
    const r = checkExecutorToken(secret, t, call);
    assert.ok(!r.ok && r.status === 403, JSON.stringify(r));
  }
});

test('the secret is made once (0600) and read back; a damaged file is a clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exec-secret-'));
  try {
    const a = await loadExecutorSecret(dir);
    assert.is(a.length, 32);
    assert.is(statSync(join(dir, 'executor-secret')).mode & 0o777, 0o600);
    assert.equal(await loadExecutorSecret(dir), a, 'the same secret after a restart');
    assert.is(readFileSync(join(dir, 'executor-secret'), 'utf8').trim(), a.toString('hex'));
    writeFileSync(join(dir, 'executor-secret'), 'nonsense');
    try {
      await loadExecutorSecret(dir);
      assert.unreachable('a damaged secret must not be used');
    } catch (err) {
      assert.match((err as Error).message, /not 64 hex digits/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
