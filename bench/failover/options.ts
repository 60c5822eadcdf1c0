/**
 * The failover benchmark's options and sizing: how many frameworks, decliners and histories a
 * configuration holds, cluster sizes, the TTL of leases, gap statistics.
 */
import { type AuthMode } from '../bus.js';
import { percentile } from '../stats.js';

export interface ClusterSize {
  readonly agents: number;
  readonly tasks: number;
}

export interface FailoverOptions {
  /** History lengths (events) of the small-cluster configurations. */
  readonly history: readonly number[];
  /** Large clusters in a state (agents, running tasks). */
  readonly clusters: readonly ClusterSize[];
  readonly kills: number;
  readonly masters: number;
  /** The small cluster of the history configurations. */
  readonly historyAgents: number;
  readonly historyFrameworks: number;
  /**
   * Declining frameworks (in a large cluster, the owners of its tasks). 'auto': 1 for a history,
   * and one per AGENTS_PER_FRAMEWORK agents for a large cluster (see the note at the constant).
   */
  readonly liveFrameworks: number | 'auto';
  /** Their refuse filter; 'auto': see declineSecondsFor. */
  readonly declineSeconds: number | 'auto';
  readonly declineChunk: number;
  readonly leaderLease: string;
  readonly allocationInterval: string;
  readonly agentPingTimeout: string;
  readonly maxAgentPingTimeouts: number;
  readonly snapshotEvery: number;
  readonly takeoverTimeoutMs: number;
  /** Bound on one master's cold start (spawn → /health 200). */
  readonly startTimeoutMs: number;
  /** Wait this long, plus up to as much again at random, before each kill. */
  readonly settleMs: number;
  /** node --max-old-space-size for the masters (undefined: node's default). */
  readonly heapMb: number | undefined;
  readonly seed: number;
  /** Publishes outstanding while pre-filling. */
  readonly window: number;
  /** Time the takeover's work in this process at the large sizes. */
  readonly probe: boolean;
  /** Stop killing in a configuration once it has run this long (ms); the kills done are reported. */
  readonly budgetMs: number;
  /** on: a secured bus (default); off: an open one; both: each configuration on both, secured first. */
  readonly auth: AuthMode;
  /** Every NATS connection over TLS (a local CA; the masters get --tls-ca). */
  readonly tls: boolean;
}

export const defaultFailoverOptions = (): FailoverOptions => ({
  history: [10_000, 100_000, 1_000_000],
  clusters: [
    { agents: 10_000, tasks: 100_000 },
    { agents: 40_000, tasks: 400_000 },
  ],
  kills: 20,
  masters: 3,
  historyAgents: 20,
  historyFrameworks: 4,
  liveFrameworks: 'auto',
  declineSeconds: 'auto',
  declineChunk: 5_000,
  leaderLease: '500ms',
  allocationInterval: '100ms',
  agentPingTimeout: '30s',
  maxAgentPingTimeouts: 10,
  snapshotEvery: 10_000,
  takeoverTimeoutMs: 60_000,
  startTimeoutMs: 15 * 60_000,
  settleMs: 1_000,
  heapMb: undefined,
  seed: 42,
  window: 512,
  probe: true,
  budgetMs: 20 * 60_000,
  auth: 'on',
  tls: false,
});

/** The declining frameworks hold the offers of one agent in this many (bench/decliner.ts). */
export const HOLD_EVERY = 10;

/**
 * A leader offers each framework all its agents of an allocation cycle in ONE OffersCreated
 * (kernel/shell/master/decisions.ts offerEvents), ~390 bytes per offer: with one framework, 10,000
 * agents make a 3.3 MiB event, over nats-server's default max_payload of 1 MiB, and the append
 * fails on every cycle (measured: no offer is ever made; run with --frameworks 1 to see it). So
 * that failover can be measured at all at the large sizes, 'auto' runs one declining framework per
 * this many agents (DRF spreads the agents evenly over frameworks of equal share): ~0.5 MiB events.
 */
export const AGENTS_PER_FRAMEWORK = 1250;

export function liveFrameworksFor(o: FailoverOptions, c: { kind: 'history' } | { kind: 'cluster'; agents: number }): number {
  if (o.liveFrameworks !== 'auto') return o.liveFrameworks;
  return c.kind === 'history' ? 1 : Math.max(1, Math.ceil(c.agents / AGENTS_PER_FRAMEWORK));
}

/**
 * How many of the live frameworks want offers (and decline them): in a large cluster only the
 * first; the others own their share of the tasks and subscribe with their role suppressed, as a
 * framework whose services all run does. With every framework declining, the allocator walks each
 * agent through every framework before any filter matters: at 40,000 agents and 32 frameworks,
 * 1.28 million offers in the first minutes (measured: 1.15 M in 8 min, with masters unable to keep
 * a stable leader), which is an offer storm, not a steady state.
 */
export function decliningFrameworksFor(o: FailoverOptions, c: { kind: 'history' } | { kind: 'cluster'; agents: number }): number {
  return Math.min(1, liveFrameworksFor(o, c));
}

/**
 * Offers a declining cluster makes per second: agents × declining frameworks / refuse_seconds (a
 * refuse filter is per framework). Every master folds each offer twice (OffersCreated, then
 * OffersDeclined, which adds a refuse filter): ~30 µs per offer per master on an idle core at
 * 10,000 agents (decoded events), 40–65 µs under contention. With 8 frameworks all declining at
 * 10,000 agents and a 20 s filter (4,000 offers/s) the standbys fell seconds behind the log on this
 * 2-core machine and takeovers took 1–9 s, growing with time. 'auto' keeps the churn at about this
 * many offers per second, with a 1 s floor; a takeover still has the held offers (one agent in
 * HOLD_EVERY), which the election rescinds, to offer again at every size.
 */
export const DECLINE_CHURN_PER_SECOND = 500;

export function declineSecondsFor(o: FailoverOptions, c: { kind: 'history' } | { kind: 'cluster'; agents: number }): number {
  if (o.declineSeconds !== 'auto') return o.declineSeconds;
  return c.kind === 'history' ? 1 : Math.max(1, Math.ceil((c.agents * decliningFrameworksFor(o, c)) / DECLINE_CHURN_PER_SECOND));
}

/** `10000x100000` → { agents, tasks }. */
export function parseClusterSize(s: string): ClusterSize {
  const m = /^(\d[\d_]*)x(\d[\d_]*)$/.exec(s.trim());
  if (!m) throw new Error(`a cluster size is AGENTSxTASKS, e.g. 10000x100000 (got ${JSON.stringify(s)})`);
  return { agents: Number(m[1]!.replaceAll('_', '')), tasks: Number(m[2]!.replaceAll('_', '')) };
}

export type Config = { readonly kind: 'history'; readonly events: number } | { readonly kind: 'cluster'; readonly agents: number; readonly tasks: number };

const short = (n: number): string => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
export const labelOf = (c: Config): string => (c.kind === 'history' ? `history ${short(c.events)}` : `${short(c.agents)} agents/${short(c.tasks)} tasks`);
export function ttlMs(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|secs|m|min)$/.exec(d.trim());
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'ms' ? v : m[2] === 's' || m[2] === 'secs' ? v * 1000 : v * 60_000;
}

export function gapStats(gaps: readonly number[], ttl: number): { count: number; p50: number; p99: number; max: number; overTtl: number } {
  return {
    count: gaps.length,
    p50: percentile(gaps, 50),
    p99: percentile(gaps, 99),
    max: gaps.length === 0 ? Number.NaN : Math.max(...gaps),
    overTtl: gaps.filter((g) => g > ttl).length,
  };
}
