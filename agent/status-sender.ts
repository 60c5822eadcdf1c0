/**
 * Status updates from the agent to the log, reliably.
 *
 * `send` first writes the update to the durable queue (status-queue.ts: fdatasync'ed in the work
 * dir), then keeps appending it, with backoff (100 ms doubling to 10 s), until JetStream
 * acknowledges it (the log has it), and records that in the queue. Updates of one task go one
 * after the other, in the order they were queued; different tasks proceed in parallel. Nothing is
 * dropped: an update not yet in the log when the agent stops or crashes is still in the queue
 * and is delivered after the next start.
 *
 * No duplicates in the log: a re-send carries the same event id as Nats-Msg-Id, so JetStream's
 * duplicate window (2 minutes) absorbs a retry whose acknowledgement was lost. After a restart the
 * window may have passed, so before re-sending what the queue still holds, the sender reads the
 * agent's own status subjects from the stream, from the sequence recorded with the oldest pending
 * update on, and drops what the log already has (`reconcile`).
 */
import type { Logger } from 'pino';
import { type AgentId, SCHEMA_VERSION, type TaskStatus, subjects } from '../events/index.js';
import { type Bus, append, readLog } from '../kernel/shell/bus.js';
import { type QueuedUpdate, type StatusEvent, type StatusQueue } from './status-queue.js';

export interface StatusSender {
  /**
   * Queue an update (durably) and deliver it. `id` is the event id (also the Nats-Msg-Id); give a
   * deterministic one so that queueing the same update again after a crash is recognised.
   * Resolves once the update is in the durable queue.
   */
  send(status: TaskStatus, id: string): Promise<void>;
  /** Resolves when everything queued so far is in the log. */
  flush(): Promise<void>;
  /** The latest undelivered update of each task (for reregistration). */
  undelivered(): TaskStatus[];
  /** Stop delivering (what is queued stays in the queue file). */
  stop(): Promise<void>;
}

export interface StatusSenderOptions {
  readonly bus: Bus;
  readonly agentId: AgentId;
  readonly queue: StatusQueue;
  readonly log: Logger;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;

const keyOf = (s: TaskStatus): string => `${s.frameworkId}/${s.taskId}`;

export function createStatusSender(o: StatusSenderOptions): StatusSender {
  const slog = o.log.child({ component: 'status-sender' });
  const initialBackoff = o.initialBackoffMs ?? INITIAL_BACKOFF_MS;
  const maxBackoff = o.maxBackoffMs ?? MAX_BACKOFF_MS;
  const chains = new Map<string, Promise<void>>();
  /** Queued, not yet in the log: event id → update. */
  const outstanding = new Map<string, StatusEvent>();
  let stopped = false;
  const stopSignal = new AbortController();

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      stopSignal.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });

  /** Drop from the recovered updates those the log already holds (read back from the stream). */
  async function reconcile(recovered: readonly QueuedUpdate[]): Promise<QueuedUpdate[]> {
    if (recovered.length === 0) return [];
    const ids = new Set(recovered.map((u) => u.event.id));
    const from = Math.min(...recovered.map((u) => u.after)) + 1;
    let backoff = initialBackoff;
    for (;;) {
      try {
        const found = new Map<string, number>();
        for await (const entry of readLog(o.bus, { fromSeq: from, filter: subjects.statusesFrom(o.agentId), untilHead: true, signal: stopSignal.signal })) {
          if (entry.decoded.ok && ids.has(entry.decoded.event.id)) found.set(entry.decoded.event.id, entry.seq);
        }
        for (const [id, seq] of found) await o.queue.done(id, seq);
        if (found.size > 0) slog.info({ alreadyInLog: found.size }, 'recovered status updates already in the log; not sending them again');
        return recovered.filter((u) => !found.has(u.event.id));
      } catch (err) {
        if (stopped) return [];
        slog.warn({ err, retryInMs: backoff }, 'cannot read back recovered status updates from the log yet; retrying');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }

  async function deliver(event: StatusEvent): Promise<void> {
    let backoff = initialBackoff;
    while (!stopped) {
      try {
        const ack = await append(o.bus.js, event);
        outstanding.delete(event.id);
        await o.queue.done(event.id, ack.seq).catch((err: unknown) => slog.error({ err }, 'cannot record a delivered status update'));
        return;
      } catch (err) {
        if (stopped) return;
        slog.warn({ err, taskId: event.status.taskId, state: event.status.state, retryInMs: backoff }, 'status update not yet in the log; retrying');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }

  function chain(event: StatusEvent, gate: Promise<unknown>): void {
    const key = keyOf(event.status);
    outstanding.set(event.id, event);
    const next = (chains.get(key) ?? Promise.resolve())
      .then(() => gate)
      .then(() => deliver(event));
    chains.set(key, next);
    void next.finally(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
  }

  // What the queue held when the agent started goes first, once checked against the log.
  const recovered = o.queue.recovered;
  for (const u of recovered) outstanding.set(u.event.id, u.event);
  const ready = reconcile(recovered).then((toSend) => {
    const keep = new Set(toSend.map((u) => u.event.id));
    for (const u of recovered) if (!keep.has(u.event.id)) outstanding.delete(u.event.id);
    return toSend;
  });
  // Each recovered update waits for the read-back; its own chain keeps the per-task order.
  for (const u of recovered) {
    const key = keyOf(u.event.status);
    const next = (chains.get(key) ?? Promise.resolve())
      .then(() => ready)
      .then((toSend) => (toSend.some((x) => x.event.id === u.event.id) ? deliver(u.event) : undefined));
    chains.set(key, next);
    void next.finally(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
  }
  if (recovered.length > 0) slog.info({ pending: recovered.length }, 'status updates from before the restart will be delivered');

  return {
    async send(status, id) {
      if (stopped) throw new Error('the status sender is stopped');
      // The same update again (a deterministic id, re-derived after a restart): queued or delivered already.
      if (outstanding.has(id) || o.queue.knows(id) !== undefined) return;
      const event: StatusEvent = { type: 'TaskStatusUpdated', schemaVersion: SCHEMA_VERSION, id, time: Date.now(), status };
      await o.queue.put(event);
      chain(event, Promise.resolve());
    },
    async flush() {
      while (chains.size > 0 && !stopped) await Promise.all([...chains.values()]);
    },
    undelivered() {
      const latest = new Map<string, TaskStatus>();
      for (const e of outstanding.values()) latest.set(keyOf(e.status), e.status);
      return [...latest.values()];
    },
    async stop() {
      stopped = true;
      stopSignal.abort();
      await Promise.allSettled([...chains.values()]);
    },
  };
}
