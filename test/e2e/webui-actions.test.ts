/**
 * The dashboard's operator actions in a real headless Chromium, against `mesos dev` with ACLs that
 * let the principal `operator` do everything and deny `framework` every operator action: signed in
 * as `framework`, each action is there but disabled, with the master's reason beside it; signed in
 * as `operator`, each asks for confirmation (Cancel does nothing), runs, and shows its result — or
 * the API's error text when the master refuses (a quota the cluster cannot guarantee). Kill a
 * task, set a weight, set a quota, schedule maintenance for the agent, drain it, deactivate it,
 * mark it gone, take its machine down and bring it up; tear down a framework. No console error but
 * the one the refused call logs. Screenshots in the test's output dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type WebUi, masterTasks, startWebUi } from '../helpers/webui.js';
import { waitFor } from '../helpers/wait.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const OUT = process.env.MESOS_TEST_OUTPUT ?? mkdtempSync(join(tmpdir(), 'mesos-webui-actions-shots-'));

/** Every operator action allowed to `operator`, denied to anyone else (a NONE object denies). */
const ACTIONS = ['teardown_frameworks', 'update_weights', 'update_quotas', 'drain_agents', 'deactivate_agents', 'reactivate_agents', 'mark_agents_gone', 'update_maintenance_schedules', 'start_maintenances', 'stop_maintenances'] as const;
const OBJECT: Record<string, string> = { teardown_frameworks: 'framework_principals', update_weights: 'roles', update_quotas: 'roles', update_maintenance_schedules: 'machines', start_maintenances: 'machines', stop_maintenances: 'machines' };
const acls: J = { permissive: true };
for (const a of ACTIONS) {
  const object = OBJECT[a] ?? 'agents';
  acls[a] = [
    { principals: { values: ['operator'] }, [object]: { type: 'ANY' } },
    { principals: { type: 'ANY' }, [object]: { type: 'NONE' } },
  ];
}

let ui: WebUi;

test.before(async () => {
  ui = await startWebUi({ acls, out: OUT });
});

test.after(async () => {
  await ui?.stop();
});

/** Opens the action's dialog, and confirms it (or cancels). */
async function act(label: string, o: { fill?: Record<string, string>; cancel?: boolean; noResult?: boolean } = {}): Promise<string> {
  const { page } = ui;
  const slug = label.toLowerCase().replace(/\W+/g, '-');
  const box = page.locator(`[data-action="${slug}"]`).first();
  await box.getByRole('button', { name: label }).first().click();
  const dialog = page.getByTestId(`dialog-${slug}`).first();
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  for (const [field, value] of Object.entries(o.fill ?? {})) await dialog.getByLabel(field).fill(value);
  if (o.cancel === true) {
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 5000 });
    return '';
  }
  await dialog.locator('button[type="submit"]').click();
  if (o.noResult === true) return '';
  const result = box.getByTestId('action-result');
  await result.waitFor({ timeout: 15_000 });
  return (await result.textContent()) ?? '';
}

test('signed in as a principal the ACLs deny: the actions are disabled, each with the reason', () =>
  ui.explained('denied actions', async () => {
  const { page, master } = ui;
  const hold = join(tmpdir(), `mesos-webui-actions-hold-${process.pid}`);
  rmSync(hold, { force: true });
  ui.execute('act-sleeper', `while [ ! -e ${hold} ]; do sleep 0.2; done`);
  const t = await waitFor(async () => (await masterTasks(master)).find((x) => x.name === 'act-sleeper' && x.state === 'TASK_RUNNING'), 'the sleeper to run', 60_000, 100);

  await page.goto(`${master}/`);
  await ui.signIn('framework');
  // Before signing in the page was refused (401s, which the browser logs): expected, and only those.
  assert.ok(ui.errors.every((e) => /status of 401/.test(e)), ui.errors.join(' | '));
  ui.errors.splice(0);
  await page.goto(`${master}/ui/tasks/${encodeURIComponent(String(t.framework_id))}/${encodeURIComponent(String(t.id))}`);
  const kill = page.locator('[data-action="kill-task"]');
  await kill.getByTestId('not-allowed').waitFor({ timeout: 10_000 });
  assert.ok(await kill.getByRole('button', { name: 'Kill task' }).isDisabled());
  assert.match((await kill.getByTestId('not-allowed').textContent()) ?? '', /Principal 'framework' is not authorized to tear down frameworks/);
  await ui.shot('actions-denied-task');

  await page.getByRole('link', { name: 'Roles', exact: true }).click();
  await page.getByLabel('Role', { exact: true }).fill('eng');
  const weight = page.locator('[data-action="set-weight"]');
  await weight.getByTestId('not-allowed').waitFor({ timeout: 10_000 });
  assert.ok(await weight.getByRole('button', { name: 'Set weight' }).isDisabled());
  assert.match((await weight.getByTestId('not-allowed').textContent()) ?? '', /update the weight of role 'eng'/);

  const agentId = String(((await (await fetch(`${master}/master/state`)).json()) as J).slaves[0].id);
  await page.goto(`${master}/ui/agents/${encodeURIComponent(agentId)}`);
  for (const label of ['Drain agent', 'Deactivate agent', 'Mark agent gone', 'Schedule maintenance']) {
    const box = page.locator(`[data-action="${label.toLowerCase().replace(/\W+/g, '-')}"]`);
    await box.getByTestId('not-allowed').waitFor({ timeout: 10_000 });
    assert.ok(await box.getByRole('button', { name: label }).isDisabled(), `${label} is disabled`);
  }
  await ui.shot('actions-denied-agent');
  spawnSync('touch', [hold]);
  }),
);

test('signed in as operator: each action asks, runs, and shows its result or the API error', () =>
  ui.explained('operator actions', async () => {
  const { page, master } = ui;
  const hold = join(tmpdir(), `mesos-webui-actions-hold2-${process.pid}`);
  rmSync(hold, { force: true });
  ui.execute('act-victim', `while [ ! -e ${hold} ]; do sleep 0.2; done`);
  ui.execute('act-keeper', `while [ ! -e ${hold} ]; do sleep 0.2; done`);
  const keeper = await waitFor(async () => (await masterTasks(master)).find((x) => x.name === 'act-keeper' && x.state === 'TASK_RUNNING'), 'the keeper to run', 60_000, 100);
  const t = await waitFor(async () => (await masterTasks(master)).find((x) => x.name === 'act-victim' && x.state === 'TASK_RUNNING'), 'the victim to run', 60_000, 100);

  await ui.signIn('operator');
  await page.goto(`${master}/ui/tasks/${encodeURIComponent(String(t.framework_id))}/${encodeURIComponent(String(t.id))}`);
  await page.getByTestId('task-state').getByText('TASK_RUNNING').waitFor({ timeout: 10_000 });
  await page.locator('[data-action="kill-task"] > button:not([disabled])').waitFor({ timeout: 10_000 });
  // Cancel does nothing.
  await act('Kill task', { cancel: true });
  await new Promise((r) => setTimeout(r, 500));
  assert.is((await masterTasks(master)).find((x) => x.id === t.id)?.state, 'TASK_RUNNING');
  assert.is(await act('Kill task'), 'Kill requested.');
  await page.getByTestId('task-state').getByText('TASK_KILLED').waitFor({ timeout: 15_000 });
  await ui.shot('actions-killed');

  // A weight: set, and the master has it.
  await page.getByRole('link', { name: 'Roles', exact: true }).click();
  await page.getByLabel('Role', { exact: true }).fill('eng');
  await page.locator('[data-action="set-weight"] > button:not([disabled])').waitFor({ timeout: 10_000 });
  assert.is(await act('Set weight', { fill: { Weight: '3' } }), 'Weight of eng set to 3.');
  const weights = JSON.parse((await ui.op({ type: 'GET_WEIGHTS' })).text) as J;
  assert.ok((weights.get_weights.weight_infos as J[]).some((w) => w.role === 'eng' && w.weight === 3), JSON.stringify(weights));
  // A bad input is refused in the dialog, before any call.
  await page.locator('[data-action="set-weight"] button').first().click();
  const dialog = page.getByTestId('dialog-set-weight');
  await dialog.getByLabel('Weight').fill('0');
  await dialog.locator('button[type="submit"]').click();
  await dialog.getByRole('alert').getByText('The weight must be a number above 0').waitFor({ timeout: 5000 });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  // A quota the cluster cannot guarantee: the master's error text is shown.
  const errorsBefore = ui.errors.length;
  const refused = await act('Set quota', { fill: { 'Guaranteed cpus': '100000' } });
  assert.match(refused, /^UPDATE_QUOTA: 4\d\d/);
  assert.match(refused, /cpus/);
  await ui.shot('actions-quota-refused');
  // The browser logs the refused call's status: that one and no other.
  assert.ok(ui.errors.slice(errorsBefore).every((e) => /status of 4\d\d/.test(e)), ui.errors.join(' | '));
  ui.errors.splice(errorsBefore);
  assert.is(await act('Set quota', { fill: { 'Guaranteed cpus': '', 'Limit cpus': '2', 'Limit mem (MB)': '512' } }), 'Quota of eng updated.');

  // A framework: tear it down (the keeper's, still running).
  await page.goto(`${master}/ui/frameworks/${encodeURIComponent(String(keeper.framework_id))}`);
  await page.locator('[data-action="tear-down-framework"] > button:not([disabled])').waitFor({ timeout: 10_000 });
  assert.is(await act('Tear down framework'), 'Done.');
  await waitFor(async () => ((await (await fetch(`${master}/master/frameworks`)).json()) as J).completed_frameworks.some((f: J) => f.id === keeper.framework_id), 'the framework to be torn down', 15_000, 100);
  // The agent: schedule maintenance, deactivate and reactivate, drain, mark gone.
  const agent = ((await (await fetch(`${master}/master/state`)).json()) as J).slaves[0] as J;
  await page.goto(`${master}/ui/agents/${encodeURIComponent(String(agent.id))}`);
  await page.locator('[data-action="schedule-maintenance"] > button:not([disabled])').waitFor({ timeout: 10_000 });
  assert.is(await act('Schedule maintenance', { fill: { 'Starts in (minutes)': '60', 'Lasts (hours)': '2' } }), 'Scheduled.');
  const schedule = JSON.parse((await ui.op({ type: 'GET_MAINTENANCE_SCHEDULE' })).text) as J;
  assert.is((schedule.get_maintenance_schedule.schedule.windows as J[]).length, 1);
  assert.is(await act('Deactivate agent'), 'Done.');
  await page.getByTestId('agent-state').getByText('deactivated').waitFor({ timeout: 10_000 });
  assert.is(await act('Reactivate agent'), 'Done.');
  await page.getByTestId('agent-state').getByText('active').waitFor({ timeout: 10_000 });
  assert.is(await act('Drain agent', { fill: { 'Grace period (seconds, optional)': '1' } }), 'Draining.');
  await page.getByTestId('agent-state').getByText('draining').waitFor({ timeout: 10_000 });
  await ui.shot('actions-agent');
  // The page of an agent marked gone goes with it (its removal may come before the call's answer).
  await act('Mark agent gone', { noResult: true });
  await page.getByRole('alert').getByText(`No agent ${String(agent.id)}`).waitFor({ timeout: 15_000 });

  // Its machine: down, then up.
  await page.getByRole('link', { name: 'Maintenance', exact: true }).click();
  const host = String(agent.hostname);
  assert.is(await act(`Take ${host} / ${String(agent.pid).split('@')[1]!.split(':')[0]} down`), 'Done.');
  const status = JSON.parse((await ui.op({ type: 'GET_MAINTENANCE_STATUS' })).text) as J;
  assert.is((status.get_maintenance_status.status.down_machines as J[]).length, 1, JSON.stringify(status));
  await page.getByRole('link', { name: 'Overview', exact: true }).click();
  await page.getByRole('link', { name: 'Maintenance', exact: true }).click();
  assert.is(await act(`Bring ${host} / ${String(agent.pid).split('@')[1]!.split(':')[0]} up`), 'Done.');
  await ui.shot('actions-maintenance');

  spawnSync('touch', [hold]);
  rmSync(hold, { force: true });
  rmSync(join(tmpdir(), `mesos-webui-actions-hold-${process.pid}`), { force: true });

  assert.equal(ui.errors, [], 'no console errors');
  }),
);

test.run();
