/**
 * What one run of a job takes from an offer: its cpus, mem and disk (Chronos's defaults for what
 * is 0), taken with the offer's own reservations so the accept matches. Pure: the remaining
 * resources are returned for the next run placed on the same offer.
 */
import type { Resource, Resources } from '../../events/index.js';
import { contains, scalar, subtract } from '../../kernel/core/resources.js';

export type Fit = { readonly ok: true; readonly resources: Resources; readonly rest: Resources } | { readonly ok: false; readonly reason: string };

export function fit(need: { readonly cpus: number; readonly mem: number; readonly disk: number }, offered: Resources): Fit {
  const taken: Resource[] = [];
  for (const [name, amount] of [['cpus', need.cpus], ['mem', need.mem], ['disk', need.disk]] as const) {
    if (amount <= 0) continue;
    const r = offered.find((x) => x.name === name && x.type === 'SCALAR' && x.disk === undefined && x.scalar >= amount);
    if (r === undefined || r.type !== 'SCALAR') return { ok: false, reason: `insufficient ${name}: needs ${amount}, the offer has ${scalar(offered, name)}` };
    taken.push({ name, type: 'SCALAR', scalar: amount, ...(r.reservations !== undefined ? { reservations: r.reservations } : {}) });
  }
  if (!contains(offered, taken)) return { ok: false, reason: 'the offer does not hold the run' };
  return { ok: true, resources: taken, rest: subtract(offered, taken) };
}
