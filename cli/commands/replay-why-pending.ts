/** `mesos replay why-pending`: why a framework's demand is not met (replay/why-pending.ts). */
import { parseResources } from '../../kernel/core/resources.js';
import { formatReport, whyPending } from '../../replay/why-pending.js';
import { FlagError, bool, str } from '../flags.js';
import { POINT_HELP, type ReplayCommand, SOURCE_FLAGS, pointFlag, progressOut, withSource } from './replay-common.js';

export const whyPendingCommand: ReplayCommand = {
  name: 'why-pending',
  summary: "Why a framework's demand is not met: the reasons the allocator recorded in the log, and those it would give at the point read.",
  flags: [
    ...SOURCE_FLAGS,
    { name: 'framework', type: 'string', placeholder: 'id|name', help: 'The framework (id, id prefix or name); default: every framework with unmet demand' },
    { name: 'task-name', type: 'string', placeholder: 'name', help: "Only the request with this name (as given in REQUEST or the SDK's request())" },
    { name: 'demand', type: 'string', placeholder: 'resources', help: "Explain this demand instead, e.g. 'cpus:2;mem:100000'" },
    { name: 'role', type: 'string', placeholder: 'role', help: "The role of --demand (default: the framework's first)" },
    { name: 'to', type: 'string', placeholder: 'point', help: `Read up to this point: ${POINT_HELP} (default: head)` },
    { name: 'json', type: 'bool', default: false, help: 'Print the report as JSON' },
  ],
  extra: [
    'Folds from the first event (the history of the reasons is the point, so no snapshot is used).',
    'Exit 3 when --framework names no framework in the log.',
    '',
    'Examples:',
    '  mesos replay why-pending --nats nats://127.0.0.1:4222',
    "  mesos replay why-pending --nats nats://127.0.0.1:4222 --framework analytics --demand 'cpus:1;mem:100000'",
  ].join('\n'),
  run: (v) =>
    withSource(v, 'replay why-pending', async (source) => {
      const head = await source.head();
      const to = await pointFlag(source, head, v, 'to');
      const text = str(v.demand);
      let demand;
      try {
        demand = text !== undefined ? parseResources(text) : undefined;
      } catch (err) {
        throw new FlagError(`--demand: ${(err as Error).message}`);
      }
      if (demand !== undefined && demand.length === 0) throw new FlagError('--demand names no resources');
      const framework = str(v.framework);
      const taskName = str(v['task-name']);
      const role = str(v.role);
      const r = await whyPending(source, {
        ...(framework !== undefined ? { framework } : {}),
        ...(taskName !== undefined ? { taskName } : {}),
        ...(demand !== undefined ? { demand } : {}),
        ...(role !== undefined ? { role } : {}),
        ...(to !== undefined ? { toSeq: to.seq } : {}),
        progress: progressOut(),
      });
      process.stdout.write(`${bool(v.json) ? JSON.stringify(r, null, 2) : formatReport(r)}\n`);
      return 0;
    }),
};
