/**
 * A framework as a process of its own, for chaos tests that kill it with SIGKILL and start it again.
 *
 * It runs tasks `<prefix>-0` … `<prefix>-<n-1>` (the command and resources given) over the offers
 * it gets, acknowledging every update, as a real scheduler does. It keeps a journal (append-only,
 * fsync'd) of what it launched and what finished, as a real scheduler keeps its state in a store,
 * so that when it is started again with the same framework id it knows its plan: it subscribes
 * (within its failover timeout, keeping its tasks), reconciles the tasks its journal says it
 * launched, launches again those the master does not know (the accept never reached the log), and
 * goes on with the rest.
 *
 * Usage: node framework-process.js '<json options>'; prints one JSON line per event on stdout:
 * {"ev":"subscribed"}, {"ev":"update","taskId","state","reason"}, {"ev":"done","finished":n}.
 */
import { appendFileSync, closeSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { pino } from 'pino';
import { type OfferId, type TaskStatus, isTerminal } from '../../events/index.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { parseResources } from '../../kernel/core/resources.js';
import { packTasks } from './workload.js';

interface Options {
  nats: string;
  /** The framework's own NATS credentials (issued for `frameworkId`). */
  creds?: string;
  frameworkId: string;
  name: string;
  tasks: number;
  prefix: string;
  command: string;
  resources: string;
  perOffer: number;
  failoverTimeoutMs: number;
  journal: string;
}

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const say = (x: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(x)}\n`);

/** The journal: one line per fact, flushed to disk before we act on it. */
function record(fact: { launched?: string[]; finished?: string }): void {
  appendFileSync(o.journal, `${JSON.stringify(fact)}\n`);
  const fd = openSync(o.journal, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readJournal(): { launched: Set<string>; finished: Set<string> } {
  const launched = new Set<string>();
  const finished = new Set<string>();
  let text = '';
  try {
    text = readFileSync(o.journal, 'utf8');
  } catch {
    return { launched, finished };
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const f = JSON.parse(line) as { launched?: string[]; finished?: string };
      for (const t of f.launched ?? []) launched.add(t);
      if (f.finished !== undefined) finished.add(f.finished);
    } catch {
      // a torn last line (killed mid-write): the fact it was to record did not happen yet
    }
  }
  return { launched, finished };
}

async function main(): Promise<void> {
  const log = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }));
  const s: Scheduler = await subscribe({
    nats: o.nats,
    ...(o.creds !== undefined ? { creds: o.creds } : {}),
    name: o.name,
    frameworkId: o.frameworkId,
    failoverTimeoutMs: o.failoverTimeoutMs,
    log,
  });
  say({ ev: 'subscribed' });
  const per = parseResources(o.resources);
  const { launched, finished } = readJournal();
  const all = Array.from({ length: o.tasks }, (_, i) => `${o.prefix}-${i}`);
  const pending: string[] = [];

  const onUpdate = (u: TaskStatus): void => {
    say({ ev: 'update', taskId: u.taskId, state: u.state, reason: u.reason });
    void s.acknowledge(u).catch(() => undefined);
    if (u.state === 'TASK_FINISHED') {
      if (!finished.has(u.taskId)) {
        finished.add(u.taskId);
        record({ finished: u.taskId });
      }
      if (finished.size === o.tasks) say({ ev: 'done', finished: finished.size });
    } else if (isTerminal(u.state) && !finished.has(u.taskId)) {
      // Not launched after all (a refused accept), or lost with its agent: run it again.
      pending.push(u.taskId);
      void s.revive().catch(() => undefined);
    }
  };
  s.updates$.subscribe(onUpdate);

  // What became of what we launched before (if we ran before): ask the master.
  const before = [...launched].filter((t) => !finished.has(t));
  if (before.length > 0) {
    const answers = await s.reconcile(before.map((taskId) => ({ taskId })));
    for (const a of answers) {
      if (a.state === 'TASK_FINISHED') {
        finished.add(a.taskId);
        record({ finished: a.taskId });
      } else if (isTerminal(a.state)) pending.push(a.taskId); // unknown to the master, or ended badly
      // else: still live; its updates will come
    }
  }
  for (const t of all) if (!launched.has(t)) pending.push(t);
  if (finished.size === o.tasks) say({ ev: 'done', finished: finished.size });

  s.offers$.subscribe((offer) => {
    const tasks = packTasks(pending, offer, per, o.perOffer, o.command);
    if (tasks.length === 0) {
      void s.decline([offer.id as OfferId], 1).catch(() => undefined);
      return;
    }
    record({ launched: tasks.map((t) => t.taskId) });
    void s.accept([offer.id], tasks, { refuseSeconds: 0 }).catch(() => pending.push(...tasks.map((t) => t.taskId)));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`framework process failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
