/**
 * The leader's duties, once elected: send what the outbox owes, run the allocator on an interval
 * and when something changed, rescind expired offers. Every decision carries this leader's epoch.
 *
 * Decisions go to the log and take effect when folded. So that the allocator never proposes the
 * same free resources twice, a new allocation cycle starts only after the fold has passed the
 * previous cycle's appends.
 */
import { randomUUID } from 'node:crypto';
import type { PubAck } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { type AgentId, type ClusterEvent, type EventType, type FrameworkId, type OfferId, SCHEMA_VERSION, STREAM_NAME, decode, subjects } from '../../../events/index.js';
import { AllocatorCache, runAllocation } from '../../core/allocator/index.js';
import { type Bus, append, lastSubjectSeq } from '../bus.js';
import { stampDraft } from './decisions.js';
import { allocationCycleEvents, PendingExplainer } from './allocation-cycle.js';
import { configurationEvents } from './allocator-config.js';
import type { Follower } from './follower.js';
import { type Lease, startLease } from './lease.js';
import { type Snapshotter, startSnapshotter } from './snapshotter.js';
import { type Queries, answerQueries } from './queries.js';
import type { MasterOptions } from './options.js';

/** A fold that has not moved for this long while the log holds more is stuck (ms); see Follower.healthy. */
const FOLD_STALL_MS = 5000;

/** The longest an allocation cycle encodes and sends its events without letting the event loop turn (ms). */
const APPEND_TURN_MS = 20;

/** A new leader explains unmet demand (DemandUnmet) from this long after its election on (ms). */
const EXPLAIN_AFTER_ELECTION_MS = 1000;

/** How long after its election a leader starts its snapshot writer (ms). */
const SNAPSHOTTER_DELAY_MS = 2000;

/**
 * Events that run an allocation cycle at once, as Mesos's allocator triggers one (batched: many
 * triggers, one cycle): an agent or a framework added or back, a revive, a new leader, an
 * operator's change. Resources coming back — declined, rescinded, left over by an accept, freed by
 * a task's end or a framework's or agent's removal — wait for the next cycle of the allocation
 * interval, as Mesos's recoverResources does: otherwise a framework declining everything with
 * refuse_seconds 0 made a cycle per decline, and the log grew by thousands of offers a second
 * (bench `declines`). So such a framework gets at most one offer per agent per interval.
 */
const TRIGGERS_ALLOCATION: ReadonlySet<EventType> = new Set<EventType>([
  'AgentRegistered',
  'AgentReregistered',
  'FrameworkSubscribed',
  'OffersRevived',
  'LeaderElected',
  'WeightsUpdated',
  'QuotaUpdated',
  'AllocatorConfigured',
  'ResourcesReserved',
  'ResourcesUnreserved',
  'VolumesCreated',
  'VolumesDestroyed',
  'MaintenanceScheduleUpdated',
  'MaintenanceStarted',
  'MaintenanceStopped',
  'AgentDeactivated',
  'AgentReactivated',
  'AgentDrainStarted',
  'ResourcesRequested',
]);

export interface LeaderStats {
  allocationRuns: number;
  /** Time in the allocator itself (Mesos's allocation_run_ms), the last 1000 cycles. */
  readonly allocationRunMs: number[];
  /** The whole cycle until its events are in the log and folded, the last 1000 cycles. */
  readonly allocationCycleMs: number[];
  /** Agents the last cycle looked at, and whether it looked at all of them. */
  lastCandidates: number;
  lastFull: boolean;
  offersMade: number;
  /** Allocator runs of a standby that only warm its cache. */
  standbyWarmRuns: number;
}

export interface Leadership {
  /** This master's epoch while it leads, else null. */
  epoch(): number | null;
  electedAt(): number | null;
  readonly stats: LeaderStats;
  /** The sequence of the last snapshot written while this master led (0: none). */
  snapshotWrittenSeq(): number;
  /** Called by the follower after each folded event. */
  onEvent(e: ClusterEvent): void;
  declareUnreachable(agentId: AgentId): Promise<void>;
  /** A framework stopped answering pings: FrameworkDisconnected (its failover timeout starts). */
  declareDisconnected(frameworkId: FrameworkId): Promise<void>;
  /** Stop deciding and give up the lease. */
  stop(): Promise<void>;
}

export interface LeaderIdentity {
  readonly masterId: string;
  readonly hostname: string;
  readonly ip: string;
  readonly port: number;
}

export function createLeadership(
  bus: Bus,
  follower: Follower,
  me: LeaderIdentity,
  o: MasterOptions,
  log: Logger,
): Leadership {
  const llog = log.child({ component: 'leader' });
  const p = follower.projection;
  let myEpoch: number | null = null;
  let leading = false;
  let electedAt: number | null = null;
  let stopped = false;
  let dirty = true;
  let allocationDue = true;
  let allocating = false;
  let tickScheduled = false;
  let offerCounter = 0;
  let inverseOfferCounter = 0;
  let standing = false;
  /**
   * The allocator's memo between cycles (cache.ts). A standby keeps it warm by running the
   * allocator on its own fold now and then and throwing the proposals away (the memo makes a cycle
   * propose exactly what a cycle without it would, whoever ran the previous ones), so the first
   * cycle of its term looks only at the agents that changed, not at every agent of the cluster.
   */
  const allocatorCache = new AllocatorCache();
  let pending = new PendingExplainer(o.whyPendingIntervalMs);
  /** Outbox entries sent and not yet seen folded: id → sequence of the append (0 while in flight). */
  const inflight = new Map<string, number>();
  const stats: LeaderStats = { allocationRuns: 0, allocationRunMs: [], allocationCycleMs: [], lastCandidates: 0, lastFull: false, offersMade: 0, standbyWarmRuns: 0 };

  const newOfferId = (): OfferId => `${me.masterId}-O${++offerCounter}` as OfferId;
  const newInverseOfferId = (): string => `${me.masterId}-IO${++inverseOfferCounter}`;
  const keep = (xs: number[], x: number): void => {
    xs.push(x);
    if (xs.length > 1000) xs.shift();
  };

  function scheduleTick(): void {
    if (tickScheduled || stopped) return;
    tickScheduled = true;
    setImmediate(() => {
      tickScheduled = false;
      tick();
    });
  }

  /** The snapshot writer runs while this master leads (a thread of its own; see snapshotter.ts). */
  let snapshotter: Snapshotter | null = null;
  let snapshotWritten = 0;
  /** Reconciliation queries of native frameworks, answered while this master leads. */
  let queries: Queries | null = null;
  function startSnapshots(): void {
    if (snapshotter !== null || o.snapshotEveryEvents === 0) return;
    snapshotter = startSnapshotter({ servers: o.nats, ...(o.creds !== undefined ? { creds: o.creds } : {}), ...(o.tls.ca !== undefined ? { tlsCa: o.tls.ca } : {}), replicas: o.streamReplicas, everyEvents: o.snapshotEveryEvents, retention: { newest: 3, spread: o.snapshotHistory } }, log);
  }
  function stopSnapshots(): Promise<void> {
    const s = snapshotter;
    snapshotter = null;
    if (s !== null) snapshotWritten = Math.max(snapshotWritten, s.lastWritten());
    return s?.stop() ?? Promise.resolve();
  }

  function tick(): void {
    if (!leading || myEpoch === null || stopped) return;
    // The lease thread may have given the lease up while this thread was busy: its message is
    // still queued, but the shared flag already says so.
    if (lease !== undefined && !lease.held()) {
      stepDown('lost the lease');
      return;
    }
    sendOutbox(myEpoch);
    if ((allocationDue || dirty) && !allocating) void allocationCycle(myEpoch);
  }

  function sendOutbox(epoch: number): void {
    const state = p.state;
    for (const [id, seq] of inflight) {
      if (!state.outbox.has(id)) inflight.delete(id);
      else if (seq > 0 && p.seq >= seq) {
        llog.warn({ id }, 'an outbox event was folded without effect; sending it again');
        inflight.delete(id);
      }
    }
    const now = Date.now();
    for (const [id, draft] of state.outbox) {
      if (inflight.has(id)) continue;
      inflight.set(id, 0);
      append(bus.js, stampDraft(draft, { epoch, now }))
        .then((ack) => {
          if (inflight.get(id) === 0) inflight.set(id, ack.seq);
        })
        .catch((err: unknown) => {
          llog.warn({ err, id }, 'outbox send failed; will retry');
          inflight.delete(id);
          setTimeout(scheduleTick, 250).unref();
        });
    }
  }

  async function allocationCycle(epoch: number): Promise<void> {
    allocating = true;
    allocationDue = false;
    dirty = false;
    const started = performance.now();
    try {
      const now = Date.now();
      const ctx = { epoch, now, newId: randomUUID, offerTimeoutMs: o.offerTimeoutMs, newOfferId, newInverseOfferId };
      // Explaining unmet demand can look at every agent: not in the first moments of a term, when
      // the first offers are what everyone waits for.
      const explain = electedAt !== null && Date.now() - electedAt >= EXPLAIN_AFTER_ELECTION_MS;
      const r = allocationCycleEvents(p.state, ctx, allocatorCache, explain ? pending : undefined);
      stats.allocationRuns++;
      keep(stats.allocationRunMs, r.stats.allocateMs);
      stats.lastCandidates = r.stats.candidates;
      stats.lastFull = r.stats.full;
      stats.offersMade += r.stats.offers;
      if (r.events.length === 0) return;
      // Encoding a large cluster's offers takes a while (40,000 offers: ~0.4 s): let the event
      // loop turn between events now and then, so the first ones are on their way (and the lease
      // beat, the socket and HTTP are served) while the rest are encoded.
      const sends: Promise<PubAck>[] = [];
      let turnAt = performance.now();
      for (const d of r.events) {
        sends.push(append(bus.js, d));
        if (performance.now() - turnAt > APPEND_TURN_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          turnAt = performance.now();
        }
      }
      const acks = await Promise.all(sends);
      await follower.reached(Math.max(...acks.map((a) => a.seq)));
      keep(stats.allocationCycleMs, performance.now() - started);
    } catch (err) {
      llog.warn({ err }, 'allocation cycle failed');
    } finally {
      allocating = false;
      scheduleTick();
    }
  }

  /** Record this leader's allocator settings (and --weights, once) in the log, so every replica decides alike. */
  async function configure(epoch: number): Promise<void> {
    const events = configurationEvents(p.state, o, { epoch, now: Date.now(), newId: randomUUID });
    if (events.ignoredWeights) llog.warn('--weights is ignored: weights were already set through the operator API (they are in the log)');
    if (events.list.length === 0) return;
    const acks = await Promise.all(events.list.map((e) => append(bus.js, e)));
    await follower.reached(Math.max(...acks.map((a) => a.seq)));
  }

  /** The epoch of the last LeaderElected in the log (read directly, in case the fold lags). */
  async function lastEpoch(): Promise<{ epoch: number; seq: number }> {
    const seq = await lastSubjectSeq(bus.jsm, subjects.sys('leader'));
    if (seq === 0) return { epoch: 0, seq };
    const m = await bus.jsm.streams.getMessage(STREAM_NAME, { seq });
    const d = m === null ? undefined : decode(m.data, m.subject);
    return { epoch: d?.ok && d.event.type === 'LeaderElected' ? d.event.epoch : p.state.epoch, seq };
  }

  /** With the lease held: append LeaderElected with the next epoch; lead once it is folded. */
  let refusedStanding = false;
  async function stand(): Promise<void> {
    if (standing || stopped) return;
    standing = true;
    try {
      await follower.caughtUp;
      while (!stopped && leaseHeld && !leading) {
        const last = await lastEpoch();
        if (last.epoch < p.state.epoch) {
          // The log's last election is older than one this master folded: the stream lost events
          // (deleted and re-created, say) and the log guard has not confirmed it yet. An election
          // appended now would start a new history on a log that no longer holds ours.
          if (!refusedStanding) llog.error({ logEpoch: last.epoch, foldedEpoch: p.state.epoch }, 'not standing for election: the cluster log does not hold the elections this master folded');
          refusedStanding = true;
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        const epoch = Math.max(last.epoch, p.state.epoch) + 1;
        try {
          const ack = await append(
            bus.js,
            {
              type: 'LeaderElected',
              schemaVersion: SCHEMA_VERSION,
              id: randomUUID(),
              time: Date.now(),
              epoch,
              masterId: me.masterId,
              hostname: me.hostname,
              ip: me.ip,
              port: me.port,
              // Mesos frameworks expect a failover to withdraw their offers; --keep-offers-on-election keeps them.
              offers: o.keepOffersOnElection ? 'KEPT' : 'RESCINDED',
            },
            { expectLastSubjectSequence: last.seq },
          );
          await follower.reached(ack.seq);
          if (p.state.epoch === epoch && p.state.leader?.masterId === me.masterId && leaseHeld) {
            pending = new PendingExplainer(o.whyPendingIntervalMs);
            await configure(epoch).catch((err: unknown) => llog.warn({ err }, 'could not record the allocator settings; using those in the log'));
            myEpoch = epoch;
            leading = true;
            electedAt = Date.now();
            dirty = true;
            allocationDue = true;
            llog.info({ epoch, masterId: me.masterId }, 'elected leader');
            // Not at once: the first moments of a new leader (its first offers) are the failover
            // users wait for, and starting the writer thread costs a core for a while.
            setTimeout(() => {
              if (leading && myEpoch === epoch) startSnapshots();
            }, SNAPSHOTTER_DELAY_MS).unref();
            queries ??= answerQueries(bus, () => p.state, (seq) => follower.reached(seq), log);
            scheduleTick();
          }
        } catch (err) {
          llog.info({ err }, 'election lost a race; trying again');
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      standing = false;
    }
  }

  function stepDown(why: string): void {
    if (!leading) return;
    llog.warn({ epoch: myEpoch, why }, 'no longer the leader');
    leading = false;
    myEpoch = null;
    inflight.clear();
    queries?.stop();
    queries = null;
    void stopSnapshots();
  }

  /** Set by the lease itself (its first change may come before `lease` is assigned). */
  let leaseHeld = false;
  let lease: Lease | undefined;
  void follower.caughtUp.then(() => {
    if (stopped) return;
    lease = startLease(
      {
        servers: o.nats,
        ...(o.creds !== undefined ? { creds: o.creds } : {}),
        ...(o.tls.ca !== undefined ? { tlsCa: o.tls.ca } : {}),
        ttlMs: o.leaderLeaseMs,
        masterId: me.masterId,
        replicas: o.streamReplicas,
        stallMs: o.leaderStallTimeoutMs,
        // A fold stuck behind the log for a whole lease (or 5 s, whichever is longer) cannot lead.
        healthy: () => follower.healthy(Math.max(o.leaderLeaseMs, FOLD_STALL_MS)),
      },
      (held) => {
        leaseHeld = held;
        if (held) void stand().catch((err: unknown) => llog.error({ err }, 'standing for election failed'));
        else stepDown('lost the lease');
      },
      log,
    );
  });

  const interval = setInterval(() => {
    allocationDue = true;
    scheduleTick();
    warmStandbyCache();
  }, o.allocationIntervalMs);

  /** A caught-up standby runs the allocator for nothing but its memo (see allocatorCache). */
  function warmStandbyCache(): void {
    if (leading || standing || stopped || !p.caughtUp || !follower.healthy(FOLD_STALL_MS)) return;
    try {
      runAllocation(p.state, Date.now(), {}, allocatorCache);
      stats.standbyWarmRuns++;
    } catch (err) {
      llog.warn({ err }, 'warming the allocator cache failed');
    }
  }
  interval.unref();

  return {
    epoch: () => (leading ? myEpoch : null),
    electedAt: () => electedAt,
    stats,
    snapshotWrittenSeq: () => Math.max(snapshotWritten, snapshotter?.lastWritten() ?? 0),
    onEvent(e) {
      if (e.type === 'LeaderElected' && leading && e.epoch > (myEpoch ?? 0)) stepDown(`master ${e.masterId} was elected with epoch ${e.epoch}`);
      if (TRIGGERS_ALLOCATION.has(e.type)) dirty = true;
      if (p.state.outbox.size > 0 || dirty) scheduleTick();
    },
    async declareUnreachable(agentId) {
      if (!leading || myEpoch === null) return;
      const ack = await append(bus.js, {
        type: 'AgentRemoved',
        schemaVersion: SCHEMA_VERSION,
        id: randomUUID(),
        time: Date.now(),
        epoch: myEpoch,
        agentId,
        reason: 'UNREACHABLE',
      });
      await follower.reached(ack.seq);
    },
    async declareDisconnected(frameworkId) {
      if (!leading || myEpoch === null) return;
      const ack = await append(bus.js, {
        type: 'FrameworkDisconnected',
        schemaVersion: SCHEMA_VERSION,
        id: randomUUID(),
        time: Date.now(),
        epoch: myEpoch,
        frameworkId,
      });
      await follower.reached(ack.seq);
    },
    async stop() {
      stopped = true;
      leading = false;
      queries?.stop();
      queries = null;
      clearInterval(interval);
      await lease?.release();
      await Promise.all([lease?.stop(), stopSnapshots()]);
    },
  };
}
