/**
 * Marathon's placement constraints, decided purely: may one more task of an app go to an agent
 * with this hostname and these attributes, given where its tasks already are? The field is
 * `hostname` or an agent attribute (its text value; scalars as written). An agent without the
 * attribute matches only UNLIKE (as Marathon).
 */
import type { Constraint } from './app.js';

export interface Place {
  readonly hostname: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export const fieldValue = (p: Place, field: string): string | undefined => (field === 'hostname' ? p.hostname : p.attributes[field]);

/**
 * Why the constraints refuse `candidate` (undefined: they allow it). `placed` are the app's live
 * tasks (and those chosen earlier in this round); `known` are the places of every agent seen,
 * for GROUP_BY's even spread.
 */
export function refusedBy(constraints: readonly Constraint[], candidate: Place, placed: readonly Place[], known: readonly Place[]): string | undefined {
  for (const c of constraints) {
    const [field, op, value] = c;
    const v = fieldValue(candidate, field);
    const same = (): number => placed.filter((p) => fieldValue(p, field) === v).length;
    switch (op) {
      case 'UNIQUE':
        if (v === undefined || same() > 0) return `constraint ${field}:UNIQUE (${field} ${v ?? 'unset'} has a task already)`;
        break;
      case 'CLUSTER':
        if (v !== value) return `constraint ${field}:CLUSTER:${value} (this agent's ${field} is ${v ?? 'unset'})`;
        break;
      case 'LIKE':
        if (v === undefined || !new RegExp(`^(?:${value})$`).test(v)) return `constraint ${field}:LIKE:${value} (${field} is ${v ?? 'unset'})`;
        break;
      case 'UNLIKE':
        if (v !== undefined && new RegExp(`^(?:${value})$`).test(v)) return `constraint ${field}:UNLIKE:${value} (${field} is ${v})`;
        break;
      case 'MAX_PER':
        if (v === undefined || same() >= Number(value)) return `constraint ${field}:MAX_PER:${value} (${field} ${v ?? 'unset'} has ${v === undefined ? 0 : same()})`;
        break;
      case 'GROUP_BY': {
        if (v === undefined) return `constraint ${field}:GROUP_BY (${field} unset)`;
        // Spread evenly: a value takes a task only when no other value has fewer.
        const values = new Set(known.map((p) => fieldValue(p, field)).filter((x): x is string => x !== undefined));
        values.add(v);
        const counts = [...values].map((x) => placed.filter((p) => fieldValue(p, field) === x).length);
        if (same() > Math.min(...counts)) return `constraint ${field}:GROUP_BY (${field} ${v} has ${same()} tasks, another value fewer)`;
        break;
      }
      default: {
        const never: never = op;
        return never;
      }
    }
  }
  return undefined;
}
