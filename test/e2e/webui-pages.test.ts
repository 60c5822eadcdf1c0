/**
 * The dashboard's task, framework, diff and overview pages in a real headless Chromium against
 * `mesos dev`: the overview's live totals move with the event stream (no reload), it names the
 * leader and the standbys with their lag behind the log's head, and the last `replay verify` over
 * all history with its findings; a task's page has its whole timeline from the log (with seqs),
 * its cgroup usage from the agent, and its sandbox as a file browser (into a folder and back), a
 * tail that follows a growing stdout, and a download; a framework whose demand waits shows why
 * (the allocator's recorded reasons); the diff view between two moments shows a task that went
 * RUNNING → FINISHED. No page logs a console error. Screenshots in the test's output dir.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type WebUi, masterTasks, startWebUi } from '../helpers/webui.js';
import { waitFor } from '../helpers/wait.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const OUT = process.env.MESOS_TEST_OUTPUT ?? mkdtempSync(join(tmpdir(), 'mesos-webui-pages-shots-'));

let ui: WebUi;
const hold = join(tmpdir(), `mesos-webui-pages-hold-${process.pid}`);

test.before(async () => {
  rmSync(hold, { force: true });
  ui = await startWebUi({ out: OUT });
  await ui.page.addInitScript((c: string) => (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem('mesos-credentials', c), JSON.stringify({ principal: 'operator', secret: ui.secret('operator') }));
});

test.after(async () => {
  spawnSync('touch', [hold]);
  await ui?.stop();
  rmSync(hold, { force: true });
});

const headSeq = async (): Promise<number> => Number(((await (await fetch(`${ui.master}/replay/state?at=head&view=operator`)).json()) as J).seq);

test('overview: live totals follow the stream; the masters and their lag; verify', async () => {
  const { page, master } = ui;
  await page.goto(`${master}/`);
  await page.locator('[data-testid="live-status"].on').waitFor({ timeout: 15_000 });
  await page.getByTestId('allocated-cpus').getByText('0', { exact: true }).waitFor();
  await page.getByTestId('masters').getByRole('cell', { name: 'leader' }).waitFor();
  const lag = await page.getByTestId('masters').locator('tbody tr td').nth(3).textContent();
  assert.match(lag ?? '', /^\d+/);

  // A task that writes a line every 0.2 s, with a folder in its sandbox; the page is not reloaded.
  ui.execute('pages-writer', `mkdir -p sub && echo inner > sub/inner.txt; i=0; while [ ! -e ${hold} ]; do i=$((i+1)); echo line-$i; sleep 0.2; done; echo done-writing`);
  await waitFor(async () => (await masterTasks(master)).find((x) => x.name === 'pages-writer' && x.state === 'TASK_RUNNING'), 'the writer to run', 60_000, 100);
  await page.getByTestId('allocated-cpus').getByText('0.1', { exact: true }).waitFor({ timeout: 5000 });
  await page.getByTestId('task-counts').getByText('running 1').waitFor({ timeout: 5000 });

  await page.getByTestId('verify-summary').getByText('No findings').waitFor({ timeout: 30_000 });
  await ui.shot('overview-masters-verify');
});

test('task page: the timeline from the log, usage, the sandbox browser, a tail that follows, a download', async () => {
  const { page, master } = ui;
  const t = (await masterTasks(master)).find((x) => x.name === 'pages-writer')!;
  await page.goto(`${master}/ui/tasks/${encodeURIComponent(String(t.framework_id))}/${encodeURIComponent(String(t.id))}`);
  const timeline = page.getByTestId('timeline');
  await timeline.locator('li[data-seq]', { hasText: 'TASK_RUNNING' }).first().waitFor({ timeout: 15_000 });
  assert.ok((await timeline.locator('li[data-seq]').count()) >= 3, 'the launch, the agent’s statuses and more');
  await timeline.getByText('OffersAccepted').first().waitFor();
  await page.getByTestId('usage').getByText(/cpus_limit|mem_rss_bytes|cpus_user_time_secs/).first().waitFor({ timeout: 15_000 });

  // The sandbox: its files, into a folder and back.
  const files = page.getByTestId('files');
  await files.getByRole('button', { name: 'stdout' }).waitFor({ timeout: 15_000 });
  await files.getByRole('button', { name: 'stderr' }).waitFor();
  await files.getByRole('button', { name: 'sub/' }).click();
  await files.getByRole('button', { name: 'inner.txt' }).waitFor();
  await page.getByRole('button', { name: 'Up' }).click();
  await files.getByRole('button', { name: 'stdout' }).click();
  // The tail follows the file as it grows.
  const sandbox = page.getByTestId('sandbox');
  await sandbox.getByText(/line-\d+/).first().waitFor({ timeout: 10_000 });
  const last = async (): Promise<number> => Math.max(0, ...[...((await sandbox.textContent()) ?? '').matchAll(/line-(\d+)/g)].map((m) => Number(m[1])));
  const seen = await last();
  await waitFor(async () => (await last()) >= seen + 5, 'the tail to follow the growing stdout', 15_000, 200);
  await ui.shot('task-sandbox');
  // A download, as the browser does it.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('files').getByRole('link', { name: 'Download stdout' }).click()]);
  const path = await download.path();
  assert.match(readFileSync(path, 'utf8'), /line-1\n/);

  // It finishes: the timeline gains the status, from the log.
  const runningSeq = await headSeq();
  spawnSync('touch', [hold]);
  await timeline.locator('li[data-seq]', { hasText: 'TASK_FINISHED' }).first().waitFor({ timeout: 30_000 });
  await page.getByTestId('task-state').getByText('TASK_FINISHED').waitFor();
  await ui.shot('task-timeline');

  // The diff from when it ran to now.
  await page.goto(`${master}/ui/diff?from=${runningSeq}&to=head`);
  await page.getByTestId('diff-tasks').getByText(/RUNNING → FINISHED/).waitFor({ timeout: 30_000 });
  assert.match((await page.getByTestId('diff-tasks').textContent()) ?? '', /pages-writer/);
  // And by the form: from the first event to the head, the task launched and finished.
  await page.getByTestId('diff-from').fill('1');
  await page.getByTestId('diff-to').fill('head');
  await page.getByRole('button', { name: 'Compare' }).click();
  await page.getByTestId('diff-tasks').getByText(/pages-writer launched: .*FINISHED/).waitFor({ timeout: 30_000 });
  await ui.shot('diff');
  // A bad moment: the master's reason.
  await page.getByTestId('diff-from').fill('yesterday');
  await page.getByRole('button', { name: 'Compare' }).click();
  await page.getByRole('alert').getByText(/from=/).waitFor({ timeout: 10_000 });
  assert.ok(ui.errors.every((e) => /status of 400/.test(e)), ui.errors.join(' | '));
  ui.errors.splice(0);
});

test('framework page: why its demand waits, as the allocator recorded it', async () => {
  const { page, master } = ui;
  // A role capped at no cpus: its framework gets no offer, and the allocator says why.
  const q = await ui.op({ type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'capped', limits: { cpus: { value: 0 } } }] } });
  assert.is(q.status, 200, q.text);
  ui.execute('pages-pending', 'true', ['--role', 'capped']);
  const fw = await waitFor(async () => ((await (await fetch(`${master}/master/frameworks`)).json()) as J).frameworks.find((f: J) => f.name === 'pages-pending (mesos execute)' || String(f.name).startsWith('pages-pending')), 'the framework to subscribe', 60_000, 100);
  const auth = { Authorization: `Basic ${Buffer.from(`operator:${ui.secret('operator')}`).toString('base64')}` };
  await waitFor(async () => {
    const r = (await (await fetch(`${master}/replay/why-pending?framework=${String(fw.id)}`, { headers: auth })).json()) as J;
    return ((r.frameworks as J[])[0]?.recorded as J[] | undefined)?.some((x) => (x.reasons as J[]).length > 0);
  }, 'the allocator to record why', 30_000, 500);
  await page.goto(`${master}/ui/frameworks/${encodeURIComponent(String(fw.id))}`);
  const why = page.getByTestId('why-pending');
  await ui.explained('why-pending page', () => why.getByText(/seq \d+/).first().waitFor({ timeout: 30_000 }));
  assert.match((await why.textContent()) ?? '', /capped/);
  await ui.shot('framework-why-pending');

  assert.equal(ui.errors, [], 'no console errors');
});

test.run();
