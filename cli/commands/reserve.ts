/**
 * `mesos reserve` / `mesos unreserve`: dynamic reservations of an agent's free resources, through
 * the operator API (RESERVE_RESOURCES, UNRESERVE_RESOURCES). The resources are given in the text
 * form and the role separately: `--resources 'cpus:2;mem:512' --role eng` reserves unreserved
 * resources for eng; `--resources 'cpus(eng):1' --role eng/batch` refines eng's reservation. The
 * text form writes every reservation as `(role)`, which Mesos's text syntax makes STATIC; the
 * command looks up how the agent holds it (GET_AGENTS) and names a DYNAMIC one (or one with a
 * principal) as it is, so that refining or unreserving a dynamic reservation works.
 */
import { z } from 'zod';
import type { Resource, Resources } from '../../events/index.js';
import { matchAgentStacks } from '../../kernel/core/reservation-mismatch.js';
import { parseResources } from '../../kernel/core/resources.js';
import { resourcesFromMesos, resourcesToMesos } from '../../kernel/shell/scheduler-api/convert/index.js';
import { MesosResource } from '../../kernel/shell/scheduler-api/wire.js';
import { operatorCall } from '../operator-client.js';
import type { FlagSpec } from '../flags.js';
import { AUTH_FLAGS, call, clientAuth, JSON_FLAG, MASTER_FLAG, out } from './operator-common.js';

const flags = (what: string): readonly FlagSpec[] => [
  MASTER_FLAG,
  { name: 'agent', type: 'string', required: true, placeholder: 'id', help: 'The agent' },
  { name: 'role', type: 'string', required: true, placeholder: 'role', help: `The role the resources are ${what}` },
  { name: 'resources', type: 'string', required: true, placeholder: 'text', help: "Resources, e.g. 'cpus:2;mem:512' (or 'cpus(eng):1' to refine eng's reservation)" },
  JSON_FLAG,
  ...AUTH_FLAGS,
];

export const reserveFlags = flags('reserved for');
export const unreserveFlags = flags('reserved for now');

/** `rs` with a DYNAMIC reservation for `role` on top. */
function reservedFor(rs: Resources, role: string, principal: string | undefined): Resource[] {
  return rs.map((r) => ({
    ...r,
    reservations: [...(r.reservations ?? []), { type: 'DYNAMIC' as const, role, ...(principal !== undefined ? { principal } : {}) }],
  }));
}

/**
 * The text form names reservations as STATIC (`cpus(eng):1`); to refine or unreserve one the agent
 * holds as a DYNAMIC reservation (or with a principal), the stacks are taken from the agent's own
 * resources (GET_AGENTS) when they match by roles. Unreserved resources need no look-up.
 */
async function asOnAgent(v: Readonly<Record<string, unknown>>, rs: Resources): Promise<Resources> {
  if (rs.every((r) => (r.reservations ?? []).length === 0)) return rs;
  const reply = await operatorCall(v.master as string, { type: 'GET_AGENTS' });
  const agents = (reply.json as { get_agents?: { agents?: Array<{ agent_info?: { id?: { value?: string } }; total_resources?: unknown[] }> } } | undefined)?.get_agents?.agents ?? [];
  const mine = agents.find((a) => a.agent_info?.id?.value === v.agent);
  if (mine?.total_resources === undefined) return rs; // the master will say the agent is unknown
  const wire = z.array(MesosResource).safeParse(mine.total_resources);
  if (!wire.success) return rs;
  const total = resourcesFromMesos(wire.data);
  return total.ok ? matchAgentStacks(rs, total.resources) : rs;
}

export async function runReserve(v: Readonly<Record<string, unknown>>): Promise<number> {
  const source = await asOnAgent(v, parseResources(v.resources as string));
  const resources = reservedFor(source, v.role as string, (v.principal as string | undefined) ?? clientAuth(v)?.principal);
  await call(v, {
    type: 'RESERVE_RESOURCES',
    reserve_resources: { agent_id: { value: v.agent as string }, source: resourcesToMesos(source), resources: resourcesToMesos(resources) },
  });
  if (v.json !== true) out(`reserved ${String(v.resources)} on ${String(v.agent)} for ${String(v.role)}`);
  return 0;
}

export async function runUnreserve(v: Readonly<Record<string, unknown>>): Promise<number> {
  const resources = await asOnAgent(v, reservedFor(parseResources(v.resources as string), v.role as string, (v.principal as string | undefined) ?? clientAuth(v)?.principal));
  await call(v, { type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: { value: v.agent as string }, resources: resourcesToMesos(resources) } });
  if (v.json !== true) out(`unreserved ${String(v.resources)} of ${String(v.role)} on ${String(v.agent)}`);
  return 0;
}
