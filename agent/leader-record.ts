/**
 * The leader record as an agent sees it: every `LeaderElected` in the log (`cl.sys.leader`), with
 * the stream sequence it sits at. It answers "which epoch led at sequence S", the question an agent
 * asks before it carries out a command: a command counts only if it carries the epoch of the last
 * election before it in the log — the rule the fold applies to every decision. A field in the
 * message alone proves nothing (anyone who can publish can write any epoch); the record is read
 * from the log, and an election counts only if it raises the epoch (as in the fold).
 *
 * Elections are few (one per failover), so the whole record is kept. It is read from the log when
 * asked about a sequence past what it has read, and whenever a live `LeaderElected` is seen.
 */
import type { Logger } from 'pino';
import { decode, subjects } from '../events/index.js';
import { type Bus, headSeq, readLog } from '../kernel/shell/bus.js';

export interface Election {
  readonly seq: number;
  readonly epoch: number;
  readonly masterId: string;
}

export interface LeaderRecord {
  /** The epoch of the newest election read so far (0: none). */
  latestEpoch(): number;
  /** The epoch that led at stream sequence `seq` (0: no election before it), reading the log if needed. */
  epochAt(seq: number): Promise<number>;
  /** Read elections appended since the last read (single-flight). */
  refresh(): Promise<void>;
  /**
   * Read again every election after the last one known, whatever the record believes it has
   * covered, and answer `epochAt(seq)`: for a command of a newer epoch than the record shows at its
   * place, before it is refused. A read during a NATS node's failover can end short (a consumer on
   * a replica still catching up sees fewer messages than the stream's head says), and an election
   * missed so would make every command of that epoch be refused for good.
   */
  recheck(seq: number): Promise<number>;
  /** The elections read so far, oldest first. */
  elections(): readonly Election[];
  stop(): void;
}

export function startLeaderRecord(bus: Bus, log: Logger): LeaderRecord {
  const rlog = log.child({ component: 'leader-record' });
  const list: Election[] = [];
  /** Every election at or before this stream sequence has been read. */
  let coveredTo = 0;
  let reading: Promise<void> | null = null;
  let stopped = false;

  function refresh(): Promise<void> {
    if (reading) return reading;
    reading = (async () => {
      const head = await headSeq(bus.jsm);
      if (head <= coveredTo) return;
      for await (const entry of readLog(bus, { fromSeq: coveredTo + 1, filter: subjects.sys('leader'), untilHead: true })) {
        if (!entry.decoded.ok || entry.decoded.event.type !== 'LeaderElected') continue;
        const e = entry.decoded.event;
        const last = list.at(-1);
        if (last !== undefined && entry.seq <= last.seq) continue;
        if (last !== undefined && e.epoch <= last.epoch) {
          rlog.warn({ seq: entry.seq, epoch: e.epoch, current: last.epoch }, 'an election that does not raise the epoch is ignored (as the fold ignores it)');
          continue;
        }
        list.push({ seq: entry.seq, epoch: e.epoch, masterId: e.masterId });
      }
      coveredTo = Math.max(coveredTo, head);
    })().finally(() => {
      reading = null;
    });
    return reading;
  }

  // A live election: read it from the log (a live message carries no sequence).
  const sub = bus.nc.subscribe(subjects.sys('leader'), {
    callback: (err, msg) => {
      if (err || stopped) return;
      const d = decode(msg.data, msg.subject);
      if (d.ok && d.event.type === 'LeaderElected' && d.event.epoch > (list.at(-1)?.epoch ?? 0)) {
        refresh().catch((e: unknown) => rlog.warn({ err: e }, 'cannot read the leader record'));
      }
    },
  });

  return {
    latestEpoch: () => list.at(-1)?.epoch ?? 0,
    async epochAt(seq) {
      if (seq > coveredTo) await refresh();
      if (seq > coveredTo) await refresh(); // an election may have been appended while reading
      let epoch = 0;
      for (const e of list) {
        if (e.seq >= seq) break;
        epoch = e.epoch;
      }
      return epoch;
    },
    refresh,
    async recheck(seq) {
      await reading?.catch(() => undefined);
      const before = list.at(-1)?.epoch ?? 0;
      coveredTo = Math.min(coveredTo, list.at(-1)?.seq ?? 0);
      await refresh();
      const after = list.at(-1)?.epoch ?? 0;
      if (after > before) rlog.warn({ epoch: after, before }, 'the leader record had missed an election; read again');
      return this.epochAt(seq);
    },
    elections: () => list,
    stop() {
      stopped = true;
      sub.unsubscribe();
    },
  };
}
