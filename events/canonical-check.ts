/**
 * A cheaper way to validate what is almost always already valid, with zod's exact answer.
 *
 * `canonicalChecker(schema)` compiles a zod schema into a predicate that says yes only when zod
 * would accept the value AND would return a value deep-equal to it (same keys, same key order, no
 * default to fill in, no unknown key to strip). Then the parsed JSON itself is the validated
 * event, and zod's rebuilding of it can be skipped. Every event our code appends was serialised
 * from zod's output (`encode`), so it is canonical, and the check passes for it; anything else —
 * an unknown field, a missing default, a publisher that orders keys differently, a kind of schema
 * or check this compiler does not know — gets "no", and the caller runs zod as before. So the
 * predicate may be incomplete, never unsound: it is not a trusted path that skips validation, it
 * is validation without re-allocating. test/unit/canonical-check.test.ts holds it to that against
 * zod over mutated events.
 *
 * Supported (what the catalogue uses): object (strip mode, no catchall), discriminated union,
 * literal, enum, string (min/max/exact length, regex), number (safe integer, bounds), boolean,
 * array (length bounds), tuple (fixed), record (string keys), optional, nullable, default (value present),
 * custom refinements (synchronous). Anything else compiles to "no".
 */
import type { z } from 'zod';

export type CanonicalCheck = (value: unknown) => boolean;

const never: CanonicalCheck = () => false;

interface Def {
  readonly type: string;
  readonly checks?: ReadonlyArray<{ readonly _zod: { readonly def: CheckDef } }>;
  readonly coerce?: boolean;
  readonly [k: string]: unknown;
}
interface CheckDef {
  readonly check: string;
  readonly when?: unknown;
  readonly [k: string]: unknown;
}
type Schema = { readonly _zod: { readonly def: Def; readonly optout?: string } };

const isJsonObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

export function canonicalChecker(schema: z.ZodType): CanonicalCheck {
  const memo = new Map<Schema, CanonicalCheck>();
  const compile = (s: Schema): CanonicalCheck => {
    const known = memo.get(s);
    if (known !== undefined) return known;
    // Placeholder against cycles (none in the catalogue; a cycle compiles to "no").
    memo.set(s, never);
    const c = withChecks(s._zod.def, node(s));
    memo.set(s, c);
    return c;
  };

  function node(s: Schema): CanonicalCheck {
    const d = s._zod.def;
    if (d.coerce === true) return never;
    switch (d.type) {
      case 'string':
        return (v) => typeof v === 'string';
      case 'number':
        return (v) => typeof v === 'number' && Number.isFinite(v);
      case 'boolean':
        return (v) => typeof v === 'boolean';
      case 'literal': {
        const values = new Set(d.values as readonly unknown[]);
        return (v) => values.has(v);
      }
      case 'enum': {
        const values = new Set(Object.values(d.entries as Record<string, unknown>));
        return (v) => values.has(v);
      }
      case 'optional': {
        const inner = compile(d.innerType as Schema);
        return (v) => v === undefined || inner(v);
      }
      case 'nullable': {
        const inner = compile(d.innerType as Schema);
        return (v) => v === null || inner(v);
      }
      case 'default': {
        // Absent: zod would fill the default in, so the value is not canonical.
        const inner = compile(d.innerType as Schema);
        return (v) => v !== undefined && inner(v);
      }
      case 'array': {
        const el = compile(d.element as Schema);
        return (v) => {
          if (!Array.isArray(v)) return false;
          for (let i = 0; i < v.length; i++) if (!el(v[i])) return false;
          return true;
        };
      }
      case 'tuple': {
        if (d.rest !== null && d.rest !== undefined) return never;
        const items = (d.items as Schema[]).map(compile);
        return (v) => {
          if (!Array.isArray(v) || v.length !== items.length) return false;
          for (let i = 0; i < items.length; i++) if (!items[i]!(v[i])) return false;
          return true;
        };
      }
      case 'record': {
        const key = (d.keyType as Schema)._zod.def;
        if (key.type !== 'string' || key.coerce === true || d.mode !== undefined) return never;
        // A string key schema (its length checks included) returns the key unchanged when it accepts it.
        const keyOk = compile(d.keyType as Schema);
        const value = compile(d.valueType as Schema);
        return (v) => {
          if (!isJsonObject(v)) return false;
          for (const k in v) if (k === '__proto__' || !keyOk(k) || !value(v[k])) return false;
          return true;
        };
      }
      case 'object':
        return object(d);
      case 'union':
        return union(d);
      default:
        return never;
    }
  }

  function object(d: Def): CanonicalCheck {
    if (d.catchall !== undefined) return never;
    const shape = d.shape as Record<string, Schema>;
    const keys = Object.keys(shape);
    // A key that objects inherit would be "present" to zod while absent here.
    if (keys.some((k) => k in Object.prototype)) return never;
    const fields = keys.map((k) => compile(shape[k]!));
    // An absent key is canonical only where zod leaves it absent (optional, not defaulted).
    const mayBeAbsent = keys.map((k) => shape[k]!._zod.optout === 'optional');
    const index = new Map(keys.map((k, i) => [k, i] as const));
    return (v) => {
      if (!isJsonObject(v)) return false;
      // Own keys: known, and in the schema's order (zod writes its output in that order).
      let next = 0;
      for (const k in v) {
        const i = index.get(k);
        if (i === undefined || i < next) return false;
        for (let j = next; j < i; j++) if (!mayBeAbsent[j]) return false;
        if (!fields[i]!(v[k])) return false;
        next = i + 1;
      }
      for (let j = next; j < keys.length; j++) if (!mayBeAbsent[j]) return false;
      return true;
    };
  }

  function union(d: Def): CanonicalCheck {
    const disc = d.discriminator;
    // A plain union returns the first option zod accepts; only a discriminated one is decided by the value.
    if (typeof disc !== 'string' || d.unionFallback === true) return never;
    const byValue = new Map<unknown, CanonicalCheck>();
    for (const option of d.options as Schema[]) {
      const od = option._zod.def;
      const field = od.type === 'object' ? (od.shape as Record<string, Schema>)[disc] : undefined;
      const fd = field?._zod.def;
      if (fd?.type !== 'literal') return never;
      const check = compile(option);
      for (const value of fd.values as readonly unknown[]) {
        if (byValue.has(value)) return never;
        byValue.set(value, check);
      }
    }
    return (v) => {
      if (!isJsonObject(v)) return false;
      const check = byValue.get(v[disc]);
      return check !== undefined && check(v);
    };
  }

  return compile(schema as unknown as Schema);
}

/** The node's own checks (`.min()`, `.regex()`, `.int()`, `.refine()` …), after its type check. */
function withChecks(d: Def, base: CanonicalCheck): CanonicalCheck {
  const checks = (d.checks ?? []).map((c) => c._zod.def);
  if (checks.length === 0 || base === never) return base;
  const compiled: CanonicalCheck[] = [];
  for (const c of checks) {
    const one = check(c);
    if (one === never) return never;
    compiled.push(one);
  }
  return (v) => {
    if (!base(v)) return false;
    for (let i = 0; i < compiled.length; i++) if (!compiled[i]!(v)) return false;
    return true;
  };
}

const lengthOf = (v: unknown): number => (v as { length: number }).length;

function check(c: CheckDef): CanonicalCheck {
  // A check's `when` can only make zod skip it (accept more); running it always is stricter, so sound.
  switch (c.check) {
    case 'min_length': {
      const n = c.minimum as number;
      return (v) => lengthOf(v) >= n;
    }
    case 'max_length': {
      const n = c.maximum as number;
      return (v) => lengthOf(v) <= n;
    }
    case 'length_equals': {
      const n = c.length as number;
      return (v) => lengthOf(v) === n;
    }
    case 'greater_than': {
      const n = c.value;
      if (typeof n !== 'number') return never;
      return c.inclusive === true ? (v) => (v as number) >= n : (v) => (v as number) > n;
    }
    case 'less_than': {
      const n = c.value;
      if (typeof n !== 'number') return never;
      return c.inclusive === true ? (v) => (v as number) <= n : (v) => (v as number) < n;
    }
    case 'number_format':
      return c.format === 'safeint' ? (v) => Number.isSafeInteger(v) : never;
    case 'string_format': {
      const p = c.pattern;
      if (c.format !== 'regex' || !(p instanceof RegExp) || p.global || p.sticky) return never;
      return (v) => p.test(v as string);
    }
    case 'custom': {
      // `.refine(fn)`; a superRefine or a bare check has no `fn` in its definition.
      const fn = c.fn;
      if (c.type !== 'custom' || typeof fn !== 'function') return never;
      return (v) => {
        const r: unknown = (fn as (x: unknown) => unknown)(v);
        return !(r instanceof Promise) && Boolean(r);
      };
    }
    default:
      return never;
  }
}
