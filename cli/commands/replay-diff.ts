/** `mesos replay diff`: what changed between two points of history. */
import { cloneState } from '../../kernel/core/state.js';
import { DiffTrail, ReplayError, diffStates, foldTo, rateLine, renderDiff } from '../../replay/index.js';
import { bool, num } from '../flags.js';
import { POINT_HELP, type ReplayCommand, SNAPSHOTS_FLAG, SOURCE_FLAGS, iso, pointFlag, progressOut, withSource } from './replay-common.js';
import { secretMaskingReplacer } from '../../events/index.js';

export const diffCommand: ReplayCommand = {
  name: 'diff',
  summary: 'What changed between two points of history: agents, frameworks, tasks (with the states they went through), offers, allocation by role.',
  flags: [
    ...SOURCE_FLAGS,
    { name: 'from', type: 'string', placeholder: 'point', required: true, help: `The earlier point: ${POINT_HELP}` },
    { name: 'to', type: 'string', placeholder: 'point', help: 'The later point (default: head)' },
    { name: 'json', type: 'bool', default: false, help: 'Print the whole diff as JSON' },
    { name: 'limit', type: 'int', default: 50, help: 'Lines of detail per section (the summary lines count everything)' },
    SNAPSHOTS_FLAG,
  ],
  extra: ['Examples:', '  mesos replay diff --nats nats://127.0.0.1:4222 --from 2026-12-01T08:00:00Z --to 2026-12-01T09:00:00Z', '  mesos replay diff --nats nats://127.0.0.1:4222 --from 100 --json'].join('\n'),
  run: (v) =>
    withSource(v, 'replay diff', async (source) => {
      const head = await source.head();
      const from = (await pointFlag(source, head, v, 'from'))!;
      const to = (await pointFlag(source, head, v, 'to')) ?? { seq: head.last, storedAt: head.lastStoredAt, label: `the head (seq ${head.last})` };
      if (from.seq > to.seq) throw new ReplayError('BAD_POINT', `--from ${from.label} is after --to ${to.label}`);
      const a = await foldTo(source, { to: from.seq, useSnapshots: bool(v.snapshots), progress: progressOut(), label: `to --from (seq ${from.seq})` });
      const before = cloneState(a.state);
      const trail = new DiffTrail(before);
      const b = await foldTo(source, {
        to: to.seq,
        from: { state: a.state, seq: a.seq },
        progress: progressOut(),
        label: `--from → --to`,
        before: (entry, s) => trail.before(s, (entry.decoded as { ok: true; event: never }).event),
        after: (_entry, s) => trail.after(s),
      });
      const d = diffStates(before, b.state, trail, b.codec.malformed);
      if (bool(v.json)) {
        const point = (p: typeof from) => ({ seq: p.seq, storedAt: iso(p.storedAt) || null, label: p.label });
        process.stdout.write(`${JSON.stringify({ from: point(from), to: point(to), ...d }, secretMaskingReplacer, 2)}\n`);
      } else {
        process.stdout.write(renderDiff(d, `From ${from.label} to ${to.label}`, num(v.limit) ?? 50));
      }
      process.stderr.write(rateLine('diff: folded', { events: a.events + b.events, ms: a.ms + b.ms }, a.snapshotSeq !== null ? ` (from the snapshot at seq ${a.snapshotSeq})` : ''));
      return 0;
    }),
};
