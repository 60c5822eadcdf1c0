/**
 * What one instance of an app takes from an offer: its cpus, mem, disk and gpus, and one port per
 * port definition, taken with the offer's own reservations so the accept matches. Only resources
 * whose role the app accepts are looked at (`acceptedResourceRoles`: `*` is unreserved, the app's
 * role is reserved for it; all by default). Ports: with `requirePorts`, exactly the ports of the
 * definitions; otherwise the lowest free ones. Pure: the remaining resources are returned for the
 * next instance on the same offer.
 */
import type { Resource, Resources } from '../../events/index.js';
import { contains, normaliseRanges, ranges, reservedRole, scalar, subtract } from '../../kernel/core/resources.js';
import type { AppDefinition } from './app.js';

export type Fit = { readonly ok: true; readonly resources: Resources; readonly ports: number[]; readonly rest: Resources } | { readonly ok: false; readonly reason: string };

type FitApp = Pick<AppDefinition, 'cpus' | 'mem' | 'disk' | 'gpus' | 'portDefinitions' | 'requirePorts' | 'acceptedResourceRoles'>;

export function fit(app: FitApp, offered: Resources): Fit {
  const accepted = app.acceptedResourceRoles;
  const usable = accepted === undefined ? offered : offered.filter((r) => accepted.includes(reservedRole(r)));
  const roles = accepted === undefined ? '' : ` of role ${accepted.join(' or ')}`;
  const taken: Resource[] = [];
  const needs: Array<[string, number]> = [['cpus', app.cpus], ['mem', app.mem], ['disk', app.disk], ['gpus', app.gpus]];
  for (const [name, amount] of needs) {
    if (amount <= 0) continue;
    const r = usable.find((x) => x.name === name && x.type === 'SCALAR' && x.disk === undefined && x.scalar >= amount);
    if (r === undefined || r.type !== 'SCALAR') return { ok: false, reason: `insufficient ${name}${roles}: needs ${amount}, the offer has ${scalar(usable, name)}` };
    taken.push({ name, type: 'SCALAR', scalar: amount, ...(r.reservations !== undefined ? { reservations: r.reservations } : {}) });
  }
  const want = app.portDefinitions.length;
  const ports: number[] = [];
  if (want > 0) {
    const portResources = usable.filter((x) => x.name === 'ports' && x.type === 'RANGES');
    if (app.requirePorts) {
      for (const d of app.portDefinitions) {
        const holder = portResources.find((pr) => ranges([pr], 'ports').some(([b, e]) => d.port >= b && d.port <= e));
        if (holder === undefined) return { ok: false, reason: `port ${d.port} not offered${roles} (requirePorts)` };
        ports.push(d.port);
        taken.push({ name: 'ports', type: 'RANGES', ranges: [[d.port, d.port]], ...(holder.reservations !== undefined ? { reservations: holder.reservations } : {}) });
      }
    } else {
      for (const pr of portResources) {
        const mine: Array<[number, number]> = [];
        for (const [b, e] of ranges([pr], 'ports')) {
          for (let p = b; p <= e && ports.length < want; p++) {
            ports.push(p);
            mine.push([p, p]);
          }
          if (ports.length === want) break;
        }
        if (mine.length > 0) taken.push({ name: 'ports', type: 'RANGES', ranges: normaliseRanges(mine), ...(pr.reservations !== undefined ? { reservations: pr.reservations } : {}) });
        if (ports.length === want) break;
      }
      if (ports.length < want) return { ok: false, reason: `insufficient ports${roles}: needs ${want}, the offer has ${ports.length}` };
    }
  }
  if (!contains(offered, taken)) return { ok: false, reason: 'the offer does not hold the task' };
  return { ok: true, resources: taken, ports, rest: subtract(offered, taken) };
}
