// Secrets in a task's environment: Mesos's SECRET variables taken from the v1 API (VALUE) or refused
// with the reason (REFERENCE, bad base64, missing), and masked wherever they are shown — a replacer
// for JSON, a copy-on-the-way walk for log lines, the processes' logger settings.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MASKED_SECRET, TaskInfo, maskSecrets, secretMaskingReplacer, withSecretsMasked } from '../../events/index.js';
import { taskInfoFromMesos } from '../../kernel/shell/scheduler-api/convert/index.js';
import { MesosTaskInfo } from '../../kernel/shell/scheduler-api/wire.js';
import { secretEnvironment } from '../../agent/secret-env.js';
import { LOG_OPTIONS } from '../../cli/log.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const mesosTask = (variables: unknown[]) =>
  MesosTaskInfo.parse({
    name: 't',
    task_id: { value: 't' },
    agent_id: { value: 'a' },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }],
    command: { value: 'true', environment: { variables } },
  });

test('a SECRET variable of type VALUE becomes a secret of the command, apart from the plain environment', () => {
  const r = taskInfoFromMesos(mesosTask([{ name: 'A', value: '1' }, { name: 'PW', type: 'SECRET', secret: { type: 'VALUE', value: { data: b64('s3cr3t') } } }]));
  if (!r.ok) return assert.unreachable(r.error);
  assert.equal(r.task.command!.environment, { A: '1' });
  assert.equal(r.task.command!.secrets, { PW: { type: 'VALUE', value: { data: b64('s3cr3t') } } });
  // The agent's side: the value itself.
  assert.equal(secretEnvironment(r.task.command!.secrets), { PW: 's3cr3t' });
});

test('a REFERENCE secret, a missing secret, bad base64: refused, saying what to do', () => {
  const why = (v: unknown): string => {
    const r = taskInfoFromMesos(mesosTask([v]));
    return r.ok ? 'accepted' : r.error;
  };
  assert.match(why({ name: 'PW', type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: '/db' } } }), /REFERENCE needs a secret resolver, which this master does not have; give the value itself/);
  assert.match(why({ name: 'PW', type: 'SECRET' }), /'PW' is of type SECRET but has no 'secret'/);
  assert.match(why({ name: 'PW', type: 'SECRET', secret: { type: 'VALUE', value: { data: 'not base64!' } } }), /must be base64/);
});

test('the replacer and the walk mask every secret environment, and nothing else', () => {
  const task = TaskInfo.parse({
    taskId: 't',
    name: 't',
    agentId: 'a',
    resources: [],
    command: { value: 'true', environment: { secrets: 'not a secret environment' }, secrets: { PW: { type: 'VALUE', value: { data: b64('s3cr3t') } } } },
    labels: { secrets: 'a label' },
  });
  const doc = { event: { operations: [{ tasks: [task] }] } };
  const text = JSON.stringify(doc, secretMaskingReplacer);
  assert.not.ok(text.includes(b64('s3cr3t')));
  assert.equal(maskSecrets(doc).event.operations[0]!.tasks[0]!.command!.secrets, { PW: MASKED_SECRET });
  assert.is(maskSecrets(doc).event.operations[0]!.tasks[0]!.labels!.secrets, 'a label');
  // The masked form still passes the schema (a masked export replays).
  assert.ok(TaskInfo.safeParse(maskSecrets(task)).success);
  const walked = withSecretsMasked(doc);
  assert.equal(walked.event.operations[0]!.tasks[0]!.command!.secrets, { PW: MASKED_SECRET });
  assert.is(doc.event.operations[0]!.tasks[0]!.command!.secrets!.PW!.value.data, b64('s3cr3t'), 'the original is left as it was');
  const plain = { a: 1, b: [{ c: 'x' }] };
  assert.is(withSecretsMasked(plain), plain, 'nothing to mask: the same object');
});

test('the processes\' logger masks secrets in every line', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, done) {
      lines.push(c.toString());
      done();
    },
  });
  const log = pino({ level: 'info', ...LOG_OPTIONS }, sink);
  log.info({ task: { command: { value: 'true', secrets: { PW: { type: 'VALUE', value: { data: b64('s3cr3t') } } } } } }, 'launching');
  log.error({ err: new Error('boom') }, 'failed');
  assert.not.ok(lines[0]!.includes(b64('s3cr3t')));
  assert.match(lines[0]!, /"masked":true/);
  assert.match(lines[1]!, /"boom"/, 'errors are logged as before');
});

test.run();
