/**
 * Status updates from the agent to the log. Each update keeps being appended, with backoff, until
 * JetStream acknowledges it (the log has it); updates of one task go in order, one after the
 * other; different tasks proceed in parallel. Re-sends carry the same Nats-Msg-Id (the event id),
 * so a retry after a lost acknowledgement is absorbed by the stream's duplicate window.
 * (A durable on-disk queue that survives an agent restart comes with the agent recovery work.)
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { SCHEMA_VERSION, type TaskStatus } from '../events/index.js';
import { type Bus, append } from '../kernel/bus.js';

export interface StatusSender {
  /** Queue an update; resolves once the log has it (or the sender was stopped). */
  send(status: TaskStatus): Promise<void>;
  /** Resolves when everything queued so far is in the log. */
  flush(): Promise<void>;
  stop(): void;
}

const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;

export function createStatusSender(bus: Bus, log: Logger): StatusSender {
  const chains = new Map<string, Promise<void>>();
  let stopped = false;
  const slog = log.child({ component: 'status-sender' });

  async function deliver(status: TaskStatus): Promise<void> {
    const event = { type: 'TaskStatusUpdated' as const, schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: Date.now(), status };
    let backoff = INITIAL_BACKOFF_MS;
    for (;;) {
      try {
        await append(bus.js, event);
        return;
      } catch (err) {
        if (stopped) return;
        slog.warn({ err, taskId: status.taskId, state: status.state, retryInMs: backoff }, 'status update not yet in the log; retrying');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  return {
    send(status) {
      const key = `${status.frameworkId}/${status.taskId}`;
      const next = (chains.get(key) ?? Promise.resolve()).then(() => deliver(status));
      chains.set(key, next);
      void next.then(() => {
        if (chains.get(key) === next) chains.delete(key);
      });
      return next;
    },
    async flush() {
      while (chains.size > 0) await Promise.all([...chains.values()]);
    },
    stop() {
      stopped = true;
    },
  };
}
