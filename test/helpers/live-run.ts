/**
 * A small real cluster that lives through what a log must record — used to record the golden logs
 * (scripts/record-golden.ts) and by the live replay tests: a real nats-server, two `mesos master`
 * processes (one is killed -9 mid-run: a failover), two agents running real processes, a framework
 * on the native SDK launching tasks that finish, fail and are killed, a framework built against
 * the previous SDK that writes version-1 accepts and declines, malformed messages, an agent that
 * stops, and a teardown.
 *
 * While it runs it samples `/master/state` together with the log sequence the master had folded
 * (read when the log is quiet: the master's sequence before and after the state, and the log's
 * head, all equal), so that a replay can be compared with what the master said at that moment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Subscription } from 'rxjs';
import { type AgentHandle, startAgent } from '../../agent/index.js';
import { type OfferId, type TaskStateName, subjects } from '../../events/index.js';
import { type Bus, headSeq } from '../../kernel/shell/bus.js';
import * as R from '../../kernel/core/resources.js';
import { type Offer, type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { type SecureTestNats, withSecureNats } from './nats.js';
import { findLeader, type MasterProcess, spawnMaster } from './processes.js';
import { waitFor } from './wait.js';

export interface StateSample {
  /** What had just happened. */
  readonly label: string;
  /** The log sequence the master had folded (and the log's head) when it answered. */
  readonly seq: number;
  /** `/master/state` as the leading master answered. */
  readonly state: Record<string, unknown>;
}

export interface LiveRun {
  readonly natsUrl: string;
  /** The auditor's credentials: `mesos replay --creds` (or MESOS_CREDS) reads the log with them. */
  readonly auditorCreds: string;
  readonly samples: StateSample[];
  readonly frameworkId: string;
  readonly legacyFrameworkId: string;
  readonly agentIds: string[];
  /** Each task's states as the framework saw them. */
  readonly taskStates: Map<string, TaskStateName[]>;
  /** Stop everything but nats-server (so that the log can still be read). */
  stopCluster(): Promise<void>;
  /** Stop nats-server too and remove the temporary files. */
  stop(): Promise<void>;
}

export interface LiveRunOptions {
  readonly log: Logger;
  /** Progress lines (the recorder prints them). */
  readonly say?: (line: string) => void;
  /** Kill -9 the leading master halfway (default true). */
  readonly failover?: boolean;
}

const enc = new TextEncoder();

async function json(url: string): Promise<Record<string, unknown>> {
  const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return (await r.json()) as Record<string, unknown>;
}

/** `/master/state` with the sequence it reflects, taken when the log is quiet. */
export async function sampleMasterState(masterUrl: string, bus: Bus, label: string): Promise<StateSample> {
  return waitFor(
    async () => {
      const seqOf = async (): Promise<number> => (await json(`${masterUrl}/metrics/snapshot`))['log/seq'] as number;
      const s1 = await seqOf();
      const state = await json(`${masterUrl}/master/state`);
      const s2 = await seqOf();
      const head = await headSeq(bus.jsm);
      return s1 === s2 && s2 === head ? { label, seq: head, state } : undefined;
    },
    `a quiet moment to sample /master/state (${label})`,
    30_000,
    100,
  );
}

export async function runLiveCluster(o: LiveRunOptions): Promise<LiveRun> {
  const say = o.say ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'mesos-live-'));
  // A secured bus, as `mesos dev`'s: each master, agent and framework with its own credentials.
  const nats: SecureTestNats = await withSecureNats();
  const masters: MasterProcess[] = [];
  const agents: AgentHandle[] = [];
  const subs = new Subscription();
  let sched: Scheduler | undefined;
  let bus: Bus | undefined;
  const extra: Bus[] = [];
  const cleanup = async (): Promise<void> => {
    subs.unsubscribe();
    await sched?.close().catch(() => undefined);
    await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
    for (const m of masters) if (m.proc.exitCode === null && m.proc.signalCode === null) m.proc.kill('SIGTERM');
    await Promise.all(masters.map((m) => m.exited));
    await bus?.close();
    await Promise.all(extra.map((b) => b.close().catch(() => undefined)));
  };
  try {
    const masterArgs = ['--leader-lease', '500ms', '--allocation-interval', '200ms', '--snapshot-every', '25', '--agent-ping-timeout', '5s'];
    masters.push(await spawnMaster(nats.url, [...masterArgs, '--creds', nats.creds('master', 'm1')]), await spawnMaster(nats.url, [...masterArgs, '--creds', nats.creds('master', 'm2')]));
    let leader = await waitFor(() => findLeader(masters), 'a leading master', 30_000);
    say(`masters up, ${leader.url} leads`);
    // The samples read the log's head as the auditor.
    bus = await nats.bus('auditor', 'live-run', o.log);
    for (const [i, ports] of ['[31000-31099]', '[32000-32099]'].entries()) {
      agents.push(
        await startAgent(
          { nats: nats.url, creds: nats.creds('agent', randomUUID()), workDir: join(dir, `agent-${i + 1}`), resources: `cpus:2;mem:1024;disk:1024;ports:${ports}`, isolation: 'posix', killGracePeriodMs: 500, allowRootTasks: true, hostname: `agent-${i + 1}.golden` },
          o.log,
        ),
      );
    }
    const agentIds = agents.map((a) => a.agentId as string);
    say(`agents ${agentIds.join(', ')} registered`);

    sched = await subscribe({ ...nats.framework(), name: 'golden', user: 'root', roles: ['*'], log: o.log, capabilities: ['PARTITION_AWARE'] });
    const s = sched;
    const held = new Map<OfferId, Offer>();
    const taskStates = new Map<string, TaskStateName[]>();
    subs.add(s.offers$.subscribe((offer) => held.set(offer.id, offer)));
    subs.add(s.rescinds$.subscribe((id) => held.delete(id)));
    subs.add(
      s.updates$.subscribe((st) => {
        const seen = taskStates.get(st.taskId) ?? [];
        if (seen.at(-1) !== st.state) seen.push(st.state);
        taskStates.set(st.taskId, seen);
        void s.acknowledge(st).catch(() => undefined);
      }),
    );
    const reached = (taskId: string, state: TaskStateName) =>
      waitFor(() => taskStates.get(taskId)?.includes(state), `task ${taskId} to reach ${state}`, 30_000).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; it went ${taskStates.get(taskId)?.join(' → ') ?? 'nowhere'}`);
      });
    const offerFor = async (need: string, agentId?: string): Promise<Offer> => {
      const want = R.parseResources(need);
      const offer = await waitFor(() => [...held.values()].find((x) => (agentId === undefined || x.agentId === agentId) && R.contains(x.resources, want)), `an offer holding ${need}`, 30_000);
      held.delete(offer.id);
      return offer;
    };
    /**
     * Accept an offer for `tasks`. An offer can be rescinded between our choosing it and the
     * accept reaching the log (an election rescinds every offer): the accept is then refused, the
     * tasks are dropped, and another offer is tried.
     */
    const launch = async (tasks: Array<{ taskId: string; command: string; resources: string }>, agentId?: string): Promise<Offer> => {
      for (let attempt = 1; ; attempt++) {
        const offer = await offerFor(R.format(R.add(...tasks.map((t) => R.parseResources(t.resources)))), agentId);
        const seen = tasks.map((t) => taskStates.get(t.taskId)?.length ?? 0);
        await s.accept([offer.id], tasks.map((t) => ({ ...t, agentId: offer.agentId })), { refuseSeconds: 0 });
        const outcome = await waitFor(
          () => {
            const news = tasks.map((t, i) => (taskStates.get(t.taskId) ?? []).slice(seen[i]));
            if (news.some((n) => n.includes('TASK_DROPPED'))) return 'dropped';
            return news.every((n) => n.length > 0) ? 'launched' : undefined;
          },
          `the tasks ${tasks.map((t) => t.taskId).join(', ')} to start or be dropped`,
          30_000,
        );
        if (outcome === 'launched') return offer;
        if (attempt === 3) throw new Error(`the accept of ${tasks.map((t) => t.taskId).join(', ')} was refused ${attempt} times`);
        say(`the accept of ${tasks.map((t) => t.taskId).join(', ')} was refused (the offer was gone); another offer`);
      }
    };
    const samples: StateSample[] = [];
    const sample = async (label: string): Promise<void> => {
      const l = await waitFor(() => findLeader(masters), 'a leading master', 30_000);
      samples.push(await sampleMasterState(l.url, bus!, label));
      say(`sampled /master/state at seq ${samples.at(-1)!.seq}: ${label}`);
    };

    // 1. A task that finishes and one that fails, from one offer.
    await launch([
      { taskId: 'ok-1', command: 'echo golden', resources: 'cpus:0.1;mem:32' },
      { taskId: 'fail-1', command: 'exit 3', resources: 'cpus:0.1;mem:32' },
    ]);
    await reached('ok-1', 'TASK_FINISHED');
    await reached('fail-1', 'TASK_FAILED');
    say('ok-1 finished, fail-1 failed');

    // 2. A long task, killed by its framework.
    await launch([{ taskId: 'sleep-1', command: 'sleep 300', resources: 'cpus:0.2;mem:64' }]);
    await reached('sleep-1', 'TASK_RUNNING');
    await sample('sleep-1 running');
    await s.kill('sleep-1');
    await reached('sleep-1', 'TASK_KILLED');
    say('sleep-1 killed');

    // The first framework steps aside (its held offers declined for a minute) so that the next
    // one gets offers at once; it revives later.
    await s.decline([...held.keys()], 60);
    held.clear();

    // 3. A framework written against the previous SDK: version-1 accept and decline (optional
    //    refuseSeconds, no filters), as raw messages on its own subjects.
    const legacy = await subscribe({ ...nats.framework(), name: 'legacy', user: 'root', roles: ['*'], log: o.log });
    // Its raw messages go out with its own credentials, on its own subjects.
    const legacyBus = await nats.bus('framework', legacy.frameworkId, o.log, 'legacy-raw');
    extra.push(legacyBus);
    const legacyOffers = new Map<OfferId, Offer>();
    const legacySeen = new Set<string>();
    subs.add(legacy.offers$.subscribe((offer) => legacyOffers.set(offer.id, offer)));
    subs.add(legacy.rescinds$.subscribe((id) => legacyOffers.delete(id)));
    subs.add(
      legacy.updates$.subscribe((st) => {
        legacySeen.add(`${st.taskId}:${st.state}`);
        void legacy.acknowledge(st).catch(() => undefined);
      }),
    );
    const legacyOffer = async (): Promise<Offer> => {
      const offer = await waitFor(() => [...legacyOffers.values()][0], 'an offer to the legacy framework', 30_000);
      legacyOffers.delete(offer.id);
      return offer;
    };
    const v1 = async (call: 'accepted' | 'declined', body: Record<string, unknown>): Promise<void> => {
      await legacyBus.js.publish(subjects.frameworkCall(legacy.frameworkId, call), enc.encode(JSON.stringify({ schemaVersion: 1, id: randomUUID(), time: Date.now(), frameworkId: legacy.frameworkId, ...body })));
    };
    const lo = await legacyOffer();
    await v1('accepted', {
      type: 'OffersAccepted',
      offerIds: [lo.id],
      operations: [{ type: 'LAUNCH', tasks: [{ taskId: 'legacy-1', name: 'legacy-1', agentId: lo.agentId, resources: R.parseResources('cpus:0.1;mem:32'), command: { value: 'true' } }] }],
    });
    await waitFor(() => legacySeen.has('legacy-1:TASK_FINISHED'), 'legacy-1 to finish', 30_000);
    const lo2 = await legacyOffer();
    await v1('declined', { type: 'OffersDeclined', offerIds: [lo2.id], refuseSeconds: 1 });
    say('legacy framework: v1 accept (legacy-1 finished) and v1 decline');

    // 4. Malformed messages: not JSON, and an accept without its offers.
    await legacyBus.js.publish(subjects.frameworkCall(legacy.frameworkId, 'accepted'), enc.encode('this is not an event'));
    await legacyBus.js.publish(subjects.frameworkCall(legacy.frameworkId, 'accepted'), enc.encode(JSON.stringify({ type: 'OffersAccepted', schemaVersion: 2, id: 'bad', time: 1, frameworkId: legacy.frameworkId })));
    await legacy.teardown();
    await sample('legacy framework torn down, malformed messages skipped');

    // 5. Failover: kill -9 the leader; the standby takes over with the next epoch.
    if (o.failover !== false) {
      leader = (await findLeader(masters))!;
      leader.proc.kill('SIGKILL');
      await leader.exited;
      const next = await waitFor(async () => {
        const l = await findLeader(masters);
        return l !== undefined && l !== leader ? l : undefined;
      }, 'a new leader after kill -9', 30_000);
      say(`killed the leader; ${next.url} leads now`);
    }

    // 6. Work under the new leader.
    await s.revive();
    await launch([{ taskId: 'after-1', command: 'echo after failover', resources: 'cpus:0.1;mem:32' }]);
    await reached('after-1', 'TASK_FINISHED');
    await sample('after-1 finished under the new leader');

    // 7. A task on agent 2, then agent 2 stops: its task is killed and it disconnects.
    await launch([{ taskId: 'long-2', command: 'sleep 300', resources: 'cpus:0.1;mem:32' }], agentIds[1]);
    await reached('long-2', 'TASK_RUNNING');
    await agents[1]!.stop();
    await reached('long-2', 'TASK_KILLED');
    await sample('agent 2 stopped');

    // 8. Teardown.
    subs.unsubscribe();
    await s.teardown();
    sched = undefined;
    await sample('framework torn down');

    const natsUrl = nats.url;
    return {
      natsUrl,
      auditorCreds: nats.creds('auditor', 'auditor'),
      samples,
      frameworkId: s.frameworkId,
      legacyFrameworkId: legacy.frameworkId,
      agentIds,
      taskStates,
      stopCluster: cleanup,
      async stop() {
        await cleanup();
        await nats.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await cleanup().catch(() => undefined);
    await nats.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
