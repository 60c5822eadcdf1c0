/**
 * `mesos reserve` / `mesos unreserve`: dynamic reservations of an agent's free resources, through
 * the operator API (RESERVE_RESOURCES, UNRESERVE_RESOURCES). The resources are given in the text
 * form and the role separately: `--resources 'cpus:2;mem:512' --role eng` reserves unreserved
 * resources for eng; `--resources 'cpus(eng):1' --role eng/batch` refines eng's static reservation
 * (in the text form `(role)` is a static reservation: a dynamic one is refined through the API).
 */
import type { Resource } from '../../events/index.js';
import { parseResources } from '../../kernel/core/resources.js';
import { resourcesToMesos } from '../../kernel/shell/scheduler-api/convert/index.js';
import type { FlagSpec } from '../flags.js';
import { call, JSON_FLAG, MASTER_FLAG, out } from './operator-common.js';

const flags = (what: string): readonly FlagSpec[] => [
  MASTER_FLAG,
  { name: 'agent', type: 'string', required: true, placeholder: 'id', help: 'The agent' },
  { name: 'role', type: 'string', required: true, placeholder: 'role', help: `The role the resources are ${what}` },
  { name: 'resources', type: 'string', required: true, placeholder: 'text', help: "Resources, e.g. 'cpus:2;mem:512' (or 'cpus(eng):1' to refine eng's reservation)" },
  { name: 'principal', type: 'string', placeholder: 'name', help: 'The principal recorded with the reservation' },
  JSON_FLAG,
];

export const reserveFlags = flags('reserved for');
export const unreserveFlags = flags('reserved for now');

/** The text's resources with a DYNAMIC reservation for `role` on top. */
function reservedFor(text: string, role: string, principal: string | undefined): Resource[] {
  return parseResources(text).map((r) => ({
    ...r,
    reservations: [...(r.reservations ?? []), { type: 'DYNAMIC' as const, role, ...(principal !== undefined ? { principal } : {}) }],
  }));
}

export async function runReserve(v: Readonly<Record<string, unknown>>): Promise<number> {
  const resources = reservedFor(v.resources as string, v.role as string, v.principal as string | undefined);
  await call(v, {
    type: 'RESERVE_RESOURCES',
    reserve_resources: { agent_id: { value: v.agent as string }, source: resourcesToMesos(parseResources(v.resources as string)), resources: resourcesToMesos(resources) },
  });
  if (v.json !== true) out(`reserved ${String(v.resources)} on ${String(v.agent)} for ${String(v.role)}`);
  return 0;
}

export async function runUnreserve(v: Readonly<Record<string, unknown>>): Promise<number> {
  const resources = reservedFor(v.resources as string, v.role as string, v.principal as string | undefined);
  await call(v, { type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: { value: v.agent as string }, resources: resourcesToMesos(resources) } });
  if (v.json !== true) out(`unreserved ${String(v.resources)} of ${String(v.role)} on ${String(v.agent)}`);
  return 0;
}
