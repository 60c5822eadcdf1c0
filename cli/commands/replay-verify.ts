/** `mesos replay verify`: fold all of history and check its invariants. */
import { INVARIANTS, rateLine, verifySource } from '../../replay/index.js';
import { bool, num } from '../flags.js';
import { POINT_HELP, type ReplayCommand, SOURCE_FLAGS, pointFlag, progressOut, withSource } from './replay-common.js';
import { secretMaskingReplacer } from '../../events/index.js';

export const verifyCommand: ReplayCommand = {
  name: 'verify',
  summary: 'Fold all of history and check its invariants; exit 0 when they hold, else 1 with the first violation and the sequences that show it.',
  flags: [
    ...SOURCE_FLAGS,
    { name: 'to', type: 'string', placeholder: 'point', help: `Check up to this point: ${POINT_HELP} (default: head)` },
    { name: 'quiescent', type: 'bool', default: false, help: 'The run is over: also require every task terminal, every update acknowledged, every launch delivered' },
    { name: 'grace', type: 'duration', default: '5mins', help: 'A launch younger than this (event time) at the end may still be on its way' },
    { name: 'all', type: 'bool', default: false, help: 'Read on after the first violation and list them all (up to --max)' },
    { name: 'max', type: 'int', default: 50, help: 'With --all, stop listing after this many violations' },
    { name: 'json', type: 'bool', default: false, help: 'Print the report as JSON' },
  ],
  extra: [
    `Invariants: ${INVARIANTS.join(', ')} (docs/operations.md says what each means).`,
    '',
    'Examples:',
    '  mesos replay verify --nats nats://127.0.0.1:4222',
    '  mesos replay verify --file golden.jsonl --quiescent --all',
  ].join('\n'),
  run: (v) =>
    withSource(v, 'replay verify', async (source) => {
      const head = await source.head();
      const to = await pointFlag(source, head, v, 'to');
      const all = bool(v.all);
      const r = await verifySource(source, {
        quiescent: bool(v.quiescent),
        graceMs: num(v.grace) ?? 300_000,
        maxViolations: all ? (num(v.max) ?? 50) : 1,
        stopAtFirst: !all,
        progress: progressOut(),
        ...(to !== undefined ? { toSeq: to.seq } : {}),
      });
      const holds = r.violations.length === 0;
      if (bool(v.json)) {
        const { state: _state, ...report } = r;
        process.stdout.write(`${JSON.stringify({ holds, ...report }, secretMaskingReplacer, 2)}\n`);
      } else {
        for (const x of r.violations) {
          process.stdout.write(`${x.invariant} at seq ${x.seq}${x.related.length > 0 ? ` (see seq ${x.related.join(', ')})` : ''}: ${x.message}\n`);
        }
        const stale = r.staleDecisionsIgnored > 0 ? `${r.staleDecisionsIgnored} stale decisions ignored (first at seq ${r.staleDecisionSeqs.slice(0, 5).join(', ')}), ` : '0 stale decisions, ';
        const open = `${r.pendingAcknowledgements} updates awaiting acknowledgement, ${r.launchesInFlight} launches in flight`;
        process.stdout.write(
          `${holds ? 'all invariants hold' : r.stoppedEarly ? 'stopped at the first violation (--all reads on)' : `${r.violations.length} violation(s)`}: ` +
            `${r.events} events to seq ${r.lastSeq}, ${r.tasksSeen} tasks, ${stale}${open}, ${r.malformed} malformed skipped\n`,
        );
      }
      process.stderr.write(rateLine('verify: checked', { events: r.events + r.malformed, ms: r.ms }));
      return holds ? 0 : 1;
    }),
};
