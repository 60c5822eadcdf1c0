/** `mesos replay export`: the log as JSON Lines or CSV, for other tools. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { ReplayError, csvHeader, csvLine, jsonlLine, rateLine, startProgress } from '../../replay/index.js';
import { FlagError, bool, str } from '../flags.js';
import { POINT_HELP, type ReplayCommand, SOURCE_FLAGS, pointFlag, progressOut, withSource } from './replay-common.js';

export const exportCommand: ReplayCommand = {
  name: 'export',
  summary: 'Write the log (or a range of it) as JSON Lines or CSV, for other tools; a JSON Lines export can be replayed with --file.',
  flags: [
    ...SOURCE_FLAGS,
    { name: 'format', type: 'string', default: 'jsonl', choices: ['jsonl', 'csv'], help: 'JSON Lines (one entry a line) or CSV (a header line, one event a line)' },
    { name: 'from', type: 'string', placeholder: 'point', help: `Start after this point: ${POINT_HELP} (default: the beginning)` },
    { name: 'to', type: 'string', placeholder: 'point', help: 'End at this point (default: head)' },
    { name: 'raw', type: 'bool', default: false, help: 'JSON Lines: each message as stored (older schema versions kept) instead of the decoded, upcast event' },
    { name: 'output', type: 'string', placeholder: 'path', help: 'Write to this file (default: stdout)' },
  ],
  extra: [
    'JSON Lines: {"seq","subject","storedAt","event"} (or "data" with --raw, and "malformed" for a message that does not decode).',
    'Secrets in task environments are masked ({"type":"VALUE","value":{"data":""},"masked":true}); the export still replays.',
    'CSV columns: seq, stored_at, subject, type, schema_version, time, epoch, agent_id, framework_id, task_id, state, summary, event.',
    '',
    'Examples:',
    '  mesos replay export --nats nats://127.0.0.1:4222 --format csv --from 2026-12-01T08:00:00Z > day.csv',
    '  mesos replay export --nats nats://127.0.0.1:4222 --raw --output cluster.jsonl && mesos replay verify --file cluster.jsonl',
  ].join('\n'),
  run: (v) =>
    withSource(v, 'replay export', async (source) => {
      const format = str(v.format) ?? 'jsonl';
      const raw = bool(v.raw);
      if (raw && format !== 'jsonl') throw new FlagError('--raw is for --format jsonl (CSV always holds the decoded event)');
      const head = await source.head();
      const from = (await pointFlag(source, head, v, 'from'))?.seq ?? 0;
      const to = (await pointFlag(source, head, v, 'to')) ?? { seq: head.last, storedAt: head.lastStoredAt, label: 'head' };
      if (from > to.seq) throw new ReplayError('BAD_POINT', `--from is after --to (${to.label})`);
      const path = str(v.output);
      const out: Writable = path !== undefined ? createWriteStream(path) : process.stdout;
      if (path !== undefined) await once(out, 'open');
      const write = async (s: string): Promise<void> => {
        if (!out.write(s)) await once(out, 'drain');
      };
      const progress = startProgress(progressOut(), { label: 'export', from: from + 1, to: to.seq });
      if (format === 'csv') await write(`${csvHeader()}\n`);
      let n = 0;
      let malformed = 0;
      for await (const entry of source.read({ from: from + 1, to: to.seq })) {
        progress.tick(entry.seq);
        if (!entry.decoded.ok) malformed++;
        await write(`${format === 'csv' ? csvLine(entry, { maskSecrets: true }) : jsonlLine(entry, { raw, maskSecrets: true })}\n`);
        n++;
      }
      const p = progress.done();
      if (path !== undefined) {
        out.end();
        await once(out, 'finish');
      }
      process.stderr.write(rateLine('export: wrote', { events: n, ms: p.ms }, ` (seq ${from + 1}..${to.seq}${malformed > 0 ? `, ${malformed} malformed kept raw` : ''})${path !== undefined ? ` to ${path}` : ''}`));
      return 0;
    }),
};
