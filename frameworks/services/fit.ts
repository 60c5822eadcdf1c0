/**
 * What one instance of an app takes from an offer: its cpus, mem, disk and gpus, and one port per
 * port definition (the lowest free ones of the offer's `ports`), taken with the offer's own
 * reservations so the accept matches. Pure: the remaining resources are returned for the next
 * instance on the same offer.
 */
import type { Resource, Resources } from '../../events/index.js';
import { contains, ranges, scalar, subtract } from '../../kernel/core/resources.js';
import type { AppDefinition } from './app.js';

export type Fit = { readonly ok: true; readonly resources: Resources; readonly ports: number[]; readonly rest: Resources } | { readonly ok: false; readonly reason: string };

export function fit(app: AppDefinition, offered: Resources): Fit {
  const taken: Resource[] = [];
  const needs: Array<[string, number]> = [['cpus', app.cpus], ['mem', app.mem], ['disk', app.disk], ['gpus', app.gpus]];
  for (const [name, amount] of needs) {
    if (amount <= 0) continue;
    const r = offered.find((x) => x.name === name && x.type === 'SCALAR' && x.disk === undefined && x.scalar >= amount);
    if (r === undefined || r.type !== 'SCALAR') return { ok: false, reason: `insufficient ${name}: needs ${amount}, the offer has ${scalar(offered, name)}` };
    taken.push({ name, type: 'SCALAR', scalar: amount, ...(r.reservations !== undefined ? { reservations: r.reservations } : {}) });
  }
  const want = app.portDefinitions.length;
  const ports: number[] = [];
  if (want > 0) {
    const pr = offered.find((x) => x.name === 'ports' && x.type === 'RANGES');
    for (const [b, e] of pr !== undefined ? ranges([pr], 'ports') : []) {
      for (let p = b; p <= e && ports.length < want; p++) ports.push(p);
      if (ports.length === want) break;
    }
    if (ports.length < want || pr === undefined) return { ok: false, reason: `insufficient ports: needs ${want}, the offer has ${ports.length}` };
    taken.push({ name: 'ports', type: 'RANGES', ranges: ports.map((p) => [p, p] as [number, number]), ...(pr.reservations !== undefined ? { reservations: pr.reservations } : {}) });
  }
  if (!contains(offered, taken)) return { ok: false, reason: 'the offer does not hold the task' };
  return { ok: true, resources: taken, ports, rest: subtract(offered, taken) };
}
