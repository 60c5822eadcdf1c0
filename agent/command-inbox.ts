/**
 * An agent's launch stream. Live delivery is a plain NATS subscription on the agent's command
 * subjects (the stream stores them and core subscribers get them too), so tens of thousands of
 * agents cost the server no consumers. Commands are numbered per agent (agentSeq 1, 2, 3, …) and
 * carried out strictly in that order, each once. A gap (a later command first), a reconnect, a
 * start, or a ping saying the log holds more than we have carried out, triggers a catch-up read of
 * the agent's subjects from the stream.
 *
 * Fencing: a command is carried out only if it carries the epoch of the election in force where it
 * sits in the log (the last `LeaderElected` before it; see leader-record.ts), as the fold judges
 * every decision. A live command of the newest epoch the agent has read is carried out at once;
 * any other live command is judged by a catch-up read, which gives its stream sequence. A command
 * of an older epoch (a deposed leader's late write) or of an epoch no election stands behind (a
 * forgery) is refused: logged, counted and handed to `onRefused`, never carried out.
 */
import type { Logger } from 'pino';
import { type AgentCommand, type AgentId, type ClusterEvent, decode, subjects } from '../events/index.js';

/** The commands of an agent's launch stream (every one is numbered: none may be skipped, or later ones wait behind the gap). */
const isCommand = (e: ClusterEvent): e is AgentCommand => e.type === 'LaunchTasks' || e.type === 'KillTask' || e.type === 'DeliverFrameworkMessage';
import { type Bus, readLog } from '../kernel/shell/bus.js';
import type { LeaderRecord } from './leader-record.js';

export interface InboxPosition {
  readonly lastCommandSeq: number;
  readonly catchupFromSeq: number;
}

export interface CommandInbox {
  readonly position: () => InboxPosition;
  /** Read from the stream whatever has not been carried out (single-flight). */
  catchUp(): Promise<void>;
  /** The leader says the log holds commands up to `seq`. */
  noteLeaderSeq(seq: number): void;
  /** Commands refused so far, by reason. */
  refused(): Readonly<Record<RefusalReason, number>>;
  stop(): Promise<void>;
}

/** STALE_EPOCH: an older epoch than the one leading at its place in the log; UNKNOWN_EPOCH: no election of its epoch stands behind it. */
export type RefusalReason = 'STALE_EPOCH' | 'UNKNOWN_EPOCH';

export interface Refusal {
  readonly reason: RefusalReason;
  readonly command: AgentCommand;
  /** Its sequence in the stream. */
  readonly seq: number;
  /** The epoch leading at that point of the log (0: none). */
  readonly leadingEpoch: number;
}

export interface InboxOptions {
  readonly bus: Bus;
  readonly agentId: AgentId;
  readonly start: InboxPosition;
  /**
   * Carry out one command; the inbox awaits it before the next. `commit` records the command as
   * carried out (persists the position); a handler that makes its effect durable first (the task
   * runner checkpoints a launch) calls it right after that, before acting, so a crash can neither
   * lose the command nor carry it out twice. If the handler does not call it, the inbox does after.
   */
  readonly handle: (c: AgentCommand, commit: () => Promise<void>) => Promise<void>;
  /** Persist the position after each command. */
  readonly persist: (p: InboxPosition) => Promise<void>;
  /** The elections in the log, against which every command's epoch is checked. */
  readonly leaders: LeaderRecord;
  /** Told of every refused command (once per stream sequence). */
  readonly onRefused?: (r: Refusal) => void;
  readonly log: Logger;
}

/** How many refused stream sequences are remembered (so each is reported once). */
const REFUSED_MEMORY = 10_000;

export function startCommandInbox(o: InboxOptions): CommandInbox {
  const ilog = o.log.child({ component: 'command-inbox' });
  let lastSeq = o.start.lastCommandSeq;
  let catchupFrom = o.start.catchupFromSeq;
  const pending = new Map<number, { cmd: AgentCommand; streamSeq?: number }>();
  let draining: Promise<void> | null = null;
  let catching: Promise<void> | null = null;
  /** A catch-up was asked for while one was under way: read once more when it ends. */
  let again = false;
  let stopped = false;
  const refusedSeqs = new Set<number>();
  const refusedCount: Record<RefusalReason, number> = { STALE_EPOCH: 0, UNKNOWN_EPOCH: 0 };

  function refuse(cmd: AgentCommand, seq: number, leadingEpoch: number): void {
    if (refusedSeqs.has(seq)) return;
    refusedSeqs.add(seq);
    if (refusedSeqs.size > REFUSED_MEMORY) refusedSeqs.delete(refusedSeqs.values().next().value!);
    const reason: RefusalReason = cmd.epoch < leadingEpoch && o.leaders.elections().some((e) => e.epoch === cmd.epoch && e.seq < seq) ? 'STALE_EPOCH' : 'UNKNOWN_EPOCH';
    refusedCount[reason]++;
    const fields = { seq, id: cmd.id, type: cmd.type, agentSeq: cmd.agentSeq, epoch: cmd.epoch, leadingEpoch, reason };
    if (reason === 'UNKNOWN_EPOCH') ilog.error(fields, 'REFUSED a command of an epoch no election in the log stands behind (forged?)');
    else ilog.warn(fields, 'refused a command of a deposed leader (its epoch no longer led where it sits in the log)');
    o.onRefused?.({ reason, command: cmd, seq, leadingEpoch });
  }

  const sub = o.bus.nc.subscribe(subjects.commandsOf(o.agentId), {
    callback: (err, msg) => {
      if (err) return;
      const d = decode(msg.data, msg.subject);
      if (!d.ok) {
        ilog.warn({ subject: msg.subject, reason: d.error.message }, 'skipped a malformed command');
        return;
      }
      if (!isCommand(d.event)) return;
      const latest = o.leaders.latestEpoch();
      if (latest > 0 && d.event.epoch === latest) offer(d.event);
      else if (d.event.agentSeq > lastSeq) {
        // Judged where it sits in the log: the catch-up read gives its sequence.
        ilog.info({ id: d.event.id, epoch: d.event.epoch, latestEpoch: latest }, 'a command of another epoch than the newest election read; checking it against the log');
        void o.leaders
          .refresh()
          .catch(() => undefined)
          .then(() => catchUp());
      }
    },
  });

  function offer(cmd: AgentCommand, streamSeq?: number): void {
    if (cmd.agentSeq <= lastSeq || pending.has(cmd.agentSeq)) {
      const p = pending.get(cmd.agentSeq);
      if (p !== undefined && streamSeq !== undefined && p.streamSeq === undefined) p.streamSeq = streamSeq;
      return;
    }
    pending.set(cmd.agentSeq, streamSeq === undefined ? { cmd } : { cmd, streamSeq });
    void drain();
  }

  /** Carry out pending commands in order (single-flight: one drain at a time). */
  function drain(): Promise<void> {
    if (draining) return draining;
    const run = async (): Promise<void> => {
      while (!stopped) {
        const next = pending.get(lastSeq + 1);
        if (next === undefined) break;
        pending.delete(lastSeq + 1);
        let committed = false;
        const commit = async (): Promise<void> => {
          if (committed) return;
          committed = true;
          lastSeq = next.cmd.agentSeq;
          if (next.streamSeq !== undefined) catchupFrom = Math.max(catchupFrom, next.streamSeq + 1);
          await o.persist({ lastCommandSeq: lastSeq, catchupFromSeq: catchupFrom }).catch((err: unknown) => ilog.error({ err }, 'cannot persist the command position'));
        };
        try {
          await o.handle(next.cmd, commit);
        } catch (err) {
          ilog.error({ err, agentSeq: next.cmd.agentSeq, type: next.cmd.type }, 'command failed');
        }
        await commit();
      }
    };
    // The reset must not run before the assignment, so it is chained, never inlined.
    draining = Promise.resolve()
      .then(run)
      .finally(() => {
        draining = null;
        // A gap: read the log, unless a read is under way (it ends with a drain of its own; a
        // gap it leaves is read again on the next trigger or the leader's next ping).
        if (pending.size > 0 && !stopped && catching === null) {
          ilog.info({ lastSeq, waitingFor: lastSeq + 1 }, 'gap in the command stream; catching up');
          void catchUp();
        }
      });
    return draining;
  }

  /**
   * Read the agent's commands from the stream past what was carried out (single-flight). A trigger
   * that comes while a read is under way is not folded into it: that read stops at the head it saw
   * when it began, which may be before the command that caused the trigger. It marks the read to be
   * done once more when it ends.
   */
  function catchUp(): Promise<void> {
    if (catching) {
      again = true;
      return catching;
    }
    const run = async (): Promise<void> => {
      for await (const entry of readLog(o.bus, { fromSeq: catchupFrom, filter: subjects.commandsOf(o.agentId), untilHead: true })) {
        if (!entry.decoded.ok) continue;
        const e = entry.decoded.event;
        if (isCommand(e)) {
          if (e.agentSeq <= lastSeq) catchupFrom = Math.max(catchupFrom, entry.seq + 1);
          else {
            let leading = await o.leaders.epochAt(entry.seq);
            // A newer epoch than the record shows there: the record may have missed an election; read it again before refusing.
            if (e.epoch > leading) leading = await o.leaders.recheck(entry.seq);
            if (leading > 0 && e.epoch === leading) offer(e, entry.seq);
            else refuse(e, entry.seq, leading);
          }
        }
      }
      await drain();
    };
    const runAll = async (): Promise<void> => {
      do {
        again = false;
        try {
          await run();
        } catch (err) {
          if (!stopped) ilog.warn({ err }, 'catch-up read failed; will retry on the next trigger');
        }
      } while (again && !stopped);
    };
    catching = Promise.resolve()
      .then(runAll)
      .finally(() => {
        catching = null;
      });
    return catching;
  }

  // A reconnect may have lost live messages.
  void (async () => {
    for await (const s of o.bus.nc.status()) if (s.type === 'reconnect' && !stopped) void catchUp();
  })().catch(() => undefined);

  return {
    position: () => ({ lastCommandSeq: lastSeq, catchupFromSeq: catchupFrom }),
    catchUp,
    refused: () => ({ ...refusedCount }),
    noteLeaderSeq(seq) {
      // Behind the leader with nothing to carry out next (no pending command, or only later ones
      // past a gap): read the log. A gap is not left to the next live command, which may never come.
      if (seq > lastSeq && !pending.has(lastSeq + 1) && !draining) void catchUp();
    },
    async stop() {
      stopped = true;
      sub.unsubscribe();
      await draining;
      await catching;
    },
  };
}
