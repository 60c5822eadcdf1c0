/**
 * The services framework's log in JetStream: the stream `SERVICES` over `svc.>`, one subject per
 * app (`svc.app.<base64url of its id>`) and `svc.fw` for the framework's own facts, so an app's
 * whole history is one filtered read. Appends go one at a time with the expected last sequence:
 * a second services process writing the same stream is detected (the append fails), not merged.
 */
import { DeliverPolicy, JetStreamApiError } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Bus } from '../../kernel/shell/bus.js';
import { ServicesEvent, appOf } from './events.js';

export const SERVICES_STREAM = 'SERVICES';
const PREFIX = 'svc';

export const servicesSubjects = {
  all: `${PREFIX}.>`,
  framework: `${PREFIX}.fw`,
  app: (appId: string): string => `${PREFIX}.app.${Buffer.from(appId).toString('base64url')}`,
} as const;

const subjectOf = (e: ServicesEvent): string => {
  const app = appOf(e);
  return app === undefined ? servicesSubjects.framework : servicesSubjects.app(app);
};

export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
  readonly code = 'SERVICES_STREAM_CONFLICT';
}

export interface StoredEvent {
  readonly seq: number;
  readonly event: ServicesEvent;
}

export interface ServicesStore {
  /** Every event, in order (skipping, with a warning, any that do not decode). */
  readAll(): Promise<StoredEvent[]>;
  /** An app's events, in order. */
  history(appId: string): Promise<StoredEvent[]>;
  /** Append in order; resolves once stored. */
  append(e: ServicesEvent): Promise<number>;
}

export async function openStore(bus: Bus, log: Logger, o: { replicas?: number } = {}): Promise<ServicesStore> {
  try {
    await bus.jsm.streams.info(SERVICES_STREAM);
  } catch (e) {
    if (!(e instanceof JetStreamApiError && e.code === 10059)) throw e;
    await bus.jsm.streams.add({ name: SERVICES_STREAM, subjects: [servicesSubjects.all], num_replicas: o.replicas ?? 1, deny_delete: true, deny_purge: true });
  }
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let lastSeq = (await bus.jsm.streams.info(SERVICES_STREAM)).state.last_seq;
  let chain: Promise<unknown> = Promise.resolve();

  const read = async (filter: string): Promise<StoredEvent[]> => {
    const info = await bus.jsm.streams.info(SERVICES_STREAM, { subjects_filter: filter });
    const count = Object.values(info.state.subjects ?? {}).reduce((n, c) => n + c, 0);
    const out: StoredEvent[] = [];
    if (count === 0) return out;
    const c = await bus.js.consumers.get(SERVICES_STREAM, { filter_subjects: [filter], deliver_policy: DeliverPolicy.All });
    const msgs = await c.consume({ max_messages: 1000 });
    for await (const m of msgs) {
      try {
        const r = ServicesEvent.safeParse(JSON.parse(dec.decode(m.data)));
        if (r.success) out.push({ seq: m.seq, event: r.data });
        else log.warn({ seq: m.seq, err: r.error.message }, 'skipped a malformed services event');
      } catch (err) {
        log.warn({ seq: m.seq, err }, 'skipped a services event that is not JSON');
      }
      if (m.info.pending === 0) break;
    }
    await msgs.close();
    return out;
  };

  return {
    readAll: () => read(servicesSubjects.all),
    history: (appId) => read(servicesSubjects.app(appId)),
    append(e) {
      const p = chain.then(async () => {
        try {
          const ack = await bus.js.publish(subjectOf(e), enc.encode(JSON.stringify(e)), { expect: { lastSequence: lastSeq } });
          lastSeq = ack.seq;
          return ack.seq;
        } catch (err) {
          if (err instanceof JetStreamApiError && err.code === 10071) {
            throw new StoreConflictError(`another process appended to ${SERVICES_STREAM}: only one services process may run per cluster`, { cause: err });
          }
          throw err;
        }
      });
      chain = p.catch(() => undefined);
      return p;
    },
  };
}
