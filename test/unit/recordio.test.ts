import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_RECORD_BYTES, RecordIoDecoder, RecordIoError, encodeRecord } from '../../kernel/shell/scheduler-api/recordio.js';

/**
 * The de-chunked body of a SUBSCRIBE response recorded from Apache Mesos 1.12.0-dev (see
 * /work/shared/reference/mesos-samples/subscribe-stream.txt): three RecordIO frames, lengths as the
 * master wrote them.
 */
const REAL_SUBSCRIBED = '{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"641e44fe-1d2e-40ba-a966-a4dfc091c8a8-0001"},"heartbeat_interval_seconds":15.0,"master_info":{"id":"641e44fe-1d2e-40ba-a966-a4dfc091c8a8","ip":16777343,"port":5050,"pid":"master@127.0.0.1:5050","hostname":"localhost","version":"1.12.0","address":{"hostname":"localhost","ip":"127.0.0.1","port":5050},"capabilities":[{"type":"AGENT_UPDATE"},{"type":"AGENT_DRAINING"},{"type":"QUOTA_V2"}]}}}';
const REAL_HEARTBEAT = '{"type":"HEARTBEAT"}';
const REAL_OFFERS =
  '{"type":"OFFERS","offers":{"offers":[{"id":{"value":"641e44fe-1d2e-40ba-a966-a4dfc091c8a8-O1"},"framework_id":{"value":"641e44fe-1d2e-40ba-a966-a4dfc091c8a8-0001"},"agent_id":{"value":"641e44fe-1d2e-40ba-a966-a4dfc091c8a8-S0"},"hostname":"localhost","url":{"scheme":"http","address":{"hostname":"localhost","ip":"127.0.0.1","port":5051},"path":"/slave(1)"},"resources":[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]},"role":"*","allocation_info":{"role":"*"}},{"name":"cpus","type":"SCALAR","scalar":{"value":2.0},"role":"*","allocation_info":{"role":"*"}},{"name":"mem","type":"SCALAR","scalar":{"value":23081.0},"role":"*","allocation_info":{"role":"*"}},{"name":"disk","type":"SCALAR","scalar":{"value":252899.0},"role":"*","allocation_info":{"role":"*"}}],"allocation_info":{"role":"*"}}]}}';
const REAL_BODY = `448\n${REAL_SUBSCRIBED}20\n${REAL_HEARTBEAT}828\n${REAL_OFFERS}`;

const sampleBody = (): Buffer => Buffer.from(REAL_BODY, 'utf8');

function throwsRecordIo(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, RecordIoError);
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable(`expected a RecordIoError matching ${message}`);
}

test('encodeRecord: decimal byte length, a line feed, the JSON, nothing after', () => {
  assert.is(encodeRecord({ type: 'HEARTBEAT' }).toString('utf8'), '20\n{"type":"HEARTBEAT"}');
});

test('encodeRecord: the length counts UTF-8 bytes, not characters', () => {
  const value = { name: 'café ✓ 日本 🚀' };
  const json = JSON.stringify(value);
  const rec = encodeRecord(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  assert.ok(bytes > json.length);
  assert.is(rec.subarray(0, rec.indexOf(0x0a)).toString(), String(bytes));
  assert.is(rec.length, String(bytes).length + 1 + bytes);
  assert.equal(new RecordIoDecoder().push(rec), [value]);
});

test('encodeRecord frames a HEARTBEAT byte for byte as the real master does', () => {
  // (The master writes doubles as 15.0 where JSON.stringify writes 15, so only this record is byte-equal.)
  const body = sampleBody();
  const records = new RecordIoDecoder().push(body);
  assert.equal(records[1], { type: 'HEARTBEAT' });
  assert.ok(body.includes(encodeRecord(records[1])));
});

test('round trip: several values in one buffer', () => {
  const values = [{ type: 'SUBSCRIBED', n: 1 }, { type: 'HEARTBEAT' }, [1, 2, 3], 'text', 42, null, true];
  const stream = Buffer.concat(values.map(encodeRecord));
  const d = new RecordIoDecoder();
  assert.equal(d.push(stream), values);
  assert.ok(d.idle);
  d.end();
});

test('decoding the recorded SUBSCRIBE stream: SUBSCRIBED, HEARTBEAT, OFFERS', () => {
  const records = new RecordIoDecoder().push(sampleBody()) as { type: string }[];
  assert.equal(
    records.map((r) => r.type),
    ['SUBSCRIBED', 'HEARTBEAT', 'OFFERS'],
  );
  assert.equal(records[2], JSON.parse(REAL_OFFERS));
});

test('the real master\'s length prefixes are UTF-8 byte lengths, as encodeRecord writes them', () => {
  for (const text of [REAL_SUBSCRIBED, REAL_HEARTBEAT, REAL_OFFERS]) {
    assert.ok(REAL_BODY.includes(`${Buffer.byteLength(text)}\n${text}`));
  }
});

test('records split across chunks at every possible point', () => {
  const values = [{ a: 'één', b: [1, 2] }, { type: 'HEARTBEAT' }];
  const stream = Buffer.concat(values.map(encodeRecord));
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new RecordIoDecoder();
    const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
    assert.equal(got, values, `cut at ${cut}`);
    assert.ok(d.idle);
  }
});

test('byte-by-byte feeding, including inside multi-byte characters', () => {
  const values = [{ s: '日本語テキスト' }, { s: '🚀🚀' }];
  const stream = Buffer.concat(values.map(encodeRecord));
  const d = new RecordIoDecoder();
  const got: unknown[] = [];
  for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
  assert.equal(got, values);
  assert.ok(d.idle);
});

test('a chunk holding the end of one record, whole records and the start of another', () => {
  const recs = [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }].map(encodeRecord);
  const stream = Buffer.concat(recs);
  const first = recs[0]!.length - 3;
  const last = stream.length - 4;
  const d = new RecordIoDecoder();
  assert.equal(d.push(stream.subarray(0, first)), []);
  assert.not.ok(d.idle);
  assert.equal(d.push(stream.subarray(first, last)), [{ n: 1 }, { n: 2 }, { n: 3 }]);
  assert.ok(d.buffered > 0);
  assert.equal(d.push(stream.subarray(last)), [{ n: 4 }]);
  assert.ok(d.idle);
});

test('an empty chunk yields nothing', () => {
  assert.equal(new RecordIoDecoder().push(Buffer.alloc(0)), []);
});

test('bad length prefixes are errors', () => {
  const cases: [string, RegExp][] = [
    ['abc\n', /invalid length prefix '': expected a decimal digit.*'a'/],
    ['12 \n{}', /invalid length prefix '12': expected a decimal digit.*' '/],
    ['-1\n', /invalid length prefix ''.*'-'/],
    ['{"type":"HEARTBEAT"}', /invalid length prefix.*'\{'/],
    ['\n', /empty/],
    ['0\n', /cannot be empty/],
    ['000\n', /cannot be empty/],
    [`${MAX_RECORD_BYTES + 1}\n`, /larger than the limit/],
    ['99999999999999999999999', /larger than the limit/],
  ];
  for (const [input, message] of cases) {
    throwsRecordIo(() => new RecordIoDecoder().push(Buffer.from(input)), message);
  }
});

test('a prefix of exactly the limit is accepted (the payload then awaited)', () => {
  const d = new RecordIoDecoder();
  assert.equal(d.push(Buffer.from(`${MAX_RECORD_BYTES}\n`)), []);
  assert.not.ok(d.idle);
});

test('leading zeros are digits like any other', () => {
  assert.equal(new RecordIoDecoder().push(Buffer.from('0002\n{}')), [{}]);
});

test('a bad prefix after good records: the good ones were returned before, then an error', () => {
  const d = new RecordIoDecoder();
  assert.equal(d.push(encodeRecord({ ok: 1 })), [{ ok: 1 }]);
  throwsRecordIo(() => d.push(Buffer.from('x\n')), /invalid length prefix/);
});

test('after an error the decoder stays failed', () => {
  const d = new RecordIoDecoder();
  throwsRecordIo(() => d.push(Buffer.from('x')), /invalid length prefix/);
  throwsRecordIo(() => d.push(encodeRecord({ fine: true })), /failed earlier/);
});

test('a payload that is not JSON is an error', () => {
  throwsRecordIo(() => new RecordIoDecoder().push(Buffer.from('3\nabc')), /not valid JSON/);
});

test('end(): clean between records, an error inside one', () => {
  const whole = new RecordIoDecoder();
  whole.push(encodeRecord({ a: 1 }));
  whole.end();

  const inPrefix = new RecordIoDecoder();
  inPrefix.push(Buffer.from('12'));
  throwsRecordIo(() => inPrefix.end(), /inside the length prefix '12'/);

  const inPayload = new RecordIoDecoder();
  inPayload.push(Buffer.from('10\n{"a"'));
  throwsRecordIo(() => inPayload.end(), /after 4 of 10 bytes/);
});

test('encodeRecord refuses what JSON cannot hold', () => {
  throwsRecordIo(() => encodeRecord(undefined), /cannot encode undefined/);
});

test.run();
