/**
 * What the pages show: the live cluster (the SUBSCRIBE stream: one GET_STATE, then events; resumed
 * with Last-Event-ID after a dropped connection), or — while time travelling — the cluster at a
 * point of the log (/replay/state?view=operator). Pages read `shown()`; `useStore()` re-renders
 * them when either changes (at most once a frame).
 */
import { useEffect, useState } from 'preact/hooks';
import { type J, HttpError, call, getJson, subscribe } from './api';
import { type Cluster, applyEvent, fromGetState, seqOfEventId } from './model';

export interface Past {
  readonly seq: number;
  readonly label: string;
  readonly storedAt: string | null;
  readonly cluster: Cluster;
  /** The other operator answers at that point: get_roles, get_quota, get_weights, get_maintenance_*. */
  readonly extra: J;
}

interface StoreState {
  live: Cluster | null;
  status: string;
  /** The log's last sequence as far as we know (the live stream's newest event, or /replay's head). */
  head: number;
  first: number;
  past: Past | null;
  travelling: boolean;
  travelError: string | null;
  /** When the last event arrived (ms), for "updated … ago". */
  lastEventAt: number;
  version: number;
}

export const store: StoreState = { live: null, status: 'connecting', head: 0, first: 0, past: null, travelling: false, travelError: null, lastEventAt: 0, version: 0 };
const listeners = new Set<() => void>();
let scheduled = false;

export function changed(): void {
  store.version++;
  if (scheduled) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    for (const l of listeners) l();
  }, 16);
}

export function useStore(): StoreState {
  const [, setV] = useState(0);
  // The version this render saw. Effects run after the paint: a change notified between the
  // render and the effect (the SUBSCRIBED state arriving while the page is still painting) reached
  // no listener, and a quiet cluster sends nothing more — so the effect compares, and re-renders.
  const seen = store.version;
  useEffect(() => {
    const l = (): void => setV((v) => v + 1);
    listeners.add(l);
    if (store.version !== seen) l();
    return () => {
      listeners.delete(l);
    };
  }, []);
  return store;
}

export const shown = (): Cluster | null => store.past?.cluster ?? store.live;

let controller: AbortController | null = null;
let lastEventId: string | null = null;

/** (Re)connects the event stream; `fresh` starts over with a new GET_STATE (after signing in). */
export function connect(fresh = false): void {
  controller?.abort();
  if (fresh) lastEventId = null;
  const c = new AbortController();
  controller = c;
  const run = async (): Promise<void> => {
    while (!c.signal.aborted) {
      try {
        store.status = 'connecting';
        changed();
        await subscribe(
          (e) => {
            if (e.type === 'SUBSCRIBED') {
              if (e.subscribed.get_state !== undefined) store.live = fromGetState(e.subscribed.get_state as J, seqOfEventId(e.event_id) ?? 0);
              store.status = 'live';
            } else if (e.type === 'HEARTBEAT') {
              return;
            } else if (store.live !== null) {
              applyEvent(store.live, e);
              store.lastEventAt = Date.now();
            }
            if (e.event_id !== undefined) lastEventId = String(e.event_id);
            const s = seqOfEventId(e.event_id);
            if (s !== null && s > store.head) store.head = s;
            changed();
          },
          c.signal,
          lastEventId,
        );
      } catch (err) {
        if (c.signal.aborted) return;
        store.status = err instanceof HttpError && (err.status === 401 || err.status === 403) ? `not allowed: ${err.message}` : `disconnected: ${(err as Error).message}`;
        changed();
        if (err instanceof HttpError && (err.status === 401 || err.status === 403)) return;
      }
      if (c.signal.aborted) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void run();
}

let travelSeq = 0;
/** Shows the cluster at `seq` (null: back to live). */
export async function travel(seq: number | null): Promise<void> {
  const mine = ++travelSeq;
  if (seq === null) {
    store.past = null;
    store.travelling = false;
    store.travelError = null;
    changed();
    return;
  }
  store.travelling = true;
  changed();
  try {
    const r = await getJson(`/replay/state?at=${seq}&view=operator`);
    if (mine !== travelSeq) return;
    const { get_state, ...extra } = r.state as J;
    store.past = { seq: Number(r.seq), label: String(r.at), storedAt: (r.storedAt as string | null) ?? null, cluster: fromGetState(get_state as J, Number(r.seq)), extra };
    store.first = Number(r.head?.first ?? 0);
    if (Number(r.head?.last ?? 0) > store.head) store.head = Number(r.head.last);
    store.travelError = null;
  } catch (err) {
    if (mine !== travelSeq) return;
    store.travelError = (err as Error).message;
  } finally {
    if (mine === travelSeq) {
      store.travelling = false;
      changed();
    }
  }
}

/**
 * Reads the agents again (GET_AGENTS): the event stream tells of agents added and removed, not of
 * one drained, deactivated or reactivated, so a page that did one of those asks.
 */
export async function refreshAgents(): Promise<void> {
  const r = await call('GET_AGENTS');
  if (store.live === null) return;
  store.live.agents = new Map(((r.get_agents?.agents as J[] | undefined) ?? []).map((a) => [String(a.agent_info?.id?.value), a]));
  store.live.version++;
  changed();
}
