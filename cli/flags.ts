/**
 * Command-line flags: `--flag value` and `--flag=value`, `--no-flag` for booleans, `--help`.
 * Every bad flag is a FlagError with a message that says what is wrong and how to get help.
 */

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

export type FlagType = 'string' | 'int' | 'number' | 'duration' | 'optional-duration' | 'bool';

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly help: string;
  readonly default?: string | number | boolean | null;
  readonly required?: boolean;
  /** For string flags: the allowed values. */
  readonly choices?: readonly string[];
  readonly placeholder?: string;
  /** For bool flags: a one-letter form (`-i`), which may be combined with others (`-it`). */
  readonly short?: string;
}

export type FlagValue = string | number | boolean | null | undefined;

export interface Parsed {
  readonly values: Readonly<Record<string, FlagValue>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  nsecs: 1e-6,
  us: 1e-3,
  usecs: 1e-3,
  ms: 1,
  msecs: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  h: 3_600_000,
  hrs: 3_600_000,
  d: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  weeks: 604_800_000,
};

/** `15s`, `500ms`, `10mins` (Mesos's style), `1.5h`; a bare number is seconds. Returns milliseconds. */
export function parseDuration(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(s);
  if (!m) throw new FlagError(`"${s}" is not a duration (try 15s, 500ms, 10mins)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  const factor = unit === '' ? 1000 : UNITS[unit];
  if (factor === undefined) throw new FlagError(`unknown time unit "${m[2]}" in "${s}" (use ms, s, mins, h, days)`);
  return Math.round(n * factor);
}

function convert(spec: FlagSpec, raw: string, command: string): FlagValue {
  const bad = (what: string): never => {
    throw new FlagError(`--${spec.name} ${what}; see \`mesos ${command} --help\``);
  };
  switch (spec.type) {
    case 'string':
      if (spec.choices && !spec.choices.includes(raw)) bad(`must be one of ${spec.choices.join(', ')} (got "${raw}")`);
      return raw;
    case 'int': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(n)) bad(`must be a whole number (got "${raw}")`);
      return n;
    }
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) bad(`must be a number (got "${raw}")`);
      return n;
    }
    case 'duration':
      try {
        return parseDuration(raw);
      } catch (e) {
        return bad(`is not valid: ${(e as Error).message}`);
      }
    case 'optional-duration':
      if (['none', 'never', 'off', ''].includes(raw.toLowerCase())) return null;
      try {
        return parseDuration(raw);
      } catch (e) {
        return bad(`is not valid: ${(e as Error).message}`);
      }
    case 'bool':
      if (['true', '1', 'yes'].includes(raw)) return true;
      if (['false', '0', 'no'].includes(raw)) return false;
      return bad(`must be true or false (got "${raw}")`);
  }
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], command: string): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      const shorts = /^-[A-Za-z]+$/.test(arg) ? [...arg.slice(1)].map((ch) => specs.find((s) => s.short === ch && s.type === 'bool')) : [];
      if (shorts.length > 0 && shorts.every((s) => s !== undefined)) {
        for (const s of shorts as FlagSpec[]) {
          if (Object.prototype.hasOwnProperty.call(values, s.name)) throw new FlagError(`--${s.name} is given more than once`);
          values[s.name] = true;
        }
        continue;
      }
      if (arg.startsWith('-') && arg.length > 1) throw new FlagError(`unknown flag ${arg}; flags are written --name value or --name=value (see \`mesos ${command} --help\`)`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let raw: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    // Mesos spells its flags with underscores (--authenticate_http_readwrite): the same flag here.
    const dashed = name.replace(/_/g, '-');
    if (!byName.has(name) && dashed !== name && (byName.has(dashed) || byName.has(dashed.replace(/^no-/, '')))) name = dashed;
    let spec = byName.get(name);
    if (spec === undefined && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'bool' && raw === undefined) {
      name = name.slice(3);
      spec = byName.get(name);
      raw = 'false';
    }
    if (spec === undefined) {
      const near = [...byName.keys()].find((k) => k.replace(/[-_]/g, '') === name.replace(/[-_]/g, ''));
      throw new FlagError(
        `unknown flag --${name} for \`mesos ${command}\`${near ? ` (did you mean --${near}?)` : ''}; see \`mesos ${command} --help\``,
      );
    }
    if (raw === undefined) {
      if (spec.type === 'bool') raw = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new FlagError(`--${name} needs a value; see \`mesos ${command} --help\``);
        raw = next;
        i++;
      }
    }
    if (Object.prototype.hasOwnProperty.call(values, name)) throw new FlagError(`--${name} is given more than once`);
    values[name] = convert(spec, raw, command);
  }
  if (!help) {
    for (const s of specs) {
      if (!(s.name in values)) {
        if (s.required) throw new FlagError(`--${s.name} is required: ${s.help} (see \`mesos ${command} --help\`)`);
        if (s.default !== undefined) values[s.name] = typeof s.default === 'string' ? convert(s, s.default, command) : s.default;
      }
    }
  }
  return { values, positionals, help };
}

export function usage(command: string, summary: string, specs: readonly FlagSpec[], extra = ''): string {
  const lines = [`Usage: mesos ${command} [flags]`, '', summary, '', 'Flags:'];
  const width = Math.max(...specs.map((s) => s.name.length + (s.short !== undefined ? 4 : 0) + (s.type === 'bool' ? 0 : (s.placeholder ?? s.type).length + 1))) + 4;
  for (const s of specs) {
    const head = `${s.short !== undefined ? `-${s.short}, ` : ''}--${s.name}${s.type === 'bool' ? '' : ` ${(s.placeholder ?? s.type).toUpperCase()}`}`;
    const def =
      s.required ? ' (required)' : s.default !== undefined && s.default !== null && s.default !== '' ? ` (default: ${String(s.default)})` : '';
    const choices = s.choices ? ` [${s.choices.join('|')}]` : '';
    lines.push(`  ${head.padEnd(width + 2)}${s.help}${choices}${def}`);
  }
  lines.push(`  ${'--help'.padEnd(width + 2)}Show this help`);
  if (extra !== '') lines.push('', extra);
  return lines.join('\n');
}

/** Typed accessors over parsed values (the spec has already checked types). */
export const str = (v: FlagValue): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: FlagValue): number | undefined => (typeof v === 'number' ? v : undefined);
export const bool = (v: FlagValue): boolean => v === true;
