/**
 * Why resources an operation converts are not there (pure): the words for the operator API's 409.
 * `R.format` writes `cpus(eng)` for every reservation of eng, static or dynamic, with or without a
 * principal, so "cpus(eng):1 is not there (there is cpus(eng):1)" says nothing. This names what
 * differs: the agent holds them under another reservation stack (a DYNAMIC one where a STATIC one
 * was named — the text form `cpus(eng)` means STATIC —, another principal or labels), or holds
 * them but they are used by tasks or offered to frameworks.
 */
import type { Reservation, Resource, Resources } from '../../events/index.js';
import * as R from './resources.js';

/** One reservation in words: `DYNAMIC for eng (principal ops)`. */
function reservationText(x: Reservation): string {
  const extra = [x.principal !== undefined ? `principal ${x.principal}` : '', x.labels !== undefined && Object.keys(x.labels).length > 0 ? `labels ${JSON.stringify(x.labels)}` : '']
    .filter((s) => s !== '')
    .join(', ');
  return `${x.type} for ${x.role}${extra === '' ? '' : ` (${extra})`}`;
}

/** A reservation stack in words, oldest first: `STATIC for eng, then DYNAMIC for eng/batch`. */
export function stackText(stack: readonly Reservation[] | undefined): string {
  if (stack === undefined || stack.length === 0) return 'unreserved';
  return stack.map(reservationText).join(', then ');
}

const roles = (r: Resource): string => (r.reservations ?? []).map((x) => x.role).join('>');

/**
 * Why `wanted` is not within `free` on an agent whose total is `total` (`used`: by tasks and
 * executors; `offered`: in outstanding offers). Undefined when nothing more can be said.
 */
export function explainMissing(wanted: Resources, agent: { readonly total: Resources; readonly used: Resources; readonly offered: Resources }): string | undefined {
  const free = R.subtractClamped(R.subtractClamped(agent.total, agent.used), agent.offered);
  const reasons: string[] = [];
  for (const w of R.normalise(wanted)) {
    if (R.contains(free, [w])) continue;
    const sameKey = (r: Resource): boolean => R.resourceKey(r) === R.resourceKey(w);
    const held = R.filterResources(agent.total, sameKey);
    if (held.length > 0) {
      const used = R.filterResources(agent.used, sameKey);
      const offered = R.filterResources(agent.offered, sameKey);
      reasons.push(
        `the agent holds ${R.format(held)} ${stackText(w.reservations)}, but ${[used.length > 0 ? `${R.format(used)} is used by tasks` : '', offered.length > 0 ? `${R.format(offered)} is offered to frameworks (it is free again once declined or rescinded)` : '']
          .filter((s) => s !== '')
          .join(' and ') || 'not that much'}`,
      );
      continue;
    }
    // The same name and roles under another stack: another type, principal or labels.
    const similar = R.filterResources(agent.total, (r) => r.name === w.name && roles(r) === roles(w) && !R.isVolume(r));
    if (similar.length > 0) {
      const stacks = [...new Set(similar.map((r) => stackText(r.reservations)))];
      const staticNamed = (w.reservations ?? []).some((x) => x.type === 'STATIC');
      reasons.push(
        `${w.name} is asked for as ${stackText(w.reservations)}, but the agent's ${w.name} for ${R.reservedRole(w)} is ${stacks.join(' / ')}` +
          (staticNamed ? " (in the text form, 'cpus(role)' names a STATIC reservation: give the reservation as it is on the agent)" : ''),
      );
      continue;
    }
    reasons.push(`the agent has no ${w.name} ${stackText(w.reservations)}`);
  }
  return reasons.length === 0 ? undefined : reasons.join('; ');
}

/**
 * The reservation stacks named in the text form are STATIC; the agent may hold those roles under
 * DYNAMIC ones (made with RESERVE_RESOURCES, refined, with a principal). For each resource whose
 * stack the agent does not hold as written but holds with the same roles under exactly one other
 * stack, use the agent's stack. Anything else is left as it is (the master then says why).
 */
export function matchAgentStacks(asked: Resources, agentTotal: Resources): Resources {
  return asked.map((r) => {
    if ((r.reservations ?? []).length === 0) return r;
    if (agentTotal.some((x) => R.resourceKey(x) === R.resourceKey(r))) return r;
    const stacks = new Map<string, readonly Reservation[]>();
    for (const x of agentTotal) if (x.name === r.name && roles(x) === roles(r) && !R.isVolume(x)) stacks.set(JSON.stringify(x.reservations), x.reservations ?? []);
    if (stacks.size !== 1) return r;
    const [stack] = [...stacks.values()];
    return { ...r, reservations: [...stack!] };
  });
}
