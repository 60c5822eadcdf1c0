import { connectBus } from '../../kernel/bus.js';
import { replayLog, stateToJson } from '../../replay/index.js';
import { type FlagSpec, num } from '../flags.js';
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
