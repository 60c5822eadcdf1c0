/**
 * Bench: deploy an app of N instances (default 1,000) with the services framework on emulated
 * agents (a real nats-server and master; the agents record their launch commands and report
 * TASK_RUNNING at once). Prints the time from the POST to every task launched, to every task
 * running and the deployment finished. `node dist/scripts/bench-services.js [N] [agents]`.
 * (In scripts/ because it drives the test helpers' emulated agents.)
 */
import { startServices } from '../frameworks/services/index.js';
import { tasksOf } from '../frameworks/services/state.js';
import { startCluster } from '../test/helpers/cluster.js';
import { type EmulatedAgent, startEmulatedAgent } from '../test/helpers/emulated-agent.js';
import { waitFor } from '../test/helpers/wait.js';

const n = Number(process.argv[2] ?? 1000);
const agentCount = Number(process.argv[3] ?? 25);
const cluster = await startCluster({ agents: 0 });
const agents: EmulatedAgent[] = [];
for (let i = 0; i < agentCount; i++) agents.push(await startEmulatedAgent(cluster.nats, cluster.log, 'cpus:8;mem:16384;disk:1024', { hostname: `h${i}` }));
await waitFor(() => cluster.master.state().agents.size === agentCount, 'agents', 30_000);
const svc = await startServices({ nats: cluster.nats.url, ...cluster.services(), port: 0, user: 'root', failoverTimeoutMs: 600_000, log: cluster.log });
const fw = svc.engine.frameworkId;
const reported = new Set<string>();
const t0 = performance.now();
const res = await fetch(`${svc.url}/v2/apps`, { method: 'POST', body: JSON.stringify({ id: '/bench', cmd: 'x', cpus: 0.1, mem: 16, instances: n, portDefinitions: [] }) });
if (res.status !== 201) throw new Error(`POST: ${res.status} ${await res.text()}`);
let launchedAt = 0;
await waitFor(async () => {
  for (const a of agents) for (const c of a.commands) if (c.type === 'LaunchTasks') for (const t of c.tasks) if (!reported.has(t.taskId)) {
    reported.add(t.taskId);
    await a.report(fw, t.taskId, 'TASK_RUNNING');
  }
  if (launchedAt === 0 && reported.size >= n) launchedAt = performance.now();
  const s = svc.engine.state();
  return tasksOf(s, '/bench').filter((t) => t.state === 'TASK_RUNNING').length === n && s.deployments.length === 0;
}, 'the deployment', 600_000, 50);
const t1 = performance.now();
process.stdout.write(`services bench: ${n} instances on ${agentCount} emulated agents: all launched in ${((launchedAt - t0) / 1000).toFixed(2)} s, all running and the deployment finished in ${((t1 - t0) / 1000).toFixed(2)} s (${(n / ((t1 - t0) / 1000)).toFixed(0)} tasks/s)\n`);
await svc.close();
for (const a of agents) await a.close();
await cluster.stop();
