/**
 * `mesos execute --master HOST:PORT`: the same one-task framework as `mesos execute --nats`, but
 * speaking the Apache Mesos v1 scheduler HTTP API, as Mesos's own `mesos-execute` does. It works
 * against this project's master or any Mesos-compatible one. It sends a REQUEST with the task's
 * resources first, so its demand is recorded while no offer holds the task.
 */
import { isTerminal, type TaskStateName } from '../events/index.js';
import { contains, format, parseResources } from '../kernel/core/resources.js';
import { resourcesFromMesos, resourcesToMesos } from '../kernel/shell/scheduler-api/convert/index.js';
import { MesosResource, parseMessage } from '../kernel/shell/scheduler-api/wire.js';
import type { Resources } from '../events/index.js';
import type { ExecuteTask } from './execute.js';
import { V1SchedulerClient } from './http/client.js';
import { basicHeader } from '../security/http/index.js';

export interface ExecuteHttpOptions extends ExecuteTask {
  readonly master: string;
  /** HTTP Basic credentials for a master that authenticates frameworks (mesos-execute's --principal/--secret). */
  readonly credential?: { readonly principal: string; readonly secret: string };
}

export async function runExecuteHttp(o: ExecuteHttpOptions): Promise<number> {
  const wanted = parseResources(o.resources);
  const client = new V1SchedulerClient(
    o.master,
    o.credential !== undefined ? basicHeader(o.credential.principal, o.credential.secret) : undefined,
    o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {},
  );
  const sub = await client.subscribe({
    user: o.user ?? process.env.USER ?? 'root',
    name: `${o.name} (mesos execute)`,
    roles: [o.role],
    capabilities: [{ type: 'MULTI_ROLE' }, { type: 'TASK_KILLING_STATE' }],
  });
  o.out(`Subscribed with ID ${sub.frameworkId}`);
  // State what it waits for (Mesos's REQUEST), so that the master can record why it stays unmet
  // (`mesos replay why-pending`); launching the task meets it. A master that ignores REQUEST (Mesos's
  // allocator does) changes nothing.
  await client
    .call('REQUEST', { request: { requests: [{ resources: resourcesToMesos(wanted, o.role) }] } })
    .catch(() => undefined);
  let launchedOn: string | undefined;
  let code: number | undefined;
  const deadline = o.timeoutMs !== null ? setTimeout(() => {
    if (launchedOn === undefined) {
      o.out(`No offer with ${format(wanted)} arrived within ${(o.timeoutMs ?? 0) / 1000}s; is any agent big enough?`);
      code = 2;
      sub.close();
    }
  }, o.timeoutMs) : undefined;
  const onAbort = (): void => {
    if (launchedOn === undefined) {
      code = 130;
      sub.close();
      return;
    }
    o.out(`Killing task '${o.name}'`);
    void client.call('KILL', { kill: { task_id: { value: o.name }, agent_id: { value: launchedOn } } });
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    for await (const e of sub.events) {
      if (e.type === 'OFFERS' && 'offers' in e) {
        for (const offer of (e as { offers: { offers: Array<{ id: { value: string }; agent_id: { value: string }; hostname: string; resources: unknown[] }> } }).offers.offers) {
          const have = offeredResources(offer.resources);
          if (launchedOn !== undefined || have === null || !contains(have, wanted)) {
            await client.call('DECLINE', { decline: { offer_ids: [offer.id], filters: { refuse_seconds: launchedOn !== undefined ? 3600 : 5 } } });
            continue;
          }
          launchedOn = offer.agent_id.value;
          const r = await client.call('ACCEPT', {
            accept: {
              offer_ids: [offer.id],
              operations: [
                {
                  type: 'LAUNCH',
                  launch: {
                    task_infos: [
                      {
                        name: o.name,
                        task_id: { value: o.name },
                        agent_id: offer.agent_id,
                        resources: resourcesToMesos(wanted),
                        command: { shell: true, value: o.command },
                        ...(o.dockerImage !== undefined ? { container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: o.dockerImage } } } } } : {}),
                        ...(o.killGracePeriodMs !== undefined ? { kill_policy: { grace_period: { nanoseconds: o.killGracePeriodMs * 1_000_000 } } } : {}),
                      },
                    ],
                  },
                },
              ],
              filters: { refuse_seconds: 3600 },
            },
          });
          if (r.status !== 202) throw new Error(`ACCEPT answered ${r.status}: ${r.body}`);
          o.out(`Submitted task '${o.name}' to agent '${offer.agent_id.value}' (${offer.hostname}) with ${format(wanted)}`);
        }
      } else if (e.type === 'UPDATE' && 'update' in e) {
        const s = (e as { update: { status: { task_id: { value: string }; state: string; agent_id?: { value: string }; source?: string; reason?: string; message?: string; uuid?: string } } }).update.status;
        if (s.task_id.value !== o.name) continue;
        const extra = [s.source ? `source: ${s.source}` : '', s.reason ? `reason: ${s.reason}` : '', s.message ? `message: '${s.message}'` : ''].filter((x) => x !== '').join(', ');
        o.out(`Received status update ${s.state} for task '${s.task_id.value}'${extra ? ` (${extra})` : ''}`);
        if (s.uuid !== undefined && s.agent_id !== undefined) {
          await client.call('ACKNOWLEDGE', { acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } });
        }
        if (isTerminal(s.state as TaskStateName)) {
          code = o.signal?.aborted ? 130 : s.state === 'TASK_FINISHED' ? 0 : 1;
          break;
        }
      } else if (e.type === 'ERROR' && 'error' in e) {
        o.out(`Received an ERROR event: ${(e as { error: { message: string } }).error.message}`);
        code = 1;
        break;
      }
    }
  } finally {
    if (deadline) clearTimeout(deadline);
    o.signal?.removeEventListener('abort', onAbort);
  }
  await client.call('TEARDOWN').catch(() => undefined);
  sub.close();
  if (code === undefined) {
    o.out('The event stream ended before the task did');
    return 1;
  }
  return code;
}

/** An offer's resources as Mesos JSON, validated at the edge; null when they do not parse. */
function offeredResources(json: readonly unknown[]): Resources | null {
  const parsed: MesosResource[] = [];
  for (const r of json) {
    const p = parseMessage(MesosResource, r);
    if (!p.ok) return null;
    parsed.push(p.value);
  }
  const ours = resourcesFromMesos(parsed);
  return ours.ok ? ours.resources : null;
}
