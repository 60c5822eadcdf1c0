/**
 * What the dashboard's browser tests share: `mesos dev` with the dashboard, Debian's headless
 * Chromium (playwright-core), console errors collected, signing in as one of `mesos dev`'s HTTP
 * principals (operator, framework) through the page's own form, screenshots into the test's output
 * dir (MESOS_TEST_OUTPUT or a temp dir), a task started with `mesos execute` that runs until told
 * to stop, and a clean stop of all of it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { MESOS, type DevProcess, frameworkCreds, startDev } from './dev-process.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CHROMIUM = '/usr/bin/chromium';

export interface WebUi {
  readonly dev: DevProcess;
  readonly master: string;
  readonly nats: string;
  readonly page: Page;
  readonly out: string;
  /** Console errors and page errors so far (each with the page's URL). */
  readonly errors: string[];
  secret(principal: 'operator' | 'framework'): string;
  shot(name: string): Promise<void>;
  /** Runs `body`; when it throws, prints what the page showed (its text, URL, live status) and a screenshot, then throws on. */
  explained<T>(what: string, body: () => Promise<T>): Promise<T>;
  signIn(principal: 'operator' | 'framework'): Promise<void>;
  /** An operator API call as `operator` (JSON in, JSON or '' out). */
  op(body: J): Promise<{ status: number; text: string }>;
  /** Starts `mesos execute` of `command`; `stop()` ends the framework's run. */
  execute(name: string, command: string, extra?: readonly string[]): { proc: ChildProcess; exited: Promise<unknown> };
  stop(): Promise<void>;
}

export async function startWebUi(o: { devArgs?: readonly string[]; acls?: J; out: string }): Promise<WebUi> {
  mkdirSync(o.out, { recursive: true });
  const args = ['--agents', '1', ...(o.devArgs ?? [])];
  let aclFile: string | undefined;
  if (o.acls !== undefined) {
    aclFile = join(mkdtempSync(join(tmpdir(), 'mesos-webui-acls-')), 'acls.json');
    writeFileSync(aclFile, JSON.stringify(o.acls));
    args.push('--acls', aclFile);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the browser tests need Debian's chromium (bash scripts/browser.sh installs it; npm test does so when it runs them)`);
  const dev = await startDev(args);
  const master = /master:\s+(http:\/\/\S+)/.exec(dev.output())![1]!;
  const nats = /nats:\s+(nats:\/\/\S+)/.exec(dev.output())![1]!;
  const profile = mkdtempSync(join(tmpdir(), 'mesos-webui-chromium-'));
  const stopDev = async (): Promise<void> => {
    if (dev.proc.exitCode === null) {
      dev.proc.kill('SIGINT');
      await dev.exited;
    }
    rmSync(profile, { recursive: true, force: true });
    rmSync(dev.data, { recursive: true, force: true });
  };
  const browser: BrowserContext = await chromium
    .launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    .catch(async (err: unknown) => {
      // Without a browser there is no test: stop the cluster rather than leave it running.
      await stopDev();
      throw err;
    });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  // Requests the page has in flight (for the failure report): a page stuck "connecting" says why.
  const inFlight = new Map<object, { url: string; method: string; at: number; answered?: number }>();
  page.on('request', (r) => inFlight.set(r, { url: r.url(), method: r.method(), at: Date.now() }));
  page.on('response', (r) => {
    const f = inFlight.get(r.request());
    if (f !== undefined) f.answered = r.status();
  });
  page.on('requestfinished', (r) => inFlight.delete(r));
  page.on('requestfailed', (r) => inFlight.delete(r));
  const creds = (JSON.parse(readFileSync(join(dev.data, 'credentials', 'http.json'), 'utf8')) as J).credentials as J[];
  const secret = (p: string): string => String(creds.find((c) => c.principal === p)!.secret);
  const asOperator = { Authorization: `Basic ${Buffer.from(`operator:${secret('operator')}`).toString('base64')}` };
  const procs: ChildProcess[] = [];
  return {
    dev,
    master,
    nats,
    page,
    out: o.out,
    errors,
    secret,
    shot: async (name) => {
      await page.screenshot({ path: join(o.out, `${name}.png`), fullPage: true });
    },
    explained: async (what, body) => {
      try {
        return await body();
      } catch (err) {
        const text = await page.locator('body').innerText({ timeout: 2000 }).catch((e: unknown) => `(no text: ${(e as Error).message})`);
        const live = await page.getByTestId('live-status').getAttribute('class', { timeout: 2000 }).catch(() => '?');
        const name = `failed-${what.replace(/\W+/g, '-')}`;
        await page.screenshot({ path: join(o.out, `${name}.png`), fullPage: true }).catch(() => undefined);
        const pending = [...inFlight.values()].map((r) => `${r.method} ${r.url} (${Date.now() - r.at} ms, ${r.answered !== undefined ? `answered ${r.answered}` : 'no answer yet'})`);
        const subscribers = await fetch(`${master}/metrics/snapshot`)
          .then(async (r) => ((await r.json()) as J)['master/operator_event_stream_subscribers'])
          .catch((e: unknown) => (e as Error).message);
        // The same stream from outside the browser: does the master answer SUBSCRIBE now?
        const probeStarted = Date.now();
        const probe = await fetch(`${master}/api/v1`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...asOperator },
          body: JSON.stringify({ type: 'SUBSCRIBE' }),
          signal: AbortSignal.timeout(5000),
        })
          .then(async (r) => {
            const reader = r.body!.getReader();
            const first = await reader.read();
            void reader.cancel();
            return `status ${r.status}, first ${first.value?.length ?? 0} bytes after ${Date.now() - probeStarted} ms`;
          })
          .catch((e: unknown) => `failed after ${Date.now() - probeStarted} ms: ${(e as Error).message}`);
        process.stderr.write(`${what} failed at ${page.url()} (live-status class '${live}'); console errors ${JSON.stringify(errors)}; requests in flight: ${JSON.stringify(pending)}; the master's stream subscribers: ${String(subscribers)}; a SUBSCRIBE from the test: ${probe}; screenshot ${join(o.out, `${name}.png`)}; the page showed:\n${text.slice(0, 4000)}\n`);
        throw err;
      }
    },
    signIn: async (principal) => {
      await page.locator('header .right').waitFor();
      await page.locator('header .right button', { hasText: /^Sign in$|^Signed in as/ }).click();
      await page.locator('form.signin input[autocomplete="username"]').fill(principal);
      await page.locator('form.signin input[type="password"]').fill(secret(principal));
      await page.locator('form.signin button[type="submit"]').click();
      await page.locator('header .right button', { hasText: `Signed in as ${principal}` }).waitFor({ timeout: 5000 });
      await page.locator('[data-testid="live-status"].on').waitFor({ timeout: 10_000 });
    },
    op: async (body) => {
      const r = await fetch(`${master}/api/v1`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...asOperator },
        body: JSON.stringify(body),
      });
      return { status: r.status, text: await r.text() };
    },
    execute: (name, command, extra = []) => {
      const proc = spawn(process.execPath, [MESOS, 'execute', '--nats', nats, '--creds', frameworkCreds(dev.data), '--name', name, '--command', command, '--timeout', '90s', ...extra], { stdio: 'ignore' });
      procs.push(proc);
      return { proc, exited: new Promise((r) => proc.once('exit', r)) };
    },
    stop: async () => {
      await browser.close().catch(() => undefined);
      for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
      await stopDev();
      if (aclFile !== undefined) rmSync(join(aclFile, '..'), { recursive: true, force: true });
    },
  };
}

/** The tasks the master has (live and completed), from /master/state. */
export async function masterTasks(master: string): Promise<J[]> {
  const s = (await (await fetch(`${master}/master/state`)).json()) as J;
  return (s.frameworks as J[]).concat(s.completed_frameworks as J[]).flatMap((f) => [...(f.tasks as J[]), ...(f.completed_tasks as J[])]);
}
