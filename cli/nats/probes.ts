// Readiness and health probes of a nats-server or a cluster of them.

import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { NatsServerError } from './errors.js';
import { authenticatorOf, credsIdentity } from '../../security/nats/index.js';
import type { RunningNatsServer } from './types.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


/**
 * nats-server's own health check (`/healthz` on the monitoring port): `ok` once it serves clients
 * and, in a cluster, is current with the JetStream meta leader and with every stream and consumer
 * it holds a replica of; otherwise the server's reason.
 */
export async function natsHealth(s: Pick<RunningNatsServer, 'monitorUrl'>, timeoutMs = 2000): Promise<{ ok: boolean; error?: string }> {
  if (s.monitorUrl === undefined) return { ok: false, error: 'no monitoring port' };
  try {
    const res = await fetch(`${s.monitorUrl}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status === 200) return { ok: true };
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    return { ok: false, error: body.error ?? `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Connect options of a probe that holds `creds` (a `.creds` text) on a secured server. */
export const probeAuth = (creds: string | undefined) => {
  if (creds === undefined) return {};
  const id = credsIdentity(creds, 'the probe credentials');
  return { authenticator: authenticatorOf(creds), ...(id.inboxPrefix !== undefined ? { inboxPrefix: id.inboxPrefix } : {}) };
};

export async function probe(url: string, ready: 'jetstream' | 'client', tls?: { ca: string }, creds?: string): Promise<void> {
  const nc = await connect({ servers: url, reconnect: false, timeout: 1000, name: 'mesos-nats-probe', ...probeAuth(creds), ...(tls !== undefined ? { tls: { ca: readFileSync(tls.ca, 'utf8') } } : {}) });
  try {
    if (ready === 'jetstream') {
      const jsm = await jetstreamManager(nc, { timeout: 1000 });
      await jsm.getAccountInfo();
    } else {
      await nc.flush();
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}


/**
 * Waits until JetStream answers on a cluster: the meta group has elected a leader (account info
 * is answered by the meta leader only). Throws after `timeoutMs`.
 */
export async function waitForJetStream(urls: readonly string[], timeoutMs = 15_000, creds?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  const nc = await connect({ servers: [...urls], name: 'mesos-nats-probe', timeout: 1000, maxReconnectAttempts: -1, reconnectTimeWait: 100, ...probeAuth(creds) });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 1000, checkAPI: false });
    for (;;) {
      try {
        await jsm.getAccountInfo();
        return;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() >= deadline) {
        throw new NatsServerError(
          'NATS_SERVER_START_FAILED',
          `JetStream did not become available on ${urls.join(',')} within ${timeoutMs} ms (no meta leader elected?); last error: ${String(lastError)}`,
        );
      }
      await sleep(100);
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/** A member's view of the JetStream meta group (`/jsz`): its leader, and (on the leader) the current peers. */
export async function metaView(s: Pick<RunningNatsServer, 'monitorUrl'>, self: string): Promise<{ self: string; leader: string; current: Set<string> } | null> {
  if (s.monitorUrl === undefined) return null;
  try {
    const res = await fetch(`${s.monitorUrl}/jsz`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { meta_cluster?: { leader?: string; replicas?: Array<{ name: string; current: boolean }> } };
    const m = body.meta_cluster;
    return {
      self,
      leader: m?.leader ?? '',
      current: new Set((m?.replicas ?? []).filter((r) => r.current).map((r) => r.name)),
    };
  } catch {
    return null;
  }
}

/**
 * Waits until the cluster can place a stream with `replicas` replicas: it creates a small probe
 * stream (and deletes it) until that works. Every member healthy is not yet enough: for a moment
 * after forming, the meta leader still answers "no suitable peers for placement" (10005).
 */
export async function waitForPlacement(urls: readonly string[], replicas: number, timeoutMs = 15_000, creds?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  const nc = await connect({ servers: [...urls], name: 'mesos-nats-probe', timeout: 1000, maxReconnectAttempts: -1, reconnectTimeWait: 100, ...probeAuth(creds) });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2000, checkAPI: false });
    const name = `MESOS_PLACEMENT_PROBE_${process.pid}_${Date.now()}`;
    for (;;) {
      try {
        await jsm.streams.add({ name, subjects: [`mesos.placement-probe.${process.pid}.${Date.now()}`], num_replicas: replicas });
        await jsm.streams.delete(name).catch(() => undefined);
        return;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() >= deadline) {
        throw new NatsServerError('NATS_SERVER_START_FAILED', `the NATS cluster at ${urls.join(',')} cannot place a ${replicas}-replica stream after ${timeoutMs} ms; last error: ${String(lastError)}`);
      }
      await sleep(200);
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}
