/** `mesos replay state`: the cluster state at a point of history, as JSON. */
import { STATE_VIEWS, type StateView, foldTo, rateLine, stateView } from '../../replay/index.js';
import { FlagError, bool, str } from '../flags.js';
import { POINT_HELP, type ReplayCommand, SNAPSHOTS_FLAG, SOURCE_FLAGS, iso, pointFlag, progressOut, withSource } from './replay-common.js';
import { secretMaskingReplacer } from '../../events/index.js';

export const stateCommand: ReplayCommand = {
  name: 'state',
  summary: 'The cluster state at a point of history (default: the head), as JSON: /master/state as it was then, or the whole projection.',
  flags: [
    ...SOURCE_FLAGS,
    { name: 'at', type: 'string', placeholder: 'point', help: `The point: ${POINT_HELP} (default: head)` },
    { name: 'to', type: 'string', placeholder: 'point', help: 'The same as --at (kept from earlier versions)' },
    { name: 'view', type: 'string', default: 'master', choices: STATE_VIEWS, help: '"master": the /master/state document; "projection": everything the fold keeps' },
    SNAPSHOTS_FLAG,
  ],
  extra: [
    'Prints {"seq", "storedAt", "at", "snapshot", "malformed", "view", "state"} on stdout; a progress bar (on a terminal)',
    'and the fold rate on stderr. A time means what the log had stored by then (its own clock).',
    '',
    'Examples:',
    '  mesos replay state --nats nats://127.0.0.1:4222 --at 2026-12-01T08:00:00Z',
    '  mesos replay state --nats nats://127.0.0.1:4222 --at 1200 --view projection',
  ].join('\n'),
  run: (v) =>
    withSource(v, 'replay state', async (source) => {
      if (str(v.at) !== undefined && str(v.to) !== undefined) throw new FlagError('--at and --to are the same flag: give one');
      const head = await source.head();
      const point = (await pointFlag(source, head, v, str(v.at) !== undefined ? 'at' : 'to')) ?? { seq: head.last, storedAt: head.lastStoredAt, label: `the head (seq ${head.last})` };
      const r = await foldTo(source, { to: point.seq, useSnapshots: bool(v.snapshots), progress: progressOut(), label: `state at seq ${point.seq}` });
      const view = (str(v.view) ?? 'master') as StateView;
      const out = {
        seq: r.seq,
        storedAt: iso(point.storedAt) || null,
        at: point.label,
        snapshot: r.snapshotSeq,
        malformed: r.codec.malformed,
        view,
        state: stateView(r.state, view),
      };
      process.stdout.write(`${JSON.stringify(out, secretMaskingReplacer, 2)}\n`);
      const from = r.snapshotSeq !== null ? ` from the snapshot at seq ${r.snapshotSeq}, loaded in ${Math.round(r.snapshotMs)} ms` : '';
      process.stderr.write(rateLine(`state at ${point.label}: folded`, r, ` (to seq ${r.seq}${from}${r.codec.malformed > 0 ? `; ${r.codec.malformed} malformed skipped` : ''})`));
      return 0;
    }),
};
