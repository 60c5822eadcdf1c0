/**
 * Secrets in a task's environment (Mesos's `Environment.Variable` of `type: SECRET`, holding a
 * `Secret`). Only `Secret.type: VALUE` is taken — the value itself, base64 as in Mesos's JSON;
 * a `REFERENCE` needs a secret resolver, which this cluster does not have, and is refused at the
 * API with that reason.
 *
 * A command keeps them apart from its plain environment (`CommandInfo.secrets`: variable name →
 * secret), so that every view can leave them out: the agent gets the real value (it puts the
 * decoded bytes in the task's environment), and everything that shows a command to people —
 * `mesos replay` output, logs — shows `maskSecrets`'s form instead, which still passes the schema
 * (an export stays replayable) but holds nothing: `{"type":"VALUE","value":{"data":""},"masked":true}`.
 */
import { z } from 'zod';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const Secret = z.object({
  type: z.literal('VALUE'),
  value: z.object({
    /** The secret's bytes, base64 (Mesos's JSON form of `bytes`). */
    data: z.string().max(1024 * 1024).regex(BASE64, { message: 'must be base64 (the secret\'s bytes, as Mesos\'s JSON encodes them)' }),
  }),
  /** Set on a shown copy whose value was taken out (never on what a framework sends). */
  masked: z.literal(true).optional(),
});
export type Secret = z.infer<typeof Secret>;

/** A command's secret environment: variable name → secret. */
export const SecretEnvironment = z.record(z.string().min(1), Secret);
export type SecretEnvironment = z.infer<typeof SecretEnvironment>;

export const MASKED_SECRET: Secret = Object.freeze({ type: 'VALUE', value: Object.freeze({ data: '' }), masked: true }) as Secret;

const isSecretLike = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'VALUE' && typeof (v as { value?: { data?: unknown } }).value?.data === 'string';

/**
 * A `JSON.stringify` replacer that masks every secret environment (a `secrets` object of secrets)
 * wherever it sits: in events, in the projection, in API documents.
 */
export function secretMaskingReplacer(key: string, value: unknown): unknown {
  if (key !== 'secrets' || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0 || !entries.every(([, v]) => isSecretLike(v))) return value;
  return Object.fromEntries(entries.map(([k]) => [k, MASKED_SECRET]));
}

/** A copy of a JSON value with every secret environment masked. */
export function maskSecrets<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, secretMaskingReplacer)) as T;
}

/**
 * The same value with every secret environment masked, copying only the objects on the way to one
 * (the value itself when it holds none): cheap enough for every log line. Plain objects and arrays
 * are walked, to a depth of 12; anything else (errors, Maps, class instances) is kept as it is.
 */
export function withSecretsMasked<T>(value: T, depth = 12): T {
  if (depth === 0 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((x, i) => {
      const m = withSecretsMasked(x, depth - 1);
      if (m !== x) (out ??= [...value])[i] = m;
    });
    return (out ?? value) as T;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, x] of Object.entries(value as Record<string, unknown>)) {
    const m = k === 'secrets' ? secretMaskingReplacer(k, x) : withSecretsMasked(x, depth - 1);
    if (m !== x) (out ??= { ...(value as Record<string, unknown>) })[k] = m;
  }
  return (out ?? value) as T;
}
