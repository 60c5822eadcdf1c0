/**
 * What HTTP authentication and the ACLs cost (security/http): requests/s of the master's HTTP shell
 * (kernel/shell/http/server.ts) on one keep-alive connection without authentication, with HTTP
 * Basic required, and with Basic + a view-filtered state; the Basic check alone; one ACL decision
 * on a long rule list; and the view filter over a large projection.
 */
import { Agent, request } from 'node:http';
import { pino } from 'pino';
import { startHttpApi, json } from '../kernel/shell/http/server.js';
import { evolve, initialState } from '../kernel/core/fold/index.js';
import { EVENT_VERSIONS, SCHEMA_VERSION, refuseFilter, type ClusterEvent } from '../events/index.js';
import type { State } from '../kernel/core/state.js';
import { MASTER_REALMS, authorize, basicHeader, credentialStore, parseAcls, viewableState } from '../security/http/index.js';
import { metric } from './stats.js';
import type { BenchContext, BenchResult } from './types.js';
import { SanityError } from './types.js';

export interface HttpAuthBenchOptions {
  readonly requests: number;
  readonly frameworks: number;
  readonly tasksPerFramework: number;
  readonly runs: number;
}

export const defaultHttpAuthBenchOptions = (): HttpAuthBenchOptions => ({ requests: 5000, frameworks: 1000, tasksPerFramework: 10, runs: 3 });

let t = 1_700_000_000_000;
const env = (): { schemaVersion: number; id: string; time: number } => ({ schemaVersion: SCHEMA_VERSION, id: `e${t}`, time: t++ });

/** A projection with `frameworks` frameworks of users u0…u9, each running `tasks` tasks on one agent. */
function syntheticState(frameworks: number, tasks: number): State {
  let s = initialState();
  const fold = (e: unknown): void => {
    s = evolve(s, e as ClusterEvent);
  };
  fold({ type: 'LeaderElected', ...env(), epoch: 1, masterId: 'm', hostname: 'h', ip: '127.0.0.1', port: 5050 });
  fold({
    type: 'AgentRegistered',
    ...env(),
    agentId: 'a1',
    hostname: 'a1',
    port: 5051,
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: frameworks * tasks }, { name: 'mem', type: 'SCALAR', scalar: frameworks * tasks * 32 }],
    attributes: [],
    version: 'bench',
    isolation: 'posix',
  });
  for (let f = 0; f < frameworks; f++) {
    const fid = `fw-${f}`;
    fold({ type: 'FrameworkSubscribed', ...env(), frameworkId: fid, info: { name: fid, user: `u${f % 10}`, roles: ['*'], failoverTimeoutMs: 0, checkpoint: false, capabilities: [] } });
    fold({ type: 'OffersCreated', ...env(), epoch: 1, frameworkId: fid, offers: [{ offerId: `o-${f}`, agentId: 'a1', hostname: 'a1', role: '*', resources: [{ name: 'cpus', type: 'SCALAR', scalar: tasks }, { name: 'mem', type: 'SCALAR', scalar: tasks * 32 }] }] });
    fold({
      type: 'OffersAccepted',
      ...env(),
      schemaVersion: EVENT_VERSIONS.OffersAccepted,
      frameworkId: fid,
      offerIds: [`o-${f}`],
      operations: [
        {
          type: 'LAUNCH',
          tasks: Array.from({ length: tasks }, (_, i) => ({
            taskId: `t-${f}-${i}`,
            name: 't',
            agentId: 'a1',
            resources: [{ name: 'cpus', type: 'SCALAR', scalar: 1 }, { name: 'mem', type: 'SCALAR', scalar: 32 }],
            command: { value: 'sleep 1', shell: true },
          })),
        },
      ],
      filters: refuseFilter(0),
    });
  }
  return s;
}

function timeOps(n: number, f: () => unknown): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  return n / ((performance.now() - t0) / 1000);
}

/** `n` sequential GETs on one keep-alive connection; requests/s. */
async function sequentialGets(url: string, n: number, headers: Record<string, string>): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    if ((await once()) !== 200) throw new SanityError(`GET ${url} did not answer 200`);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await once();
    return n / ((performance.now() - t0) / 1000);
  } finally {
    agent.destroy();
  }
}

export async function runHttpAuthBench(o: HttpAuthBenchOptions, ctx: BenchContext): Promise<BenchResult> {
  const started = performance.now();
  const creds = Array.from({ length: 100 }, (_, i) => ({ principal: `p${i}`, secret: `secret-${i}-${'x'.repeat(24)}` }));
  const store = credentialStore(creds);
  const good = basicHeader('p42', creds[42]!.secret);
  const bad = basicHeader('p42', 'wrong');
  if (store.check(good).kind !== 'ok' || store.check(bad).kind !== 'refused') throw new SanityError('the Basic check does not decide as it should');
  const rules = Array.from({ length: 50 }, (_, i) => ({ principals: { values: [`p${i}`] }, users: { values: [`u${i}`] } }));
  const acls = parseAcls(
    JSON.stringify({
      permissive: false,
      run_tasks: rules,
      view_frameworks: [{ principals: { values: ['p1'] }, users: { values: ['u1', 'u2', 'u3'] } }],
      view_tasks: [{ principals: { type: 'ANY' }, users: { type: 'ANY' } }],
    }),
    'bench',
  );
  ctx.progress(`building a projection of ${o.frameworks} frameworks × ${o.tasksPerFramework} tasks`);
  const state = syntheticState(o.frameworks, o.tasksPerFramework);
  if (state.tasks.size !== o.frameworks * o.tasksPerFramework) throw new SanityError(`the synthetic state holds ${state.tasks.size} tasks`);
  const seen = viewableState(state, acls, 'p1');
  if (seen.frameworks.size !== Math.ceil((o.frameworks * 3) / 10) && o.frameworks >= 10) throw new SanityError(`the view holds ${seen.frameworks.size} frameworks`);

  const log = pino({ level: 'silent' });
  const body = { ok: true };
  const routes = [
    { method: 'GET' as const, path: '/plain', handler: () => json(body) },
    { method: 'GET' as const, path: '/authed', realm: 'readonly' as const, handler: () => json(body) },
    { method: 'GET' as const, path: '/view', realm: 'readonly' as const, handler: (_r: unknown, _u: unknown, c: { principal: string | undefined }) => json({ n: viewableState(state, acls, c.principal).frameworks.size }) },
  ];
  const api = await startHttpApi({ ip: '127.0.0.1', port: 0, routes, log, auth: { credentials: store, readonly: true, readwrite: true, frameworks: true, realmNames: MASTER_REALMS } });
  const base = `http://127.0.0.1:${api.port}`;
  const samples: Record<string, number[]> = { open: [], basic: [], view: [], check: [], acl: [], filter: [] };
  try {
    for (let run = 0; run < o.runs; run++) {
      ctx.progress(`run ${run + 1}/${o.runs}`);
      samples.open!.push(await sequentialGets(`${base}/plain`, o.requests, {}));
      samples.basic!.push(await sequentialGets(`${base}/authed`, o.requests, { Authorization: good }));
      samples.view!.push(await sequentialGets(`${base}/view`, Math.max(50, Math.floor(o.requests / 50)), { Authorization: basicHeader('p1', creds[1]!.secret) }));
      samples.check!.push(timeOps(100_000, () => store.check(good)));
      samples.acl!.push(timeOps(100_000, () => authorize(acls, 'run_tasks', 'p49', 'u49')));
      const t0 = performance.now();
      const k = 20;
      for (let i = 0; i < k; i++) viewableState(state, acls, 'p1');
      samples.filter!.push((performance.now() - t0) / k);
    }
  } finally {
    await api.close();
  }
  return {
    name: 'httpauth',
    params: { ...o, credentials: creds.length, runTasksRules: rules.length },
    metrics: {
      'GET, no auth (req/s)': metric('req/s', samples.open!),
      'GET, Basic required (req/s)': metric('req/s', samples.basic!),
      [`GET, Basic + view of ${state.tasks.size} tasks (req/s)`]: metric('req/s', samples.view!),
      'Basic check (checks/s)': metric('checks/s', samples.check!),
      [`ACL decision, ${rules.length} rules (decisions/s)`]: metric('decisions/s', samples.acl!),
      [`view filter, ${o.frameworks} fw × ${o.tasksPerFramework} tasks (ms)`]: metric('ms', samples.filter!, { better: 'lower' }),
    },
    notes: [
      'one keep-alive connection, requests one after another: the per-request cost of the HTTP shell with and without the Basic check (sha256 of the given secret, timingSafeEqual)',
      'the view filter copies the frameworks, tasks, executors and offers a principal may see; it runs only when an ACL can restrict the views',
    ],
    wallMs: performance.now() - started,
  };
}
