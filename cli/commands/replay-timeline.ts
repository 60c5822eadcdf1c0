/** `mesos replay timeline`: every event that touched one task, agent or framework. */
import { AgentId, FrameworkId } from '../../events/index.js';
import {
  ReplayError,
  TimelineCollector,
  type TimelineLine,
  type TimelineTarget,
  describeTarget,
  directLine,
  directSubjects,
  foldTo,
  rateLine,
  renderLine,
  startProgress,
} from '../../replay/index.js';
import { FlagError, bool, str } from '../flags.js';
import { POINT_HELP, type ReplayCommand, SNAPSHOTS_FLAG, SOURCE_FLAGS, iso, pointFlag, progressOut, withSource } from './replay-common.js';
import { secretMaskingReplacer } from '../../events/index.js';

function target(v: Readonly<Record<string, unknown>>): TimelineTarget {
  const task = str(v.task as string);
  const agent = str(v.agent as string);
  const framework = str(v.framework as string);
  const checkId = (schema: typeof AgentId | typeof FrameworkId, id: string, flag: string): void => {
    const r = schema.safeParse(id);
    if (!r.success) throw new FlagError(`--${flag} ${JSON.stringify(id)} is not a valid id: ${r.error.issues[0]?.message ?? 'invalid'}`);
  };
  if (agent !== undefined) checkId(AgentId, agent, 'agent');
  if (framework !== undefined) checkId(FrameworkId, framework, 'framework');
  const valid = (task !== undefined && agent === undefined) || (agent !== undefined && task === undefined && framework === undefined) || (framework !== undefined && task === undefined && agent === undefined);
  if (!valid) {
    throw new FlagError('give one of --task ID (with --framework ID to pick one framework\'s task), --agent ID or --framework ID; see `mesos replay timeline --help`');
  }
  if (task !== undefined) return { kind: 'task', taskId: task, ...(framework !== undefined ? { frameworkId: framework } : {}) };
  if (agent !== undefined) return { kind: 'agent', agentId: agent };
  return { kind: 'framework', frameworkId: framework! };
}

export const timelineCommand: ReplayCommand = {
  name: 'timeline',
  summary: 'Every event that touched one task, agent or framework, with its sequence, time and effect.',
  flags: [
    ...SOURCE_FLAGS,
    { name: 'task', type: 'string', placeholder: 'id', help: 'A task id (in every framework that has one, unless --framework is given)' },
    { name: 'agent', type: 'string', placeholder: 'id', help: 'An agent id' },
    { name: 'framework', type: 'string', placeholder: 'id', help: 'A framework id (alone: the framework; with --task: that framework\'s task)' },
    { name: 'from', type: 'string', placeholder: 'point', help: `Start after this point: ${POINT_HELP} (default: the beginning)` },
    { name: 'to', type: 'string', placeholder: 'point', help: 'End at this point (default: head)' },
    {
      name: 'direct',
      type: 'bool',
      default: false,
      help: 'Only the events on the subjects that carry the id, read through a filtered consumer without folding (fast on long logs; no effects, nothing reached through the state; a task needs --framework)',
    },
    { name: 'json', type: 'bool', default: false, help: 'One JSON object per event (JSON Lines), with the event itself' },
    SNAPSHOTS_FLAG,
  ],
  extra: [
    'By default the log is folded, so the timeline also shows what reached the thing through the state',
    '(an agent removal that made a task unreachable, a teardown that killed it) and what each event did.',
    '',
    'Examples:',
    '  mesos replay timeline --nats nats://127.0.0.1:4222 --task hello',
    '  mesos replay timeline --nats nats://127.0.0.1:4222 --agent 5c1f… --from 2026-12-01T08:00:00Z --direct',
  ].join('\n'),
  run: (v) =>
    withSource(v, 'replay timeline', async (source) => {
      const t = target(v);
      const direct = bool(v.direct);
      if (direct && t.kind === 'task' && t.frameworkId === undefined) throw new FlagError('--direct needs --framework for a task (its framework\'s subjects are the ones read)');
      const head = await source.head();
      const from = await pointFlag(source, head, v, 'from');
      const to = (await pointFlag(source, head, v, 'to')) ?? { seq: head.last, storedAt: head.lastStoredAt, label: `the head (seq ${head.last})` };
      const fromSeq = from?.seq ?? 0;
      if (fromSeq > to.seq) throw new ReplayError('BAD_POINT', `--from ${from!.label} is after --to ${to.label}`);
      const started = performance.now();
      let lines: TimelineLine[] = [];
      let tasks = new Set<string>();
      let read = 0;
      if (direct) {
        const progress = startProgress(progressOut(), { label: 'timeline', from: fromSeq + 1, to: to.seq });
        for await (const entry of source.read({ from: fromSeq + 1, to: to.seq, subjects: directSubjects(t) })) {
          progress.tick(entry.seq);
          read++;
          const l = directLine(t, entry);
          if (l !== null) lines.push(l);
        }
        progress.done();
        tasks = new Set(lines.flatMap((l) => (l.task ? [l.task] : [])));
      } else {
        const start = fromSeq > 0 ? await foldTo(source, { to: fromSeq, useSnapshots: bool(v.snapshots), progress: progressOut(), label: 'to --from' }) : null;
        const c = new TimelineCollector(t);
        const r = await foldTo(source, {
          to: to.seq,
          ...(start !== null ? { from: { state: start.state, seq: start.seq } } : { useSnapshots: false }),
          progress: progressOut(),
          label: 'timeline',
          before: (e, s) => c.before(e, s),
          after: (e, s) => c.after(e, s),
        });
        read = r.events + (start?.events ?? 0);
        lines = c.lines;
        tasks = c.tasksSeen;
      }
      const range = `seq ${fromSeq + 1}..${to.seq}`;
      if (lines.length === 0) {
        throw new ReplayError('NOT_FOUND', `${describeTarget(t)} does not appear in the log (${range}${direct ? ', on the subjects that carry its id; without --direct the whole log is searched' : ''})`);
      }
      const several = t.kind === 'task' && tasks.size > 1;
      if (bool(v.json)) {
        for (const l of lines) {
          process.stdout.write(`${JSON.stringify({ ...l, storedAt: iso(l.storedAt), time: iso(l.time) }, secretMaskingReplacer)}\n`);
        }
      } else {
        process.stdout.write(`Timeline of ${describeTarget(t)} (${range}${direct ? ', direct subjects only' : ''}): ${lines.length} event(s)\n`);
        if (several) process.stdout.write(`task ${(t as { taskId: string }).taskId} exists in ${tasks.size} frameworks (${[...tasks].join(', ')}); --framework picks one\n`);
        for (const l of lines) process.stdout.write(`${renderLine(l, several)}\n`);
      }
      process.stderr.write(rateLine('timeline: read', { events: read, ms: performance.now() - started }));
      return 0;
    }),
};
