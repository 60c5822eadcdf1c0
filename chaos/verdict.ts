/**
 * The verdict of a chaos run (pure): the JSON object CI asserts, the lines a person reads, and
 * whether it passed (0 tasks lost to the cluster's fault, 0 duplicated, 0 over-commits, the log
 * verified, every failover resolved, at least one fault injected).
 */
import { type Summary, summarize } from './stats.js';
import type { TaskCounts } from './tally.js';

export interface Finding {
  readonly invariant: string;
  readonly seq: number;
  readonly message: string;
}

export interface ChaosResult {
  readonly durationMs: number;
  /** Faults injected, by kind and target role. */
  readonly injected: ReadonlyArray<{ readonly fault: string; readonly target: string; readonly role: string; readonly leader: boolean; readonly atMs: number }>;
  /** Rounds in which no target was eligible (e.g. every NATS node but one down). */
  readonly idleRounds: number;
  /** Leader loss → a new master elected, and → the framework's first offer after the loss. */
  readonly failovers: ReadonlyArray<{
    readonly target: string;
    readonly fault: string;
    readonly electedMs: number | null;
    readonly servedMs: number | null;
    /** A stopped leader that still led once resumed, nobody elected meanwhile: no leader loss. */
    readonly kept?: boolean;
  }>;
  readonly tasks: TaskCounts;
  /** Terminal updates other than TASK_FINISHED: "taskId STATE REASON". */
  readonly failures: readonly string[];
  readonly drained: boolean;
  readonly verify: { readonly events: number; readonly findings: readonly Finding[] } | { readonly error: string };
  readonly skipped: readonly string[];
  /**
   * Each partition: how it was made (`netns`: the child's link down, a true partition; `sever`: its
   * NATS connections cut by ss -K rounds, an approximation), the connections cut (sever), how long
   * the link was down (netns), and the first error, if any.
   */
  readonly partitions?: ReadonlyArray<{ readonly target: string; readonly how?: 'netns' | 'sever'; readonly cut: number; readonly downMs?: number; readonly error?: string }>;
}

export interface ChaosJson {
  readonly kills: number;
  readonly failover_ms: { readonly p50: number | null; readonly p99: number | null; readonly max: number | null };
  readonly tasks: { readonly launched: number; readonly finished: number; readonly lost: number; readonly duplicated: number };
  readonly overcommits: number;
  readonly verify: string;
  /** How partitions were made: `netns` (a child's link down), `sever` (ss -K, an approximation), both, or none injected. */
  readonly partition?: 'netns' | 'sever' | 'netns+sever' | 'none';
}

/** Which way the run's partitions were made. */
export function partitionKind(r: ChaosResult): NonNullable<ChaosJson['partition']> {
  const hows = new Set((r.partitions ?? []).map((p) => p.how ?? 'sever'));
  return hows.size === 0 ? 'none' : hows.size === 2 ? 'netns+sever' : [...hows][0]!;
}

export function electedTimes(r: ChaosResult): number[] {
  return r.failovers.flatMap((f) => (f.electedMs === null ? [] : [f.electedMs]));
}

export function verifyText(r: ChaosResult): string {
  if ('error' in r.verify) return `could not verify: ${r.verify.error}`;
  const f = r.verify.findings;
  if (f.length === 0) return 'ok';
  return `${f[0]!.invariant}@${f[0]!.seq}: ${f[0]!.message}${f.length > 1 ? ` (and ${f.length - 1} more)` : ''}`;
}

export function overcommits(r: ChaosResult): number {
  return 'error' in r.verify ? 0 : r.verify.findings.filter((f) => f.invariant === 'OVER_COMMIT').length;
}

export function toJson(r: ChaosResult): ChaosJson {
  const s = summarize(electedTimes(r));
  return {
    kills: r.injected.length,
    failover_ms: { p50: s.p50, p99: s.p99, max: s.max },
    tasks: { launched: r.tasks.launched, finished: r.tasks.finished, lost: r.tasks.lost, duplicated: r.tasks.duplicated },
    overcommits: overcommits(r),
    verify: verifyText(r),
    partition: partitionKind(r),
  };
}

/** Why the run failed; empty when it passed. */
export function failures(r: ChaosResult): string[] {
  const why: string[] = [];
  if (r.injected.length === 0) why.push('no fault was injected (no eligible target: see --target)');
  if (r.tasks.lost > 0) why.push(`${r.tasks.lost} tasks lost (${r.tasks.open} never ended${r.failures.length > 0 ? `; ${r.failures.slice(0, 3).join('; ')}` : ''})`);
  if (r.tasks.duplicated > 0) why.push(`${r.tasks.duplicated} tasks launched twice`);
  if (overcommits(r) > 0) why.push(`${overcommits(r)} over-commits`);
  const v = verifyText(r);
  if (v !== 'ok') why.push(`replay verify: ${v}`);
  const unresolved = r.failovers.filter((f) => f.electedMs === null && f.kept !== true).length;
  if (unresolved > 0) why.push(`${unresolved} leader losses without a new leader`);
  const broken = (r.partitions ?? []).filter((p) => p.error !== undefined);
  if (broken.length > 0) why.push(`${broken.length} partitions could not be made (${broken[0]!.error})`);
  return why;
}

function partitionLines(r: ChaosResult): string[] {
  const ps = r.partitions ?? [];
  const net = ps.filter((p) => p.how === 'netns');
  const sev = ps.filter((p) => p.how !== 'netns');
  const out: string[] = [];
  if (net.length > 0) out.push(`partitions: ${net.length} true (network namespace: the child's link down, both ways, for ${net.map((p) => (p.downMs === undefined ? '?' : `${p.downMs} ms`)).join(', ')})`);
  if (sev.length > 0) out.push(`partitions: ${sev.length} approximated, ${sev.reduce((a, p) => a + p.cut, 0)} NATS connections cut (ss -K, reconnects included; no network namespace)`);
  return out;
}

const kept = (r: ChaosResult): number => r.failovers.filter((f) => f.kept === true).length;

const ms = (s: Summary): string => (s.n === 0 ? 'none' : `p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms (${s.n})`);

export function render(r: ChaosResult): string[] {
  const by = new Map<string, number>();
  for (const i of r.injected) by.set(`${i.fault} ${i.role}${i.leader ? ' (leader)' : ''}`, (by.get(`${i.fault} ${i.role}${i.leader ? ' (leader)' : ''}`) ?? 0) + 1);
  const t = r.tasks;
  const why = failures(r);
  return [
    `faults:    ${r.injected.length} in ${(r.durationMs / 1000).toFixed(0)} s (${[...by].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'})${r.idleRounds > 0 ? `; ${r.idleRounds} rounds with no eligible target` : ''}`,
    ...r.skipped.map((s) => `skipped:   ${s}`),
    ...partitionLines(r),
    `failovers: ${r.failovers.filter((f) => f.kept !== true).length}; leader loss → new leader elected: ${ms(summarize(electedTimes(r)))}${kept(r) > 0 ? `; ${kept(r)} stopped leaders kept the lead (frozen for less than the lease)` : ''}`,
    `           leader loss → first offer served: ${ms(summarize(r.failovers.flatMap((f) => (f.servedMs === null ? [] : [f.servedMs]))))}`,
    `tasks:     ${t.launched} launched, ${t.finished} finished, ${t.lost} lost, ${t.duplicated} duplicated (${t.relaunched} launches refused by a leader change and sent again)${r.drained ? '' : '; the run ended before every task did'}`,
    `verify:    ${verifyText(r)}${'events' in r.verify ? ` (${r.verify.events} events; ${overcommits(r)} over-commits)` : ''}`,
    why.length === 0 ? 'verdict:   PASS' : `verdict:   FAIL: ${why.join('; ')}`,
  ];
}
