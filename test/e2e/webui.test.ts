/**
 * The web dashboard in a real headless Chromium (Debian's, driven by playwright-core): `mesos dev`
 * serves it at /, tasks launched with `mesos execute` show on the pages, the live view follows
 * the event stream (a status change is on the page within a second of the master having it), the
 * time-travel box shows a task RUNNING in the past that is FINISHED now, and no page logs a
 * console error. Screenshots go to the test's output dir (MESOS_TEST_OUTPUT or a temp dir).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { MESOS, type DevProcess, frameworkCreds, startDev } from '../helpers/dev-process.js';
import { waitFor } from '../helpers/wait.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const OUT = process.env.MESOS_TEST_OUTPUT ?? mkdtempSync(join(tmpdir(), 'mesos-webui-shots-'));
let dev: DevProcess;
let master = '';
let nats = '';
let profile = '';
let browser: BrowserContext;
let page: Page;
const errors: string[] = [];

const tasks = async (): Promise<J[]> => {
  const s = (await (await fetch(`${master}/master/state`)).json()) as J;
  return (s.frameworks as J[]).concat(s.completed_frameworks as J[]).flatMap((f) => [...(f.tasks as J[]), ...(f.completed_tasks as J[])]);
};
const headSeq = async (): Promise<number> => Number(((await (await fetch(`${master}/replay/state?at=head&view=operator`)).json()) as J).seq); // readonly realm: open in dev
const shot = (name: string) => page.screenshot({ path: join(OUT, `${name}.png`) });

test.before(async () => {
  mkdirSync(OUT, { recursive: true });
  dev = await startDev(['--agents', '1']);
  master = /master:\s+(http:\/\/\S+)/.exec(dev.output())![1]!;
  nats = /nats:\s+(nats:\/\/\S+)/.exec(dev.output())![1]!;
  profile = mkdtempSync(join(tmpdir(), 'mesos-webui-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
});

test.after(async () => {
  await browser?.close().catch(() => undefined);
  if (dev !== undefined && dev.proc.exitCode === null) {
    dev.proc.kill('SIGINT');
    await dev.exited;
  }
  rmSync(profile, { recursive: true, force: true });
  rmSync(dev?.data ?? '', { recursive: true, force: true });
});

test('each page shows the cluster; the live view follows a status change within a second; the past shows it RUNNING', async () => {
  const done = spawnSync(process.execPath, [MESOS, 'execute', '--nats', nats, '--creds', frameworkCreds(dev.data), '--name', 'webui-hello', '--command', 'echo hello from the web ui', '--timeout', '30s'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(done.status, 0, done.stdout + done.stderr);

  // `mesos dev` asks for credentials on the read-write realm (the operator API): the page signs in as its operator.
  const creds = (JSON.parse(readFileSync(join(dev.data, 'credentials', 'http.json'), 'utf8')) as J).credentials as J[];
  const operator = creds.find((c) => c.principal === 'operator')!;
  await page.addInitScript((c: string) => (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem('mesos-credentials', c), JSON.stringify({ principal: 'operator', secret: operator.secret }));
  await page.goto(`${master}/`);
  await page.locator('[data-testid="live-status"].on').waitFor({ timeout: 10_000 }).catch(async (e: unknown) => {
    await shot('failed-start');
    throw new Error(`${(e as Error).message}; console: ${errors.join(' | ')}`);
  });
  await page.getByText('finished 1').waitFor({ timeout: 5000 });
  await shot('overview');

  await page.getByRole('link', { name: 'Tasks' }).click();
  await page.getByRole('cell', { name: 'webui-hello' }).first().waitFor({ timeout: 5000 });
  await shot('tasks');

  // A task that runs for a while: the page sees it start, then finish, as the master does.
  // In /tmp itself: the task runs as nobody, who cannot look into the test's 0700 temp dirs.
  const hold = join(tmpdir(), `mesos-webui-hold-${process.pid}`);
  rmSync(hold, { force: true });
  const run = spawn(process.execPath, [MESOS, 'execute', '--nats', nats, '--creds', frameworkCreds(dev.data), '--name', 'webui-sleeper', '--command', `while [ ! -e ${hold} ]; do sleep 0.1; done`, '--timeout', '60s'], { stdio: 'ignore' });
  const exited = new Promise((r) => run.once('exit', r));
  let runningSeq = 0;
  await waitFor(async () => {
    const t = (await tasks()).find((x) => x.name === 'webui-sleeper');
    if (t?.state !== 'TASK_RUNNING') return false;
    runningSeq = await headSeq();
    return true;
  }, 'the sleeper to run', 30_000, 50);
  const row = page.locator('.tr', { hasText: 'webui-sleeper' });
  await row.getByText('RUNNING').waitFor({ timeout: 1000 });
  spawnSync('touch', [hold]);
  await waitFor(async () => (await tasks()).find((x) => x.name === 'webui-sleeper')?.state === 'TASK_FINISHED', 'the sleeper to finish', 30_000, 20);
  const seen = Date.now();
  await row.getByText('FINISHED').waitFor({ timeout: 1000 });
  const lag = Date.now() - seen;
  assert.ok(lag < 1000, `the page showed FINISHED ${lag} ms after the master had it`);
  await exited;
  rmSync(hold, { force: true });

  // The past: at the sequence where it was running.
  await page.getByTestId('seq-input').fill(String(runningSeq));
  await page.getByTestId('seq-input').press('Enter');
  await page.getByTestId('past-banner').waitFor({ timeout: 5000 });
  await row.getByText('RUNNING').waitFor({ timeout: 5000 });
  await shot('tasks-past');
  await page.getByRole('button', { name: 'Back to live' }).first().click();
  await row.getByText('FINISHED').waitFor({ timeout: 5000 });

  for (const [name, text] of [
    ['Frameworks', 'webui-hello (mesos execute)'],
    ['Agents', 'active'],
    ['Roles', 'Quota guarantees'],
    ['Offers', 'Outstanding offers'],
    ['Maintenance', 'No maintenance is scheduled.'],
  ] as const) {
    await page.getByRole('link', { name, exact: true }).click();
    await page.locator('main').getByText(text, { exact: false }).first().waitFor({ timeout: 5000 });
    await shot(name.toLowerCase());
  }

  // A task's page: its timeline from the log.
  await page.goto(`${master}/ui/tasks`);
  await page.getByRole('link', { name: /webui-sleeper|^\S+$/ }).first().waitFor({ timeout: 5000 });
  await page.locator('.tr', { hasText: 'webui-sleeper' }).getByRole('link').click();
  await page.getByTestId('timeline').getByText('TASK_FINISHED').first().waitFor({ timeout: 5000 });
  await page.getByTestId('timeline').getByText('TASK_RUNNING').first().waitFor({ timeout: 5000 });
  await shot('task');

  // Dark theme, by keyboard.
  await page.getByRole('button', { name: 'Dark theme' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('html[data-theme="dark"]').waitFor({ timeout: 5000 });
  // The choice outlives the page.
  await page.goto(`${master}/`);
  assert.is(await page.locator('html').getAttribute('data-theme'), 'dark');
  await shot('overview-dark');

  assert.equal(errors, [], 'no console errors');
});

test.run();
