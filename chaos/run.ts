import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Keystore, type Party } from '../security/nats/index.js';
/**
 * A chaos run against a running `mesos dev`: every `everyMs` for `durationMs`, one fault (kill,
 * stop, partition) on one target (chosen by chaos/targets.ts from the dev state file), while a workload
 * (chaos/workload.ts) launches short and long tasks; then the faults stop, the cluster is given
 * time to recover, the workload drains, and the whole log is verified (replay/verify.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { natsSource, verifySource } from '../replay/index.js';
import { type DevChild, type DevState, readDevState } from './dev-state.js';
import { type Fault, FaultInjector, natsPortsOf, partitionSupportFor } from './faults.js';
import { leadersOf, newLeaderAfter } from './leader.js';
import { type TargetSpec, chooseTarget, parseTargets, seededRandom } from './targets.js';
import type { ChaosResult } from './verdict.js';
import { startWorkload } from './workload.js';

export interface ChaosOptions {
  readonly data: string;
  readonly durationMs: number;
  readonly everyMs: number;
  readonly targets: string;
  readonly faults: readonly Fault[];
  /** How long a SIGSTOPped process stays frozen. */
  readonly stopMs: number;
  /** How long a partitioned process stays cut off NATS (default: stopMs). */
  readonly partitionMs?: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly longEvery: number;
  readonly longSecs: number;
  readonly resources: string;
  /** After the faults: how long to wait for every task to end. */
  readonly drainMs: number;
  /** A leader loss not followed by a new leader within this long counts as unresolved. */
  readonly failoverTimeoutMs: number;
  /** Stop after this many faults (the benchmark's "N leader kills"), even before durationMs. */
  readonly maxFaults?: number;
  /** The workload framework's user, whom its tasks run as (see `chaosUser`). */
  readonly user?: string;
  /** Before the next fault, wait until every child is alive again and a leader is elected (the benchmark does). */
  readonly waitRecovered?: boolean;
}

/**
 * Whom the workload's tasks run as when --user is not given: as root, \`nobody\` — mesos dev's agents
 * refuse root tasks (no --allow-root-tasks), as \`mesos execute\` and the demo know — else the SDK's
 * default ($USER).
 */
export function chaosUser(given: string | undefined, uid: number | undefined): string | undefined {
  if (given !== undefined) return given;
  return uid === 0 ? 'nobody' : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await cond()) return true;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  return false;
}

export async function runChaos(o: ChaosOptions, out: (line: string) => void, log: Logger): Promise<ChaosResult> {
  const state = (): DevState => readDevState(o.data);
  const first = state();
  if (!(await waitUntil(() => state().ready, 60_000))) throw new Error(`mesos dev on ${o.data} did not come up within 60 s`);
  const specs: TargetSpec[] = parseTargets(o.targets, first.children.map((c) => c.name));
  const skipped: string[] = [];
  let faults = [...o.faults];
  if (faults.includes('partition')) {
    const p = partitionSupportFor(first.network);
    if (!p.ok) {
      skipped.push(`partition: ${p.why}`);
      faults = faults.filter((f) => f !== 'partition');
    } else {
      out(`note: ${p.note}`);
    }
  }
  if (faults.length === 0) throw new Error('no fault kind left to inject (see --faults)');
  if (first.restartKilledMs === null && faults.includes('kill')) {
    out('note: this mesos dev leaves killed children dead (no --restart-killed): each kill takes a child away for good, and the run stops hitting a role when one would be left');
  }
  const rand = seededRandom(o.seed);
  const injector = new FaultInjector(natsPortsOf(first.nats));
  const runId = randomBytes(3).toString('hex');
  // On a secured bus (mesos dev's default) chaos issues its own credentials from <data>/keys: a
  // framework for the workload, an auditor for the verification.
  const keysDir = join(first.data, 'keys');
  const own = existsSync(join(keysDir, 'operator.seed'))
    ? (() => {
        const ks = Keystore.open(keysDir);
        const dir = join(keysDir, 'issued');
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const write = (file: string, party: Party, name: string): string => {
          writeFileSync(join(dir, file), ks.issue(party, name).creds, { mode: 0o600 });
          return join(dir, file);
        };
        return { framework: write(`chaos-${runId}-framework.creds`, 'framework', randomUUID()), auditor: write(`chaos-${runId}-auditor.creds`, 'auditor', `chaos-${runId}`) };
      })()
    : undefined;
  const workload = await startWorkload({ ...(own !== undefined ? { creds: own.framework } : {}), nats: first.nats, runId, concurrency: o.concurrency, longEvery: o.longEvery, longSecs: o.longSecs, resources: o.resources, ...(o.user !== undefined ? { user: o.user } : {}), log });
  const injected: Array<ChaosResult['injected'][number]> = [];
  const failovers: Array<ChaosResult['failovers'][number]> = [];
  const measuring: Promise<void>[] = [];
  const healing: Promise<void>[] = [];
  const partitions: Array<NonNullable<ChaosResult['partitions']>[number]> = [];
  let idleRounds = 0;
  let t0 = Date.now();
  try {
    if (!(await waitUntil(() => workload.tally.counts().finished > 0, 60_000))) {
      const c = workload.tally.counts();
      const f = workload.tally.failures[0];
      const why = f === undefined ? '' : `; the first to end did so ${f.state}${f.reason !== undefined ? ` (${f.reason})` : ''}${f.message ? `: ${f.message}` : ''}`;
      throw new Error(`the workload finished no task within 60 s of subscribing (${c.launched} launched, ${c.lost - c.open} ended otherwise, ${c.open} still open${why}): is the cluster healthy? (the agents' logs say why a task failed; tasks run as ${o.user ?? 'the SDK\'s default user'})`);
    }
    // The --duration of faults counts from here: a cluster slow to run its first task (a loaded
    // machine) gets as many rounds as a quick one.
    t0 = Date.now();
    out(`chaos: ${o.durationMs / 1000} s, a fault every ${o.everyMs / 1000} s (${faults.join(', ')}) on ${o.targets}; workload ${workload.frameworkId}`);
    const end = t0 + o.durationMs;
    let next = Date.now() + o.everyMs;
    while (Date.now() < end && (o.maxFaults === undefined || injected.length < o.maxFaults)) {
      await sleep(Math.max(0, Math.min(next, end) - Date.now()));
      if (Date.now() >= end) break;
      next += o.everyMs;
      if (o.waitRecovered === true) {
        await waitUntil(async () => state().children.every((c) => c.alive) && (await leadersOf(state().children)).length === 1, o.failoverTimeoutMs);
      }
      const s = state();
      const leader = (await leadersOf(s.children))[0]?.name;
      const victim: DevChild | undefined = chooseTarget(specs, s.children, leader, rand);
      if (victim === undefined) {
        idleRounds++;
        continue;
      }
      const fault = faults[Math.floor(rand() * faults.length)]!;
      const isLeader = victim.name === leader;
      let applied;
      try {
        applied = injector.apply(fault, victim, o.stopMs, o.partitionMs ?? o.stopMs);
      } catch (err) {
        out(`could not ${fault} ${victim.name} (pid ${victim.pid}): ${(err as Error).message}`);
        continue;
      }
      injected.push({ fault, target: victim.name, role: victim.role, leader: isLeader, atMs: applied.at - t0 });
      out(`[${((applied.at - t0) / 1000).toFixed(1).padStart(6)} s] ${fault} ${victim.name} (pid ${victim.pid}${isLeader ? ', leading' : ''})`);
      if (fault === 'partition') {
        const pid = victim.pid;
        const name = victim.name;
        healing.push(
          applied.resumed.then(() => {
            const s = injector.severed.get(pid) ?? { how: 'sever' as const, cut: 0 };
            const downMs = s.downAt !== undefined && s.upAt !== undefined ? s.upAt - s.downAt : undefined;
            partitions.push({ target: name, how: s.how, cut: s.cut, ...(downMs !== undefined ? { downMs } : {}), ...(s.error !== undefined ? { error: s.error } : {}) });
            const what = s.how === 'netns' ? `its link (${victim.netns?.veth ?? '?'}) was down ${downMs ?? '?'} ms` : `${s.cut} NATS connections cut during its partition (ss -K)`;
            out(`           ${name} healed: ${what}${s.error !== undefined ? `; error: ${s.error}` : ''}`);
          }),
        );
      }
      if (isLeader) {
        measuring.push(
          (async () => {
            const e = await newLeaderAfter(() => state().children, victim.pid, o.failoverTimeoutMs, 25, fault !== 'kill' ? applied.resumed : undefined);
            if (e?.kept === true) {
              // Frozen for less than its lease: it still leads, nobody else was elected; no failover to time.
              failovers.push({ target: victim.name, fault, electedMs: null, servedMs: null, kept: true });
              out(`           ${victim.name} kept the lead through its ${fault} (shorter than its lease)`);
              return;
            }
            const served = await workload.offerAfter(e?.at ?? applied.at, o.failoverTimeoutMs);
            failovers.push({ target: victim.name, fault, electedMs: e === null ? null : e.at - applied.at, servedMs: served === null ? null : served - applied.at });
            if (e !== null) out(`           ${e.leader.name} leads ${e.at - applied.at} ms after the ${fault} of ${victim.name}`);
          })(),
        );
      }
    }
  } finally {
    injector.resumeAll();
  }
  await Promise.all(measuring);
  await Promise.all(healing);
  const durationMs = Date.now() - t0;
  workload.stopLaunching();
  out('faults over: waiting for the cluster to recover and the tasks to end');
  const restart = state().restartKilledMs;
  if (restart !== null) await waitUntil(() => state().children.every((c) => c.alive), restart + 60_000);
  const drained = await workload.drain(o.drainMs);
  const tasks = workload.tally.counts();
  const fails = workload.tally.failures.map((u) => `${u.taskId} ${u.state}${u.reason ? ` ${u.reason}` : ''}`);
  await workload.close().catch(() => undefined);
  let verify: ChaosResult['verify'];
  try {
    const src = await natsSource(state().nats, log, own?.auditor);
    try {
      const r = await verifySource(src, { graceMs: 60_000 });
      verify = { events: r.events, findings: r.violations.map((v) => ({ invariant: v.invariant, seq: v.seq, message: v.message })) };
    } finally {
      await src.close();
    }
  } catch (err) {
    verify = { error: (err as Error).message };
  }
  return { durationMs, injected, idleRounds, failovers, tasks, failures: fails, drained, verify, skipped, partitions };
}
