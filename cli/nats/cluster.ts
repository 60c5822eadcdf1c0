// A JetStream cluster on one machine: N servers with routes to each other (a full mesh).

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNatsServer } from './binary.js';
import { NatsServerError } from './errors.js';
import { getFreePort } from './ports.js';
import { metaView, natsHealth, sleep, waitForJetStream, waitForPlacement } from './probes.js';
import { cleanupOnExit } from './reaper.js';
import { startNatsServer } from './server.js';
import type { NatsClusterOptions, NatsServerOptions, RunningNatsCluster, RunningNatsServer } from './types.js';

/**
 * How long a cluster's members get to elect a JetStream meta leader and join it: a few seconds
 * usually, but more than 10 on a machine busy with other work (seen once on 2 loaded cores).
 */
const CLUSTER_READY_MS = 30_000;


/**
 * Starts `size` nats-servers on `host` with routes to each other (a full mesh), distinct client,
 * cluster and monitoring ports and one store dir each (`<storeRoot>/n1`, …), then waits until
 * JetStream answers and every member is healthy (`/healthz`). A size of 1 is a plain server (no
 * cluster block) with the same layout.
 */
export async function startNatsCluster(o: NatsClusterOptions): Promise<RunningNatsCluster> {
  if (!Number.isInteger(o.size) || o.size < 1) throw new Error(`a NATS cluster needs 1 or more servers (got ${o.size})`);
  const host = o.host ?? '127.0.0.1';
  const bin = o.bin ?? findNatsServer();
  const clientPorts: number[] = [];
  const clusterPorts: number[] = [];
  const monitorPorts: number[] = [];
  if (o.nodes !== undefined && o.nodes.length !== o.size) throw new Error(`a NATS cluster of ${o.size} needs ${o.size} nodes (got ${o.nodes.length})`);
  const hostOf = (i: number): string => o.nodes?.[i]?.host ?? host;
  for (let i = 0; i < o.size; i++) {
    if (o.nodes !== undefined) {
      // An address of its own: the well-known ports are free there.
      clientPorts.push((o.firstPort || 4222) + i);
      clusterPorts.push(6222);
      monitorPorts.push(8222);
      continue;
    }
    clientPorts.push(o.firstPort ? o.firstPort + i : await getFreePort(host));
    clusterPorts.push(await getFreePort(host));
    monitorPorts.push(await getFreePort(host));
  }
  const fmt = (h: string): string => (h.includes(':') ? `[${h}]` : h);
  const routes = clusterPorts.map((p, i) => `nats-route://${fmt(hostOf(i))}:${p}`);
  const names = clientPorts.map((_, i) => `n${i + 1}`);
  if (o.logDir !== undefined) await mkdir(o.logDir, { recursive: true });
  let tempRoot: string | undefined;
  let storeRoot = o.storeRoot;
  if (storeRoot === undefined) {
    tempRoot = await mkdtemp(join(tmpdir(), 'mesos-nats-cluster-'));
    cleanupOnExit.add(tempRoot);
    storeRoot = tempRoot;
  }
  // One server is not a cluster (a lone server with a cluster block never elects a meta leader).
  const clustered = o.size > 1;
  const optionsOf = (i: number): NatsServerOptions => ({
    bin,
    host: hostOf(i),
    ...(o.nodes?.[i] !== undefined ? { wrap: o.nodes[i]!.wrap } : {}),
    port: clientPorts[i]!,
    ...(clustered ? { clusterPort: clusterPorts[i]!, clusterName: o.clusterName ?? 'mesos', routes } : {}),
    serverName: names[i]!,
    storeDir: join(storeRoot, names[i]!),
    monitorPort: monitorPorts[i]!,
    ready: 'client',
    ...(o.detached === true ? { detached: true } : {}),
    ...(o.auth !== undefined ? { auth: o.auth } : {}),
    ...(o.syncInterval !== undefined ? { syncInterval: o.syncInterval } : {}),
    ...(o.logDir !== undefined ? { logFile: join(o.logDir, `nats-${names[i]}.log`) } : {}),
    ...(o.readyTimeoutMs !== undefined ? { readyTimeoutMs: o.readyTimeoutMs } : {}),
  });
  const servers: RunningNatsServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
    if (tempRoot !== undefined) {
      cleanupOnExit.delete(tempRoot);
      await rm(tempRoot, { recursive: true, force: true, maxRetries: 3 });
    }
  };
  const restart = async (i: number): Promise<RunningNatsServer> => {
    const old = servers[i];
    if (old === undefined) throw new Error(`no server ${i} in this cluster`);
    await old.stop(); // waits for it to be gone (after a kill, only cleans up)
    const s = await startNatsServer(optionsOf(i));
    servers[i] = s;
    return s;
  };
  const waitHealthy = async (indices: readonly number[] = servers.map((_, i) => i), timeoutMs = o.readyTimeoutMs ?? CLUSTER_READY_MS) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const health = await Promise.all(indices.map(async (i) => ({ index: i, name: names[i]!, ...(await natsHealth(servers[i]!)) })));
      // /healthz can say ok for a member that has never reached the meta leader (it is still
      // "bootstrapping"): in a cluster, a member must also see a meta leader, and that leader must
      // count it a current peer.
      if (clustered) {
        const views = await Promise.all(servers.map((srv, i) => metaView(srv, names[i]!)));
        const leaderName = views.find((v) => v !== null && v.leader !== '' && v.self === v.leader)?.leader;
        const leaderView = views.find((v) => v?.self === leaderName) ?? null;
        for (const h of health) {
          if (!h.ok) continue;
          const v = views[h.index];
          if (v === null || v === undefined || v.leader === '') Object.assign(h, { ok: false, error: 'has no JetStream meta leader' });
          else if (leaderView !== null && v.self !== leaderView.self && !leaderView.current.has(h.name)) {
            Object.assign(h, { ok: false, error: `is not a current peer of the meta leader ${leaderView.self}` });
          }
        }
      }
      const sick = health.filter((h) => !h.ok).map((h) => ({ index: h.index, name: h.name, error: h.error ?? 'unhealthy' }));
      if (sick.length === 0 || Date.now() >= deadline) return sick;
      await sleep(200);
    }
  };
  const readyMs = o.readyTimeoutMs ?? CLUSTER_READY_MS;
  try {
    // In parallel: a member is "ready" once it takes clients; JetStream needs a quorum of them.
    const started = await Promise.allSettled(clientPorts.map((_, i) => startNatsServer(optionsOf(i))));
    for (const r of started) if (r.status === 'fulfilled') servers.push(r.value);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await waitForJetStream(
      servers.map((s) => s.url),
      readyMs,
      o.auth?.probeCreds,
    );
    // A meta leader is not enough: until every member has joined it, an R3 stream cannot be placed
    // ("no suitable peers"). Now and then (nats-server 2.10) a member never gets in contact with the
    // meta leader; restarting it once brings it in.
    let sick = await waitHealthy(undefined, readyMs);
    if (sick.length > 0) {
      for (const m of sick) await restart(m.index);
      sick = await waitHealthy(
        sick.map((m) => m.index),
        readyMs,
      );
    }
    if (sick.length > 0) {
      throw new NatsServerError('NATS_SERVER_START_FAILED', `NATS cluster members not healthy: ${sick.map((m) => `${m.name}: ${m.error}`).join('; ')}`);
    }
    if (clustered) await waitForPlacement(servers.map((s) => s.url), o.size, readyMs, o.auth?.probeCreds);
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return {
    servers,
    urls: servers.map((s) => s.url),
    routes: clustered ? routes : [],
    names,
    restart,
    waitHealthy,
    stop,
  };
}
