/**
 * failover: how long the cluster is without a leader that offers, after the leading master is
 * killed with SIGKILL.
 *
 * Failover time = from the wall time of `kill -9` of the leading `mesos master` process until the
 * first OffersCreated of the next epoch is stored in the log (its JetStream timestamp; same
 * machine, same clock). Split, by the same clock, into: kill → the lease key written by the next
 * holder (lease expiry + the standby's next lease round), lease → LeaderElected stored (the
 * election append), LeaderElected stored → first OffersCreated stored (the new leader folds its
 * election, which rescinds every offer, and runs its first allocation cycle).
 *
 * Per configuration, everything fresh: a nats-server (temp store); the log pre-filled with history
 * (a small cluster's synthetic history of H events, bench/synthetic-log.ts; or a large cluster in
 * a state, bench/cluster-state.ts: A agents running T tasks); one connection answering every
 * agent's pings (bench/agent-pongs.ts); M real `mesos master` processes (`--leader-lease 500ms
 * --allocation-interval 100ms`, long agent ping timeouts), started one after another (the first
 * folds the whole log; the others start from the snapshot the first leader writes); K frameworks
 * on the native SDK that decline every offer with a short filter (bench/decliner.ts; in a large
 * cluster they own the tasks). Then N times: find the leader, wait a random 1–2 × settle time (so
 * kills land at random points of the lease's renewal cycle), kill -9 it, wait for the first offer
 * of the next epoch, start a replacement master and wait until it is caught up (`/health` 200):
 * its cold start (spawn → /health 200) and whether it loaded a snapshot (`log/snapshot_loaded_seq`)
 * are the second result.
 *
 * For a large cluster the takeover's work is also timed in this process on the same state
 * (bench/takeover-probe.ts): allocator, offer events, their size against NATS's 1 MB limit, folds.
 * Every wait is bounded; a configuration that fails is reported with what its masters said, and
 * the next one runs; everything started is stopped.
 */
import { collectGarbage } from '../gc.js';
import { Prng } from '../prng.js';
import { type Metric, metric, percentile } from '../stats.js';
import { type BenchContext, type BenchResult } from '../types.js';
import { AGENTS_PER_FRAMEWORK, Config, DECLINE_CHURN_PER_SECOND, FailoverOptions, HOLD_EVERY, labelOf } from './options.js';
import { type ConfigResult, runConfig } from './run-config.js';
const nums = (xs: readonly (number | null)[]): number[] => xs.filter((x): x is number => x !== null && Number.isFinite(x));

function summary(xs: readonly number[]): string {
  if (xs.length === 0) return 'n/a';
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return `p50 ${percentile(xs, 50).toFixed(0)}, p99 ${percentile(xs, 99).toFixed(0)}, min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, mean ${mean.toFixed(0)} ms (n=${xs.length})`;
}

export async function runFailover(o: FailoverOptions, ctx: BenchContext): Promise<BenchResult> {
  const wall0 = performance.now();
  const rng = new Prng(o.seed);
  const configs: Config[] = [...o.history.map((events): Config => ({ kind: 'history', events })), ...o.clusters.map((s): Config => ({ kind: 'cluster', ...s }))];
  if (configs.length === 0) throw new Error('failover: no configuration chosen (--history none and --clusters none)');
  const results: ConfigResult[] = [];
  for (const c of configs) {
    collectGarbage();
    ctx.progress(`failover: configuration ${results.length + 1}/${configs.length}: ${labelOf(c)}`);
    if (o.auth === 'both') {
      results.push(await runConfig({ ...o, auth: 'on' }, c, ctx, rng));
      collectGarbage();
      ctx.progress(`failover: configuration ${results.length}/${configs.length}: ${labelOf(c)}, again on an open bus`);
      const open = await runConfig({ ...o, auth: 'off' }, c, ctx, rng);
      results.push({ ...open, label: `${open.label} (open bus)` });
    } else results.push(await runConfig(o, c, ctx, rng));
  }

  const metrics: Record<string, Metric> = {};
  const notes: string[] = [];
  const lower = { better: 'lower' as const };
  const pad = (s: string, n: number): string => s.padEnd(n);
  const W = Math.max(...results.map((r) => r.label.length));
  notes.push(
    `master flags: --leader-lease ${o.leaderLease} --allocation-interval ${o.allocationInterval} --agent-ping-timeout ${o.agentPingTimeout} --max-agent-ping-timeouts ${o.maxAgentPingTimeouts} --snapshot-every ${o.snapshotEvery}` +
      `${o.heapMb !== undefined ? `; node --max-old-space-size=${o.heapMb}` : ''}; ${o.masters} masters; declining frameworks: ${o.liveFrameworks === 'auto' ? `1 with a history, one per ${AGENTS_PER_FRAMEWORK} agents in a large cluster (owning its tasks)` : o.liveFrameworks}, holding the offers of one agent in ${HOLD_EVERY} (outstanding at each kill), refuse_seconds ${o.declineSeconds === 'auto' ? `auto (1 with a history; agents / ${DECLINE_CHURN_PER_SECOND} in a large cluster, where only the first framework declines and the others are suppressed: ~${DECLINE_CHURN_PER_SECOND} offers/s)` : o.declineSeconds}; ` +
      `kill after ${o.settleMs}–${2 * o.settleMs} ms (uniform) of steady state with every master caught up`,
  );
  notes.push('failover = kill -9 (wall clock) → first OffersCreated of the next epoch stored (JetStream timestamp); p99 is nearest-rank (with 20 samples, the largest)');
  notes.push(`${pad('configuration', W)}  failover (kill → first offer of the new epoch)`);
  for (const r of results) {
    if (!r.ok && r.takeovers.length === 0) {
      notes.push(`${pad(r.label, W)}  FAILED: ${(r.error ?? '').split('\n')[0]}`);
      continue;
    }
    notes.push(`${pad(r.label, W)}  ${summary(r.takeovers.map((t) => t.totalMs))}${r.ok ? '' : `; then FAILED: ${(r.error ?? '').split('\n')[0]}`}`);
  }
  for (const r of results) {
    const tk = r.takeovers;
    const L = r.label;
    if (tk.length > 0) {
      const total = tk.map((t) => t.totalMs);
      metrics[`${L}: failover, kill → first offer`] = metric('ms', total, lower);
      metrics[`${L}: failover p99 (nearest rank)`] = metric('ms', [percentile(total, 99)], lower);
      const lease = nums(tk.map((t) => t.leaseMs));
      const elect = nums(tk.map((t) => t.electionMs));
      if (lease.length > 0) metrics[`${L}:   kill → lease taken`] = metric('ms', lease, lower);
      if (elect.length > 0) metrics[`${L}:   lease → LeaderElected stored`] = metric('ms', elect, lower);
      metrics[`${L}:   LeaderElected → first OffersCreated`] = metric('ms', tk.map((t) => t.firstAllocationMs), lower);
    }
    if (r.coldStarts.length > 0) metrics[`${L}: replacement cold start (spawn → /health 200)`] = metric('ms', r.coldStarts.map((s) => s.healthMs), lower);
    if (r.initialStarts.length > 0) metrics[`${L}: first master, whole log (no snapshot)`] = metric('ms', [r.initialStarts[0]!.healthMs], lower);

    notes.push(`${L}: ${r.frameworks} framework(s) owning the tasks, ${r.declining} declining (the others suppressed), refuse_seconds ${r.refuseSeconds}${r.budgetStop !== undefined ? `; ${r.budgetStop}` : ''}`);
    if (r.prefill !== undefined) {
      notes.push(
        `  log before the masters: ${r.prefill.events.toLocaleString('en-US')} events, ${(r.prefill.bytes / 2 ** 20).toFixed(0)} MiB, largest ${(r.prefill.largestEventBytes / 1024).toFixed(0)} KiB; appended in ${(r.prefill.ms / 1000).toFixed(1)} s` +
          `${r.stream !== undefined ? `; at the end ${r.stream.messages.toLocaleString('en-US')} events, ${(r.stream.bytes / 2 ** 20).toFixed(0)} MiB` : ''}`,
      );
    }
    if (tk.length > 0) {
      notes.push(`  kill → lease taken by the next master: ${summary(nums(tk.map((t) => t.leaseMs)))}`);
      notes.push(`    the lease's life after the dead leader's last renewal (TTL ${o.leaderLease}; standbys try every third of it): ${summary(nums(tk.map((t) => t.leaseAgeMs)))}`);
      notes.push(`  lease → LeaderElected stored: ${summary(nums(tk.map((t) => t.electionMs)))}`);
      notes.push(`  LeaderElected stored → first OffersCreated stored: ${summary(tk.map((t) => t.firstAllocationMs))}`);
      notes.push(`    of which LeaderElected stored → the new leader leads (folded it; its log line): ${summary(nums(tk.map((t) => t.electionFoldMs)))}`);
      const firstOffers = tk.map((t) => t.firstOffers);
      const firstBytes = tk.map((t) => t.firstOffersBytes);
      const ar = nums(tk.map((t) => t.newLeaderAllocation['allocator/mesos/allocation_run_ms/max'] ?? null));
      notes.push(
        `  first OffersCreated: ${Math.min(...firstOffers)}–${Math.max(...firstOffers)} offers, up to ${(Math.max(...firstBytes) / 1024).toFixed(0)} KiB; ` +
          `the new leader's allocation runs (allocate() only) right after: max ${ar.length ? Math.max(...ar).toFixed(1) : '?'} ms`,
      );
    }
    if (r.steadyAllocation !== undefined) notes.push(`  steady state (leader's metrics before the first kill): ${JSON.stringify(r.steadyAllocation)}`);
    for (const s of r.initialStarts) {
      notes.push(
        `  initial ${s.label}: /health 200 after ${(s.healthMs / 1000).toFixed(2)} s; ${s.snapshotLoadedSeq > 0 ? `from the snapshot of seq ${s.snapshotLoadedSeq} (loaded in ${s.snapshotLoadMs} ms) + ${s.foldedAfterSnapshot} events` : 'no snapshot: the whole log'}; head ${s.headAtSpawn}; RSS ${s.rssMb.toFixed(0)} MiB`,
      );
    }
    if (r.coldStarts.length > 0) {
      const cs = r.coldStarts;
      const fromSnap = cs.filter((s) => s.snapshotLoadedSeq > 0).length;
      notes.push(
        `  replacement masters: cold start ${summary(cs.map((s) => s.healthMs))}; ${fromSnap}/${cs.length} started from a snapshot (log/snapshot_loaded_seq > 0); ` +
          `snapshot load ${summary(nums(cs.map((s) => s.snapshotLoadMs)))}; events folded after it ${Math.min(...nums(cs.map((s) => s.foldedAfterSnapshot)))}–${Math.max(...nums(cs.map((s) => s.foldedAfterSnapshot)))}`,
      );
    }
    if (r.probe !== undefined) {
      const p = r.probe;
      notes.push(
        `  in-process timing of the takeover's work on the same state (${p.agents} agents, ${p.tasks} tasks, ${p.frameworks} frameworks): allocate() ${p.allocateMs.toFixed(0)} ms → ${p.proposals} offers; ` +
          `offerEvents() ${p.offerEventsMs.toFixed(0)} ms → ${p.offerEvents} OffersCreated, largest ${(p.largestOffersEventBytes / 2 ** 20).toFixed(2)} MiB (${p.offersEventsOverMaxPayload} over NATS's 1 MiB max_payload); ` +
          `encode (zod+JSON) ${p.encodeOffersMs.toFixed(0)} ms; decode per follower ${p.decodeOffersMs.toFixed(0)} ms; fold ${p.foldOffersMs.toFixed(0)} ms; ` +
          `fold of the next LeaderElected (rescinds all) ${p.foldElectionMs.toFixed(0)} ms, its ${p.rescindEvents} OffersRescinded up to ${(p.largestRescindEventBytes / 1024).toFixed(0)} KiB; ` +
          `fold of declining every offer (${p.declineEvents} OffersDeclined of ≤${o.declineChunk} ids) ${p.foldDeclinesMs.toFixed(0)} ms, again with the filters in place ${p.foldDeclinesSecondRoundMs.toFixed(0)} ms; ` +
          `snapshot ${(p.snapshotBytes / 2 ** 20).toFixed(0)} MiB: serialise ${p.snapshotEncodeMs.toFixed(0)} ms, deserialise ${p.snapshotDecodeMs.toFixed(0)} ms`,
      );
    }
    if (r.cpu !== undefined) {
      notes.push(
        `  CPU during the kill phase (${r.cpu.wallS.toFixed(0)} s; 200% = both cores): machine ${r.cpu.machineBusyPct.toFixed(0)}%, masters ${r.cpu.mastersPct.toFixed(0)}%, nats-server ${r.cpu.natsPct.toFixed(0)}%, ` +
          `this process (frameworks, pongs, watch) ${r.cpu.benchPct.toFixed(0)}%; peak RSS: a master ${r.peakRssMb.masters.toFixed(0)} MiB, nats-server ${r.peakRssMb.natsServer.toFixed(0)} MiB, this process ${r.peakRssMb.bench.toFixed(0)} MiB`,
      );
    }
    if (r.elections !== undefined) {
      const g = r.elections.renewalGaps;
      notes.push(
        `  elections in the log: ${r.elections.total} over ${r.elections.spanS.toFixed(0)} s for ${r.elections.kills} kills: ${r.elections.unforced} leadership changes without a kill (a leader lost its ${o.leaderLease} lease; ` +
          `'lost the leader lease' logged ${r.elections.lostLeaseWarnings} times)${r.elections.discarded > 0 ? `; ${r.elections.discarded} kills found the leader already replaced (discarded, redone)` : ''}; ` +
          `lease renewal gaps (renewed every third of the TTL): p50 ${g.p50.toFixed(0)}, p99 ${g.p99.toFixed(0)}, max ${g.max.toFixed(0)} ms, ${g.overTtl} of ${g.count} longer than the TTL`,
      );
    }
    if (r.decliners !== undefined) notes.push(`  frameworks: ${JSON.stringify(r.decliners)}; pongs: ${JSON.stringify(r.pongs ?? {})}`);
    if (Object.keys(r.masterWarnings).length > 0) notes.push(`  masters' warnings: ${JSON.stringify(r.masterWarnings)}; first: ${r.firstWarnings.slice(0, 3).join(' | ')}`);
    if (!r.ok) notes.push(`  FAILED: ${r.error}`);
  }
  if (results.every((r) => r.takeovers.length === 0)) {
    throw new Error(`failover: no configuration completed a takeover:\n${notes.join('\n')}`);
  }
  return {
    name: 'failover',
    params: {
      configurations: results.map((r) => r.label),
      kills: o.kills,
      masters: o.masters,
      historyCluster: `${o.historyAgents} agents, ${o.historyFrameworks} synthetic frameworks`,
      liveFrameworks: o.liveFrameworks === 'auto' ? `auto (history: 1; clusters: one per ${AGENTS_PER_FRAMEWORK} agents)` : o.liveFrameworks,
      declineSeconds: o.declineSeconds === 'auto' ? `auto (history 1; clusters agents/${DECLINE_CHURN_PER_SECOND}, one declining framework)` : o.declineSeconds,
      leaderLease: o.leaderLease,
      allocationInterval: o.allocationInterval,
      agentPingTimeout: o.agentPingTimeout,
      snapshotEvery: o.snapshotEvery,
      heapMb: o.heapMb ?? 'node default',
      seed: o.seed,
    },
    metrics,
    notes,
    details: { configurations: results },
    wallMs: performance.now() - wall0,
  };
}
export { AGENTS_PER_FRAMEWORK, DECLINE_CHURN_PER_SECOND, defaultFailoverOptions, parseClusterSize, ttlMs } from './options.js';
