import { connectBus } from '../../kernel/bus.js';
import { replayLog, stateToJson, verifyLog } from '../../replay/index.js';
import { type FlagSpec, bool, num } from '../flags.js';
import { createLogger } from '../log.js';
import { NATS_FLAG } from './common.js';

export const replayStateFlags: readonly FlagSpec[] = [
  NATS_FLAG,
  { name: 'to', type: 'int', placeholder: 'seq', help: 'Fold up to and including this log sequence (default: the head)' },
];

export async function runReplayState(v: Readonly<Record<string, unknown>>): Promise<number> {
  const log = createLogger('warn', 'mesos-replay');
  const bus = await connectBus({ servers: v.nats as string, name: 'mesos-replay', log });
  try {
    const to = num(v.to as number);
    if (to !== undefined && to < 0) throw new Error('--to must be a sequence number (0 or more)');
    const r = await replayLog(bus, to !== undefined ? { toSeq: to } : {});
    process.stdout.write(`${JSON.stringify({ seq: r.seq, malformed: r.codec.malformed, state: stateToJson(r.state) }, null, 2)}\n`);
    process.stderr.write(`folded ${r.events} events to seq ${r.seq} in ${r.ms.toFixed(0)} ms (${Math.round((r.events / Math.max(r.ms, 1)) * 1000)} events/s)\n`);
    return 0;
  } finally {
    await bus.close();
  }
}

export const replayVerifyFlags: readonly FlagSpec[] = [
  NATS_FLAG,
  { name: 'to', type: 'int', placeholder: 'seq', help: 'Check up to and including this log sequence (default: the head)' },
  { name: 'quiescent', type: 'bool', default: false, help: 'The run is over: also require every task terminal and every update acknowledged' },
];

export async function runReplayVerify(v: Readonly<Record<string, unknown>>): Promise<number> {
  const log = createLogger('warn', 'mesos-replay');
  const bus = await connectBus({ servers: v.nats as string, name: 'mesos-replay-verify', log });
  try {
    const to = num(v.to as number);
    const started = performance.now();
    const r = await verifyLog(bus, { quiescent: bool(v.quiescent as boolean), ...(to !== undefined ? { toSeq: to } : {}) });
    const ms = performance.now() - started;
    for (const x of r.violations) {
      process.stdout.write(`${x.invariant} at seq ${x.seq}${x.related.length > 0 ? ` (see seq ${x.related.join(', ')})` : ''}: ${x.message}\n`);
    }
    process.stdout.write(
      `${r.violations.length === 0 ? 'all invariants hold' : `${r.violations.length} violation(s)`}: ${r.events} events to seq ${r.lastSeq}, ${r.tasksSeen} tasks, ` +
        `${r.staleDecisionsIgnored} stale decisions ignored, ${r.malformed} malformed skipped (${Math.round((r.events / Math.max(ms, 1)) * 1000)} events/s)\n`,
    );
    return r.violations.length === 0 ? 0 : 1;
  } finally {
    await bus.close();
  }
}

export const replayWhyPendingFlags: readonly FlagSpec[] = [
  NATS_FLAG,
  { name: 'framework', type: 'string', placeholder: 'id|name', help: 'The framework (id, id prefix or name); default: every framework with unmet demand' },
  { name: 'task-name', type: 'string', placeholder: 'name', help: 'Only the request with this name (as given in REQUEST or the SDK\'s request())' },
  { name: 'demand', type: 'string', placeholder: 'resources', help: "Explain this demand instead, e.g. 'cpus:2;mem:100000'" },
  { name: 'role', type: 'string', placeholder: 'role', help: "The role of --demand (default: the framework's first)" },
  { name: 'to', type: 'int', placeholder: 'seq', help: 'Fold up to and including this log sequence (default: the head)' },
  { name: 'json', type: 'bool', default: false, help: 'Print the report as JSON' },
];

export async function runReplayWhyPending(v: Readonly<Record<string, unknown>>): Promise<number> {
  const { whyPending, formatReport } = await import('../../replay/why-pending.js');
  const { parseResources } = await import('../../kernel/resources.js');
  const log = createLogger('warn', 'mesos-replay');
  const bus = await connectBus({ servers: v.nats as string, name: 'mesos-replay-why-pending', log });
  try {
    const to = num(v.to as number);
    const demand = v.demand as string | undefined;
    const r = await whyPending(bus, {
      ...(v.framework !== undefined ? { framework: v.framework as string } : {}),
      ...(v['task-name'] !== undefined ? { taskName: v['task-name'] as string } : {}),
      ...(demand !== undefined ? { demand: parseResources(demand) } : {}),
      ...(v.role !== undefined ? { role: v.role as string } : {}),
      ...(to !== undefined ? { toSeq: to } : {}),
    });
    process.stdout.write(`${bool(v.json as boolean) ? JSON.stringify(r, null, 2) : formatReport(r)}\n`);
    return 0;
  } finally {
    await bus.close();
  }
}
