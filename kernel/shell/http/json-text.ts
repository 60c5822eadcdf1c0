/**
 * JSON request bodies, parsed with the two limits a body from anyone must meet before it reaches
 * code that walks it recursively (the zod schemas, the null-dropping of Mesos's conventions):
 * nesting at most MAX_JSON_DEPTH deep (Mesos's parser, picojson, stops at 100 as well), and every
 * number finite (`1e400` is not a number a double can hold; it would silently become Infinity).
 * One linear scan over the text, then JSON.parse.
 */

/** Deepest nesting of arrays and objects accepted; Mesos messages are far shallower. */
export const MAX_JSON_DEPTH = 100;

export type JsonText = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

/** Why the text is out of the limits (depth, number range), or undefined; syntax is left to JSON.parse. */
export function jsonLimitError(text: string, maxDepth = MAX_JSON_DEPTH): string | undefined {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string, escapes included.
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) return `JSON is nested more than ${maxDepth} levels deep`;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < n && /[0-9eE.+-]/.test(text[j]!)) j++;
      const literal = text.slice(i, j);
      // Only a literal with an exponent can overflow a double (a 309-digit integer aside).
      if ((j - i > 308 || /[eE]/.test(literal)) && Math.abs(Number(literal)) === Infinity) {
        return `the number ${literal.length > 40 ? `${literal.slice(0, 40)}…` : literal} is out of range (a double holds at most about 1.8e308)`;
      }
      i = j - 1;
    }
  }
  return undefined;
}

/** JSON.parse within the limits above; the error reads as the reason, without a prefix. */
export function parseJsonText(text: string, maxDepth = MAX_JSON_DEPTH): JsonText {
  const limit = jsonLimitError(text, maxDepth);
  if (limit !== undefined) return { ok: false, error: limit };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
