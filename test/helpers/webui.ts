/**
 * What the dashboard's browser tests share: `mesos dev` with the dashboard, Debian's headless
 * Chromium (playwright-core), console errors collected, signing in as one of `mesos dev`'s HTTP
 * principals (operator, framework) through the page's own form, screenshots into the test's output
 * dir (MESOS_TEST_OUTPUT or a temp dir), a task started with `mesos execute` that runs until told
 * to stop, and a clean stop of all of it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { MESOS, type DevProcess, frameworkCreds, startDev } from './dev-process.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

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
  const dev = await startDev(args);
  const master = /master:\s+(http:\/\/\S+)/.exec(dev.output())![1]!;
  const nats = /nats:\s+(nats:\/\/\S+)/.exec(dev.output())![1]!;
  const profile = mkdtempSync(join(tmpdir(), 'mesos-webui-chromium-'));
  const browser: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  const creds = (JSON.parse(readFileSync(join(dev.data, 'credentials', 'http.json'), 'utf8')) as J).credentials as J[];
  const secret = (p: string): string => String(creds.find((c) => c.principal === p)!.secret);
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
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Basic ${Buffer.from(`operator:${secret('operator')}`).toString('base64')}` },
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
      if (dev.proc.exitCode === null) {
        dev.proc.kill('SIGINT');
        await dev.exited;
      }
      rmSync(profile, { recursive: true, force: true });
      rmSync(dev.data, { recursive: true, force: true });
      if (aclFile !== undefined) rmSync(join(aclFile, '..'), { recursive: true, force: true });
    },
  };
}

/** The tasks the master has (live and completed), from /master/state. */
export async function masterTasks(master: string): Promise<J[]> {
  const s = (await (await fetch(`${master}/master/state`)).json()) as J;
  return (s.frameworks as J[]).concat(s.completed_frameworks as J[]).flatMap((f) => [...(f.tasks as J[]), ...(f.completed_tasks as J[])]);
}
