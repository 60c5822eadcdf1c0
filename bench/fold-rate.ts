/**
 * fold: how many events per second `evolve` folds in memory, from `initialState()`, over a
 * realistic synthetic log (bench/synthetic-log.ts); and how many per second a replaying master
 * gets when each event must first be decoded from its bytes (JSON.parse + zod + subject check,
 * as `decode(data, subject)` does for every message the follower reads).
 *
 * Every run is checked against what the generator says the fold must end with; a mismatch fails
 * the benchmark (a fast fold that drops events would be a lie).
 */
import { type AgentId, type ClusterEvent, type FrameworkId, decode } from '../events/index.js';
import { evolve, initialState } from '../kernel/core/fold/index.js';
import * as R from '../kernel/core/resources.js';
import { LIMITS, type State } from '../kernel/core/state.js';
import { collectGarbage } from './gc.js';
import { metric } from './stats.js';
import { generateLog, type Expected, type SynthLog } from './synthetic-log.js';
import { type BenchContext, type BenchResult, SanityError } from './types.js';

export interface FoldOptions {
  readonly events: number;
  readonly agents: number;
  readonly frameworks: number;
  readonly seed: number;
  /** Timed runs of the in-memory fold. */
  readonly runs: number;
  /** Timed runs of decode+fold (slower, so fewer by default). */
  readonly decodeRuns: number;
}

export const defaultFoldOptions = (): FoldOptions => ({ events: 1_000_000, agents: 100, frameworks: 10, seed: 42, runs: 5, decodeRuns: 3 });

interface Encoded {
  readonly bytes: Uint8Array;
  /** Event i is bytes[offsets[i] .. offsets[i + 1]). */
  readonly offsets: Uint32Array;
}

function encodeAll(events: readonly ClusterEvent[]): Encoded {
  // One growing buffer; the events were validated by the generator, so JSON.stringify of each is
  // exactly what `encode` would write.
  let bytes = Buffer.allocUnsafe(Math.max(1024, events.length * 600));
  const offsets = new Uint32Array(events.length + 1);
  let at = 0;
  for (let i = 0; i < events.length; i++) {
    const json = JSON.stringify(events[i]);
    const need = Buffer.byteLength(json);
    if (at + need > bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(bytes.length * 2, at + need));
      bytes.copy(bigger, 0, 0, at);
      bytes = bigger;
    }
    offsets[i] = at;
    at += bytes.write(json, at);
  }
  offsets[events.length] = at;
  return { bytes: bytes.subarray(0, at), offsets };
}

/** Everything the fold must have ended with; throws SanityError listing every difference. */
export function checkFoldedState(s: State, exp: Expected, log: SynthLog): void {
  const problems: string[] = [];
  const eq = (what: string, got: number, want: number): void => {
    if (got !== want) problems.push(`${what}: got ${got}, expected ${want}`);
  };
  const c = s.counters;
  eq('events folded', c.eventsFolded, exp.events);
  eq('stale decisions ignored', c.staleDecisionsIgnored, 0);
  eq('agents', s.agents.size, exp.agents);
  eq('frameworks', s.frameworks.size, exp.frameworks);
  eq('offers created', c.offersCreated, exp.offersCreated);
  eq('offers invalid', c.offersInvalid, 0);
  eq('offers accepted', c.offersAccepted, exp.offersAccepted);
  eq('offers declined', c.offersDeclined, exp.offersDeclined);
  eq('accepts refused', c.acceptsRefused, 0);
  eq('outstanding offers', s.offers.size, exp.outstandingOffers);
  eq('valid status updates', c.validStatusUpdates, exp.statusUpdates);
  eq('invalid status updates', c.invalidStatusUpdates, 0);
  eq('valid acknowledgements', c.validAcknowledgements, exp.acknowledgements);
  eq('invalid acknowledgements', c.invalidAcknowledgements, 0);
  for (const st of ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'] as const) {
    eq(`tasks reached ${st}`, c.tasksReached[st] ?? 0, exp.reached[st]);
  }
  eq('live tasks', s.tasks.size, exp.liveTasks);
  eq('completed tasks (launched − live)', exp.tasksLaunched - s.tasks.size, exp.completedTasks);
  eq('outbox (LaunchTasks not yet sent)', s.outbox.size, exp.pendingLaunches);
  for (let j = 0; j < log.frameworkIds.length; j++) {
    const f = s.frameworks.get(log.frameworkIds[j] as FrameworkId);
    const want = Math.min(LIMITS.completedTasksPerFramework, exp.completedByFramework[j]!);
    eq(`framework ${j} completed tasks kept`, f?.completedTasks.length ?? -1, want);
    if (f !== undefined) {
      for (const t of f.completedTasks) {
        if (t.state !== 'TASK_FINISHED') {
          problems.push(`framework ${j}: completed task ${t.taskId} is ${t.state}`);
          break;
        }
      }
    }
  }
  for (let i = 0; i < log.agentIds.length; i++) {
    const a = s.agents.get(log.agentIds[i] as AgentId);
    if (a === undefined) {
      problems.push(`agent ${i} missing`);
      continue;
    }
    eq(`agent ${i} command seq`, a.commandSeq, exp.agentCommandSeq[i]!);
    eq(`agent ${i} cpus used (milli)`, Math.round(R.scalar(a.used, 'cpus') * 1000), exp.agentUsedCpuMilli[i]!);
    eq(`agent ${i} mem used`, R.scalar(a.used, 'mem'), exp.agentUsedMemMb[i]!);
  }
  if (problems.length > 0) {
    throw new SanityError(`the fold did not end where the generator says it must (${problems.length} differences):\n  ${problems.slice(0, 20).join('\n  ')}`);
  }
}

function foldEvents(events: readonly ClusterEvent[]): State {
  let s = initialState();
  for (let i = 0; i < events.length; i++) s = evolve(s, events[i]!);
  return s;
}

function decodeAndFold(enc: Encoded, subjects: readonly string[], n: number): State {
  let s = initialState();
  const { bytes, offsets } = enc;
  for (let i = 0; i < n; i++) {
    const d = decode(bytes.subarray(offsets[i]!, offsets[i + 1]!), subjects[i]);
    if (!d.ok) throw new SanityError(`event ${i} did not decode: ${d.error.message}`);
    s = evolve(s, d.event);
  }
  return s;
}

function decodeOnly(enc: Encoded, subjects: readonly string[]): number {
  const { bytes, offsets } = enc;
  let ok = 0;
  for (let i = 0; i < subjects.length; i++) {
    const d = decode(bytes.subarray(offsets[i]!, offsets[i + 1]!), subjects[i]);
    if (d.ok) ok++;
  }
  return ok;
}

export async function runFold(o: FoldOptions, ctx: BenchContext): Promise<BenchResult> {
  const wallStart = performance.now();
  ctx.progress(`fold: generating ${o.events.toLocaleString('en-US')} events (seed ${o.seed}, ${o.agents} agents, ${o.frameworks} frameworks), validating each once`);
  const g0 = performance.now();
  const log = generateLog({ events: o.events, agents: o.agents, frameworks: o.frameworks, seed: o.seed });
  const generateMs = performance.now() - g0;
  const e0 = performance.now();
  const enc = encodeAll(log.events);
  const encodeMs = performance.now() - e0;
  const avgBytes = enc.bytes.length / log.events.length;
  ctx.progress(`fold: generated in ${(generateMs / 1000).toFixed(1)} s, encoded ${(enc.bytes.length / 1e6).toFixed(0)} MB (${avgBytes.toFixed(0)} B/event) in ${(encodeMs / 1000).toFixed(1)} s`);
  const gcAvailable = collectGarbage();
  const heapMB = process.memoryUsage().heapUsed / 1e6;

  // Warm-up: one full fold (checked), one partial decode+fold.
  ctx.progress('fold: warm-up');
  checkFoldedState(foldEvents(log.events), log.expected, log);
  decodeAndFold(enc, log.subjects, Math.min(log.events.length, 200_000));

  const foldRates: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    collectGarbage();
    const t0 = performance.now();
    const s = foldEvents(log.events);
    const ms = performance.now() - t0;
    checkFoldedState(s, log.expected, log);
    foldRates.push(log.events.length / (ms / 1000));
    ctx.progress(`fold: run ${r + 1}/${o.runs}: ${ms.toFixed(0)} ms, ${fmtRate(foldRates.at(-1)!)} events/s`);
  }

  // A replaying master holds the bytes it reads, not a million decoded events: let them go.
  const eventCount = log.events.length;
  log.events.length = 0;
  collectGarbage();

  const decodeFoldRates: number[] = [];
  for (let r = 0; r < o.decodeRuns; r++) {
    collectGarbage();
    const t0 = performance.now();
    const s = decodeAndFold(enc, log.subjects, eventCount);
    const ms = performance.now() - t0;
    checkFoldedState(s, log.expected, log);
    decodeFoldRates.push(eventCount / (ms / 1000));
    ctx.progress(`fold: decode+fold run ${r + 1}/${o.decodeRuns}: ${ms.toFixed(0)} ms, ${fmtRate(decodeFoldRates.at(-1)!)} events/s`);
  }

  const decodeRates: number[] = [];
  for (let r = 0; r < o.decodeRuns; r++) {
    collectGarbage();
    const t0 = performance.now();
    const ok = decodeOnly(enc, log.subjects);
    const ms = performance.now() - t0;
    if (ok !== eventCount) throw new SanityError(`decode only: ${eventCount - ok} events failed to decode`);
    decodeRates.push(eventCount / (ms / 1000));
  }

  const exp = log.expected;
  const mix = Object.entries(log.mix)
    .sort((a, b) => b[1] - a[1])
    .map(([t, n]) => `${t} ${((100 * n) / eventCount).toFixed(1)}%`)
    .join(', ');
  return {
    name: 'fold',
    params: {
      events: o.events,
      agents: o.agents,
      frameworks: o.frameworks,
      seed: o.seed,
      runs: o.runs,
      decodeRuns: o.decodeRuns,
      warmup: '1 full fold + decode+fold of the first 200,000 events',
      gcBetweenRuns: gcAvailable,
    },
    metrics: {
      'fold (in memory)': metric('events/s', foldRates),
      'decode+fold (JSON+zod)': metric('events/s', decodeFoldRates),
      'decode only (JSON+zod)': metric('events/s', decodeRates),
    },
    notes: [
      `log: ${mix}`,
      `log: ${exp.tasksLaunched.toLocaleString('en-US')} tasks launched, ${exp.completedTasks.toLocaleString('en-US')} completed (FINISHED and acknowledged), ` +
        `${exp.liveTasks.toLocaleString('en-US')} live at the end (peak ${exp.peakLiveTasks.toLocaleString('en-US')}), ${avgBytes.toFixed(0)} B/event encoded`,
      `checks: every run ended in the state the generator predicts (counters, live/completed tasks, offers, outbox, per-agent used resources and command seq)`,
      `generation + validation ${(generateMs / 1000).toFixed(1)} s (not timed); the in-memory fold runs with the whole decoded log on the heap (${heapMB.toFixed(0)} MB used), ` +
        `GC included; decode runs read from one ${(enc.bytes.length / 1e6).toFixed(0)} MB buffer after the decoded log is released`,
    ],
    details: { expected: exp, mix: log.mix, generateMs, encodeMs, encodedBytes: enc.bytes.length },
    wallMs: performance.now() - wallStart,
  };
}

const fmtRate = (x: number): string => Math.round(x).toLocaleString('en-US');
