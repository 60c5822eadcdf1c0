/**
 * The gone-agent revoker of `mesos dev`: it holds the keystore, so it follows the cluster log for
 * agents the operator marked gone (`AgentRemoved` with reason OPERATOR, which MARK_AGENT_GONE and
 * a drain with mark_gone produce) and revokes each one's NATS user (named by the agent id) the
 * way `mesos creds revoke` does: the account JWT re-signed with the user's key in its revocations,
 * pushed to the running servers, which close the agent's connections and refuse it from then on.
 *
 * It reads the log from its start with its own auditor credentials (read only), so an agent marked
 * gone while it was not running is revoked when it starts; one already revoked is left alone
 * (idempotent), and an agent id this keystore never issued is logged and skipped.
 */
import type { Logger } from 'pino';
import { subjects } from '../../events/index.js';
import { type Bus, connectBus, readLog } from '../../kernel/shell/bus.js';
import { type Keystore, pushAccount } from '../../security/nats/index.js';

export interface GoneRevokerOptions {
  readonly nats: string;
  /** Credentials that may read `cl.sys.agent-removed` (an auditor's). */
  readonly creds: string;
  readonly keystore: Keystore;
  readonly tlsCa?: string;
  readonly log: Logger;
  /** Called once per agent revoked (for `mesos dev`'s output). */
  readonly onRevoked?: (agentId: string) => void;
}

export interface GoneRevoker {
  /** Agent ids revoked by this revoker. */
  readonly revoked: ReadonlySet<string>;
  stop(): Promise<void>;
}

/** Whether every key issued under `name` is revoked already (false if none was issued). */
export function allRevoked(ks: Keystore, name: string): boolean | undefined {
  const users = ks.list().filter((u) => u.name === name);
  if (users.length === 0) return undefined;
  return users.every((u) => u.revoked);
}

/** Revoke `agentId`'s user and push the account; resolves with what was done. */
export async function revokeGoneAgent(ks: Keystore, nats: string, agentId: string, tlsCa?: string): Promise<'revoked' | 'already' | 'unknown'> {
  const state = allRevoked(ks, agentId);
  if (state === undefined) return 'unknown';
  if (state) return 'already';
  ks.revoke(agentId);
  await pushAccount(ks, nats, tlsCa !== undefined ? { tlsCa } : {});
  return 'revoked';
}

export async function startGoneRevoker(o: GoneRevokerOptions): Promise<GoneRevoker> {
  const log = o.log.child({ component: 'gone-revoker' });
  const bus: Bus = await connectBus({ servers: o.nats, name: 'mesos-dev-gone-revoker', log, creds: o.creds, ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}) });
  const abort = new AbortController();
  const revoked = new Set<string>();
  const handle = async (agentId: string): Promise<void> => {
    // A push that fails (a server restarting) is tried again: the keystore already holds the
    // revocation, and servers preload the account JWT when they start.
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      try {
        const r = await revokeGoneAgent(o.keystore, o.nats, agentId, o.tlsCa);
        if (r === 'unknown') log.warn({ agentId }, 'an agent marked gone has no credentials in this keystore: not revoked here');
        else if (r === 'already') log.debug({ agentId }, 'agent marked gone: its credentials are revoked already');
        else {
          revoked.add(agentId);
          log.info({ agentId }, 'agent marked gone: its NATS credentials are revoked and its connections closed');
          o.onRevoked?.(agentId);
        }
        return;
      } catch (err) {
        log.warn({ err, agentId, attempt }, 'revoking an agent marked gone failed; trying again');
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
      }
    }
  };
  const done = (async () => {
    for await (const entry of readLog(bus, { filter: subjects.sys('agent-removed'), signal: abort.signal })) {
      const d = entry.decoded;
      if (!d.ok) {
        log.warn({ seq: entry.seq }, 'a malformed event on the agent-removed subject: skipped');
        continue;
      }
      const e = d.event;
      if (e.type !== 'AgentRemoved' || e.reason !== 'OPERATOR') continue;
      await handle(e.agentId);
    }
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) log.error({ err }, 'the gone-agent revoker stopped following the log');
  });
  return {
    revoked,
    async stop() {
      abort.abort();
      await bus.close();
      await done;
    },
  };
}
