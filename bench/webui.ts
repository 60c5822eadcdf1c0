/**
 * `npm run bench -- webui`: the dashboard at scale, in Debian's headless Chromium (playwright-core)
 * against a real `mesos master` process whose log holds a large cluster (bench/cluster-state.ts:
 * `agents` agents running `tasks` tasks, RUNNING, acknowledged), the agents' pings answered and the
 * frameworks subscribed (suppressed: no offer churn). Measured, each `runs` times:
 *
 * - first render: a fresh page load of /ui/tasks until the table counts every task (the SUBSCRIBE
 *   stream's whole state read, parsed, and the virtualised table drawn);
 * - a status change: a TASK_FINISHED appended to the log (as the task's agent would) until the
 *   page, filtered to that task, shows FINISHED (stamped in the page by a MutationObserver; the
 *   same machine's clock on both sides);
 * - a slider move: a random point typed into the sequence box until the page shows the cluster at
 *   that point (the 150 ms debounce of the box, /replay/state's fold, the parse and the render).
 *
 * Goals (issue 17): first render < 1 s, a status change visible < 250 ms, a slider move < 1 s.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { type AgentId, type ClusterEvent, type FrameworkId, SCHEMA_VERSION, type TaskId, asFrameworkId, encode, subjectFor } from '../events/index.js';
import { type Bus, connectBus, ensureStream, headSeq } from '../kernel/shell/bus.js';
import { evolve, initialState } from '../kernel/core/fold/index.js';
import { openSnapshotStore } from '../kernel/shell/master/snapshots.js';
import { type AgentPongs, startAgentPongs } from './agent-pongs.js';
import { type BenchBus, startBenchNats } from './bus.js';
import { clusterEventCount, clusterEvents } from './cluster-state.js';
import { type Decliner, startDecliner } from './decliner.js';
import { silentLogger } from './log.js';
import { type MasterProcess, healthy, spawnMasterProcess } from './master-process.js';
import { prefillLog } from './prefill.js';
import { Prng } from './prng.js';
import { metric } from './stats.js';
import { SanityError, type BenchContext, type BenchResult } from './types.js';

export interface WebUiBenchOptions {
  readonly agents: number;
  readonly tasks: number;
  readonly frameworks: number;
  /** Page loads, status changes and slider moves measured (each). */
  readonly runs: number;
  readonly seed: number;
  readonly chromium: string;
  /** The pre-fill snapshots the state every this many events, as a leader does (its default). */
  readonly snapshotEvery: number;
}

export const defaultWebUiBenchOptions = (): WebUiBenchOptions => ({ agents: 10_000, tasks: 100_000, frameworks: 4, runs: 5, seed: 17, chromium: '/usr/bin/chromium', snapshotEvery: 10_000 });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new SanityError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function runWebUiBench(o: WebUiBenchOptions, ctx: BenchContext): Promise<BenchResult> {
  const started = performance.now();
  let nb: BenchBus | undefined;
  let writer: Bus | undefined;
  let pongs: AgentPongs | undefined;
  const decliners: Decliner[] = [];
  let master: MasterProcess | undefined;
  let browser: BrowserContext | undefined;
  let profile: string | undefined;
  try {
    nb = await startBenchNats();
    writer = await connectBus({ servers: nb.url, name: 'bench-webui-writer', log: silentLogger(), ...nb.historyWriter() });
    await ensureStream(writer.jsm);
    const frameworkIds: FrameworkId[] = Array.from({ length: o.frameworks }, () => asFrameworkId(randomUUID()));
    const shape = { agents: o.agents, tasks: o.tasks, frameworkIds, frameworkName: (j: number) => `bench-webui-${j}`, seed: o.seed };
    const total = clusterEventCount(shape);
    ctx.progress(`webui: appending the log of ${o.agents.toLocaleString('en-US')} agents running ${o.tasks.toLocaleString('en-US')} tasks (${total.toLocaleString('en-US')} events)`);
    // The tasks whose status the runs change: each one of the first agents (agent i runs svc-<i mod F>-a<i>-t0).
    const victims: { agentId: AgentId; frameworkId: FrameworkId; taskId: TaskId }[] = [];
    // Folded alongside and snapshotted as a leader would (seq = index + 1 on a fresh stream), so that
    // a point of history is as near a snapshot as on a cluster that ran.
    const store = await openSnapshotStore(writer, 1, silentLogger());
    let state = initialState();
    let folded = 0;
    const writes: Promise<unknown>[] = [];
    const pre = await prefillLog(writer.js, clusterEvents(shape), {
      window: 512,
      onEvent: (e: ClusterEvent) => {
        state = evolve(state, e);
        if (++folded % o.snapshotEvery === 0) writes.push(store.write(state, folded));
        if (e.type === 'TaskStatusUpdated' && victims.length < o.runs && e.status.taskId.endsWith('-t0')) victims.push({ agentId: e.status.agentId, frameworkId: e.status.frameworkId, taskId: e.status.taskId });
      },
      progress: (n) => ctx.progress(`  ${n.toLocaleString('en-US')}/${total.toLocaleString('en-US')} appended`),
      progressEvery: 100_000,
    });
    await Promise.all(writes);
    state = initialState();
    if (pre.events !== total) throw new SanityError(`pre-fill appended ${pre.events} events, expected ${total}`);
    if (victims.length < o.runs) throw new SanityError(`only ${victims.length} tasks to change for ${o.runs} runs (give more agents)`);
    pongs = await startAgentPongs(nb.url, nb.pongResponder());
    for (let j = 0; j < o.frameworks; j++) {
      decliners.push(await startDecliner({ url: nb.url, ...nb.as('framework', frameworkIds[j]!), name: `bench-webui-${j}`, frameworkId: frameworkIds[j]!, refuseSeconds: 3600, chunk: 1000, suppressed: true }));
    }
    ctx.progress('webui: starting the master');
    master = await spawnMasterProcess(nb.url, [...nb.cliArgs('master', 'webui')], { label: 'webui', listenTimeoutMs: 180_000, heapMb: 4096 });
    const m = master;
    await until('the master to catch up (/health 200)', () => healthy(m), 300_000, 250);
    const url = m.url!;
    const head0 = await headSeq(writer.jsm);
    ctx.progress(`webui: master ${url} caught up at seq ${head0}; Chromium`);

    profile = await mkdtemp(join(tmpdir(), 'mesos-bench-webui-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: o.chromium,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const errors: string[] = [];
    const watch = (p: Page): Page => {
      p.setDefaultTimeout(120_000);
      p.on('pageerror', (e) => errors.push(e.message));
      return p;
    };

    // --- the server's part, measured from here: the SUBSCRIBED record (the whole state), and
    // /replay/state at random points other than the slider's (the master caches points it folded)
    const subscribed: number[] = [];
    let subscribedBytes = 0;
    // A failed call says why: undici's own cause, and whether the master still runs (its RSS and last lines).
    const explained = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
      try {
        return await f();
      } catch (e) {
        const cause = (e as { cause?: unknown }).cause;
        await sleep(500);
        throw new SanityError(
          `${what} failed: ${(e as Error).message}${cause !== undefined ? ` (cause: ${String((cause as Error).message ?? cause)})` : ''}; ` +
            `the master is ${m.alive() ? `running, RSS ${(m.rssBytes() / 2 ** 20).toFixed(0)} MiB` : 'gone'}; its last lines:\n${m.tail().split('\n').slice(-8).join('\n')}`,
        );
      }
    };
    for (let r = 0; r < o.runs; r++) {
      const ac = new AbortController();
      const t0 = performance.now();
      const res = await explained('the SUBSCRIBE call', () => fetch(`${url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: '{"type":"SUBSCRIBE"}', signal: ac.signal }));
      const reader = res.body!.getReader();
      let got = 0;
      let need = -1;
      let head = '';
      while (need < 0 || got < need) {
        const { value, done } = await reader.read();
        if (done) break;
        if (need < 0) {
          head += Buffer.from(value).toString('latin1');
          const nl = head.indexOf('\n');
          if (nl >= 0) {
            need = Number(head.slice(0, nl)) + nl + 1;
            got = head.length;
          }
        } else got += value.length;
      }
      subscribed.push(performance.now() - t0);
      subscribedBytes = need;
      ac.abort();
    }
    const serverPoint: number[] = [];
    let pointBytes = 0;
    const prng = new Prng(o.seed + 1);
    for (let r = 0; r < o.runs; r++) {
      const seq = 1 + Math.floor(prng.next() * (head0 - 1));
      const t0 = performance.now();
      const body = await explained(`/replay/state?at=${seq}`, async () => (await fetch(`${url}/replay/state?at=${seq}&view=operator`)).text());
      serverPoint.push(performance.now() - t0);
      pointBytes = body.length;
    }
    ctx.progress(`webui: SUBSCRIBED (${(subscribedBytes / 2 ** 20).toFixed(1)} MiB) in ${subscribed.map((x) => x.toFixed(0)).join(', ')} ms; /replay/state (${(pointBytes / 2 ** 20).toFixed(1)} MiB) in ${serverPoint.map((x) => x.toFixed(0)).join(', ')} ms`);

    // --- first render: fresh page loads of the tasks table
    const firstRender: number[] = [];
    const everyRow = `${o.tasks} rows`;
    for (let r = 0; r < o.runs; r++) {
      const p = watch(await browser.newPage());
      const t0 = Date.now();
      await p.goto(`${url}/ui/tasks`);
      await p.getByTestId('tasks-count').getByText(everyRow, { exact: true }).waitFor();
      firstRender.push(Date.now() - t0);
      ctx.progress(`  first render ${r + 1}/${o.runs}: ${firstRender.at(-1)} ms`);
      await p.close();
    }

    // --- a status change, on a page filtered to the task
    const page = watch(await browser.newPage());
    await page.goto(`${url}/ui/tasks`);
    await page.getByTestId('tasks-count').getByText(everyRow, { exact: true }).waitFor();
    const rng = new Prng(o.seed);
    const statusChange: number[] = [];
    for (const [r, v] of victims.entries()) {
      await page.getByRole('searchbox').fill(v.taskId);
      await page.locator('.tr', { hasText: v.taskId }).getByText('RUNNING').waitFor();
      // In the page (a string: this file is compiled without the DOM's types).
      await page.evaluate(`(() => {
        const w = window;
        const taskId = ${JSON.stringify(v.taskId)};
        w.__seenAt = null;
        if (w.__obs) w.__obs.disconnect();
        const check = () => {
          if (w.__seenAt !== null) return;
          for (const row of document.querySelectorAll('.tr')) if ((row.textContent || '').includes(taskId) && row.textContent.includes('FINISHED')) w.__seenAt = Date.now();
        };
        w.__obs = new MutationObserver(check);
        w.__obs.observe(document.body, { subtree: true, childList: true, characterData: true });
      })()`);
      const at = Date.now() + 1;
      const e: ClusterEvent = {
        type: 'TaskStatusUpdated',
        schemaVersion: SCHEMA_VERSION,
        id: rng.uuid(),
        time: at,
        status: { agentId: v.agentId, frameworkId: v.frameworkId, taskId: v.taskId, executorId: v.taskId as string as never, state: 'TASK_FINISHED', source: 'SOURCE_EXECUTOR', uuid: rng.uuid(), timestamp: at, containerId: rng.uuid() },
      } as ClusterEvent;
      const t0 = Date.now();
      await writer.js.publish(subjectFor(e), encode(e));
      const seenAt = await until('the page to show FINISHED', async () => ((await page.evaluate('window.__seenAt')) as number | null) ?? undefined, 30_000, 10);
      statusChange.push(seenAt - t0);
      ctx.progress(`  status change ${r + 1}/${o.runs}: ${statusChange.at(-1)} ms`);
    }
    await page.getByRole('searchbox').fill('');

    // --- slider moves: random points of the whole log
    const head = await headSeq(writer.jsm);
    const slider: number[] = [];
    const points: number[] = [];
    for (let r = 0; r < o.runs; r++) {
      const seq = 1 + Math.floor(rng.next() * (head - 1));
      points.push(seq);
      const box = page.getByTestId('seq-input');
      await box.fill(String(seq));
      const t0 = Date.now();
      await box.press('Enter');
      await page.getByTestId('past-banner').getByText(`as of seq ${seq}`, { exact: false }).waitFor();
      slider.push(Date.now() - t0);
      ctx.progress(`  slider to seq ${seq} (of ${head}): ${slider.at(-1)} ms`);
    }
    await page.getByRole('button', { name: 'Back to live' }).first().click();
    if (errors.length > 0) throw new SanityError(`the page threw: ${errors.slice(0, 3).join(' | ')}`);

    return {
      name: 'webui',
      params: { agents: o.agents, tasks: o.tasks, frameworks: o.frameworks, runs: o.runs, events: total, snapshotEvery: o.snapshotEvery },
      metrics: {
        first_render_ms: metric('ms', firstRender, { better: 'lower', note: `fresh load of /ui/tasks until it counts ${o.tasks} rows (goal < 1000)` }),
        status_change_ms: metric('ms', statusChange, { better: 'lower', note: 'TASK_FINISHED appended → shown on the page filtered to the task (goal < 250)' }),
        slider_ms: metric('ms', slider, { better: 'lower', note: 'a random seq typed in the box → the page shows that point (150 ms debounce included; goal < 1000)' }),
        server_subscribed_ms: metric('ms', subscribed, { better: 'lower', note: `the master's SUBSCRIBED record (${(subscribedBytes / 2 ** 20).toFixed(1)} MiB) read by node: the server's part of a first render` }),
        server_point_ms: metric('ms', serverPoint, { better: 'lower', note: `/replay/state?view=operator at another random point (${(pointBytes / 2 ** 20).toFixed(1)} MiB): the server's part of a slider move` }),
      },
      notes: [
        `log of ${total.toLocaleString('en-US')} events (${(pre.bytes / 2 ** 20).toFixed(0)} MiB) pre-filled in ${(pre.ms / 1000).toFixed(1)} s with ${writes.length} snapshots; slider points ${points.join(', ')} of ${head}`,
        `the master's peak RSS ${(m.peakRssBytes() / 2 ** 20).toFixed(0)} MiB`,
      ],
      details: { firstRender, statusChange, slider, points, head },
      wallMs: performance.now() - started,
    };
  } finally {
    await browser?.close().catch(() => undefined);
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
    await master?.kill().catch(() => undefined);
    for (const d of decliners) await d.stop().catch(() => undefined);
    await pongs?.stop().catch(() => undefined);
    await writer?.close().catch(() => undefined);
    await nb?.stop().catch(() => undefined);
  }
}
