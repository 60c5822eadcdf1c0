/**
 * The jobs framework's log in JetStream: the stream `JOBS` over `jobs.>`, one subject per job
 * (`jobs.job.<base64url of its name>`) and `jobs.fw` for the framework's own facts, so a job's
 * whole history (its runs) is one filtered read. Appends go one at a time with the expected last
 * sequence (a second jobs process writing the stream is detected, not merged), and a decision
 * that must happen once (a run started for an instant) carries a message id made of what it
 * decides, so JetStream itself refuses to store it twice.
 */
import { DeliverPolicy, JetStreamApiError } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Bus } from '../../kernel/shell/bus.js';
import { JobsEvent, jobOf } from './events.js';

export const JOBS_STREAM = 'JOBS';
const PREFIX = 'jobs';

export const jobsSubjects = {
  all: `${PREFIX}.>`,
  framework: `${PREFIX}.fw`,
  job: (name: string): string => `${PREFIX}.job.${Buffer.from(name).toString('base64url')}`,
} as const;

const subjectOf = (e: JobsEvent): string => {
  const name = jobOf(e);
  return name === undefined ? jobsSubjects.framework : jobsSubjects.job(name);
};

export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
  readonly code = 'JOBS_STREAM_CONFLICT';
}

export interface StoredEvent {
  readonly seq: number;
  readonly event: JobsEvent;
}

export interface Appended {
  readonly seq: number;
  /** JetStream had a message with this id already: nothing was stored. */
  readonly duplicate: boolean;
}

export interface JobsStore {
  /** Every event, in order (skipping, with a warning, any that do not decode). */
  readAll(): Promise<StoredEvent[]>;
  /** A job's events, in order. */
  history(name: string): Promise<StoredEvent[]>;
  /** Append in order; resolves once stored. `msgId`: a decision to store at most once. */
  append(e: JobsEvent, msgId?: string): Promise<Appended>;
}

export async function openStore(bus: Bus, log: Logger, o: { replicas?: number } = {}): Promise<JobsStore> {
  try {
    await bus.jsm.streams.info(JOBS_STREAM);
  } catch (e) {
    if (!(e instanceof JetStreamApiError && e.code === 10059)) throw e;
    // The duplicate window: a restarted process within it that decided the same instant again
    // would be refused by JetStream even without its fold (the fold is the first guard).
    await bus.jsm.streams.add({ name: JOBS_STREAM, subjects: [jobsSubjects.all], num_replicas: o.replicas ?? 1, deny_delete: true, deny_purge: true, duplicate_window: 10 * 60 * 1_000_000_000 });
  }
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let lastSeq = (await bus.jsm.streams.info(JOBS_STREAM)).state.last_seq;
  let chain: Promise<unknown> = Promise.resolve();

  const read = async (filter: string): Promise<StoredEvent[]> => {
    const info = await bus.jsm.streams.info(JOBS_STREAM, { subjects_filter: filter });
    const count = Object.values(info.state.subjects ?? {}).reduce((n, c) => n + c, 0);
    const out: StoredEvent[] = [];
    if (count === 0) return out;
    const c = await bus.js.consumers.get(JOBS_STREAM, { filter_subjects: [filter], deliver_policy: DeliverPolicy.All });
    const msgs = await c.consume({ max_messages: 1000 });
    for await (const m of msgs) {
      try {
        const r = JobsEvent.safeParse(JSON.parse(dec.decode(m.data)));
        if (r.success) out.push({ seq: m.seq, event: r.data });
        else log.warn({ seq: m.seq, err: r.error.message }, 'skipped a malformed jobs event');
      } catch (err) {
        log.warn({ seq: m.seq, err }, 'skipped a jobs event that is not JSON');
      }
      if (m.info.pending === 0) break;
    }
    await msgs.close();
    return out;
  };

  return {
    readAll: () => read(jobsSubjects.all),
    history: (name) => read(jobsSubjects.job(name)),
    append(e, msgId) {
      const p = chain.then(async (): Promise<Appended> => {
        try {
          const ack = await bus.js.publish(subjectOf(e), enc.encode(JSON.stringify(e)), { expect: { lastSequence: lastSeq }, ...(msgId !== undefined ? { msgID: msgId } : {}) });
          if (ack.duplicate) return { seq: ack.seq, duplicate: true };
          lastSeq = ack.seq;
          return { seq: ack.seq, duplicate: false };
        } catch (err) {
          if (err instanceof JetStreamApiError && err.code === 10071) {
            throw new StoreConflictError(`another process appended to ${JOBS_STREAM}: only one jobs process may run per cluster`, { cause: err });
          }
          throw err;
        }
      });
      chain = p.catch(() => undefined);
      return p;
    },
  };
}
