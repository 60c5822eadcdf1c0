/**
 * Health checks and checks between Mesos's JSON (HealthCheck, CheckInfo, CheckStatusInfo of
 * mesos.proto v1) and ours (events/checks.ts), both ways. Inbound, Mesos's validation
 * (common/validation.cpp) is applied with its messages ("Task uses invalid health check: …");
 * seconds become whole milliseconds. Outbound, fields are in .proto declaration order and
 * Mesos's defaults are written out, as `JSON::Protobuf` does for a stored TaskInfo.
 */
import {
  type CheckCommand,
  CheckInfo,
  type CheckStatusInfo,
  type CheckType,
  HealthCheck,
} from '../../../events/index.js';
import type { MesosCheckInfo, MesosCommandInfo, MesosHealthCheck } from './wire.js';

export type Converted<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** seconds (double) → whole ms; Mesos's "Expecting '<field>' to be non-negative". */
function msOf(field: string, seconds: number | undefined): number | undefined | string {
  if (seconds === undefined) return undefined;
  if (Number.isNaN(seconds) || seconds < 0) return `Expecting '${field}' to be non-negative`;
  if (!Number.isFinite(seconds) || seconds > 100 * 365 * 86_400) return `'${field}' is too large (at most 100 years)`;
  return Math.round(seconds * 1000);
}

function commandOf(c: MesosCommandInfo, what: string): CheckCommand | string {
  if (c.value === undefined || c.value === '') {
    return `${what} must contain ${c.shell ? "'shell command'" : "'executable path'"}`;
  }
  let environment: Record<string, string> | undefined;
  for (const v of c.environment?.variables ?? []) {
    if (v.type === 'SECRET') return `${what}'s \`CommandInfo\` is invalid: secret environment variables are not supported yet ('${v.name}')`;
    if (v.value === undefined) return `${what}'s \`CommandInfo\` is invalid: environment variable '${v.name}' has no value`;
    (environment ??= {})[v.name] = v.value;
  }
  return {
    value: c.value,
    shell: c.shell,
    ...(c.arguments.length > 0 ? { arguments: [...c.arguments] } : {}),
    ...(environment !== undefined ? { environment } : {}),
  };
}

function portOf(port: number, what: string): number | string {
  return port >= 1 && port <= 65535 ? port : `the port of ${what} must be between 1 and 65535 (got ${port})`;
}

/** What every check has: its type and timings. Returns the first error, if any. */
function common(
  type: MesosHealthCheck['type'],
  c: { delay_seconds?: number | undefined; interval_seconds?: number | undefined; timeout_seconds?: number | undefined },
  what: 'health check' | 'check',
): { type: CheckType; timing: Record<string, number> } | string {
  if (type === undefined) return what === 'health check' ? "HealthCheck must specify 'type'" : "CheckInfo must specify 'type'";
  if (type === 'UNKNOWN') return `'UNKNOWN' is not a valid ${what} type`;
  const timing: Record<string, number> = {};
  for (const [field, key] of [
    ['delay_seconds', 'delayMs'],
    ['interval_seconds', 'intervalMs'],
    ['timeout_seconds', 'timeoutMs'],
  ] as const) {
    const v = msOf(field, c[field]);
    if (typeof v === 'string') return v;
    if (v !== undefined) timing[key] = v;
  }
  return { type, timing };
}

/** Mesos HealthCheck → ours, with Mesos's validation. */
export function healthCheckFromMesos(h: MesosHealthCheck): Converted<HealthCheck> {
  const fail = (e: string): Converted<HealthCheck> => ({ ok: false, error: `Task uses invalid health check: ${e}` });
  const base = common(h.type, h, 'health check');
  if (typeof base === 'string') return fail(base);
  const extra: Record<string, unknown> = {};
  const grace = msOf('grace_period_seconds', h.grace_period_seconds);
  if (typeof grace === 'string') return fail(grace);
  if (grace !== undefined) extra.gracePeriodMs = grace;
  if (h.consecutive_failures !== undefined) extra.consecutiveFailures = h.consecutive_failures;
  switch (base.type) {
    case 'COMMAND': {
      if (h.command === undefined) return fail("Expecting 'command' to be set for COMMAND health check");
      const command = commandOf(h.command, 'Command health check');
      if (typeof command === 'string') return fail(command);
      extra.command = command;
      break;
    }
    case 'HTTP': {
      if (h.http === undefined) return fail("Expecting 'http' to be set for HTTP health check");
      const { scheme, path } = h.http;
      if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') return fail(`Unsupported HTTP health check scheme: '${scheme}'`);
      if (path !== undefined && !path.startsWith('/')) return fail(`The path '${path}' of HTTP health check must start with '/'`);
      const port = portOf(h.http.port, 'an HTTP health check');
      if (typeof port === 'string') return fail(port);
      // `statuses` is for custom executors; Mesos's built-in executors ignore it, so do we.
      extra.http = { port, ...(path !== undefined ? { path } : {}), ...(scheme !== undefined ? { scheme } : {}), protocol: h.http.protocol };
      break;
    }
    case 'TCP': {
      if (h.tcp === undefined) return fail("Expecting 'tcp' to be set for TCP health check");
      const port = portOf(h.tcp.port, 'a TCP health check');
      if (typeof port === 'string') return fail(port);
      extra.tcp = { port, protocol: h.tcp.protocol };
      break;
    }
  }
  const parsed = HealthCheck.safeParse({ type: base.type, ...base.timing, ...extra });
  return parsed.success ? { ok: true, value: parsed.data } : fail(parsed.error.issues.map((i) => i.message).join('; '));
}

/** Mesos CheckInfo → ours, with Mesos's validation. */
export function checkFromMesos(c: MesosCheckInfo): Converted<CheckInfo> {
  const fail = (e: string): Converted<CheckInfo> => ({ ok: false, error: `Task uses invalid check: ${e}` });
  const base = common(c.type, c, 'check');
  if (typeof base === 'string') return fail(base);
  const extra: Record<string, unknown> = {};
  switch (base.type) {
    case 'COMMAND': {
      if (c.command === undefined) return fail("Expecting 'command' to be set for COMMAND check");
      const command = commandOf(c.command.command, 'Command check');
      if (typeof command === 'string') return fail(command);
      extra.command = command;
      break;
    }
    case 'HTTP': {
      if (c.http === undefined) return fail("Expecting 'http' to be set for HTTP check");
      const { path } = c.http;
      if (path !== undefined && !path.startsWith('/')) return fail(`The path '${path}' of HTTP check must start with '/'`);
      const port = portOf(c.http.port, 'an HTTP check');
      if (typeof port === 'string') return fail(port);
      extra.http = { port, ...(path !== undefined ? { path } : {}) };
      break;
    }
    case 'TCP': {
      if (c.tcp === undefined) return fail("Expecting 'tcp' to be set for TCP check");
      const port = portOf(c.tcp.port, 'a TCP check');
      if (typeof port === 'string') return fail(port);
      extra.tcp = { port };
      break;
    }
  }
  const parsed = CheckInfo.safeParse({ type: base.type, ...base.timing, ...extra });
  return parsed.success ? { ok: true, value: parsed.data } : fail(parsed.error.issues.map((i) => i.message).join('; '));
}

// ---------------------------------------------------------------------------------------------
// Outbound

export type MesosCommandJson = {
  environment?: { variables: { name: string; type: 'VALUE'; value: string }[] };
  shell: boolean;
  value: string;
  arguments?: string[];
};

export type MesosHealthCheckJson = {
  http?: { port?: number; path?: string; scheme?: string; protocol: 'IPv4' | 'IPv6' };
  delay_seconds: number;
  interval_seconds: number;
  timeout_seconds: number;
  consecutive_failures: number;
  grace_period_seconds: number;
  command?: MesosCommandJson;
  type: CheckType;
  tcp?: { port?: number; protocol: 'IPv4' | 'IPv6' };
};

export type MesosCheckInfoJson = {
  type: CheckType;
  command?: { command: MesosCommandJson };
  http?: { port?: number; path?: string };
  delay_seconds: number;
  interval_seconds: number;
  timeout_seconds: number;
  tcp?: { port?: number };
};

export type MesosCheckStatusJson = {
  type: CheckType;
  command?: { exit_code?: number };
  http?: { status_code?: number };
  tcp?: { succeeded?: boolean };
};

function commandToMesos(c: CheckCommand): MesosCommandJson {
  const vars = Object.entries(c.environment ?? {});
  return {
    ...(vars.length > 0 ? { environment: { variables: vars.map(([name, value]) => ({ name, type: 'VALUE' as const, value })) } } : {}),
    shell: c.shell,
    value: c.value,
    ...(c.arguments !== undefined && c.arguments.length > 0 ? { arguments: [...c.arguments] } : {}),
  };
}

const secs = (ms: number): number => ms / 1000;
/** Our port is optional (the task's first port); Mesos's is required, so it is left out only then. */
const port = (p: number | undefined): { port?: number } => (p !== undefined ? { port: p } : {});

export function healthCheckToMesos(h: HealthCheck): MesosHealthCheckJson {
  return {
    ...(h.http !== undefined
      ? {
          http: {
            ...port(h.http.port),
            ...(h.http.path !== undefined ? { path: h.http.path } : {}),
            ...(h.http.scheme !== undefined ? { scheme: h.http.scheme } : {}),
            protocol: h.http.protocol ?? 'IPv4',
          },
        }
      : {}),
    delay_seconds: secs(h.delayMs),
    interval_seconds: secs(h.intervalMs),
    timeout_seconds: secs(h.timeoutMs),
    consecutive_failures: h.consecutiveFailures,
    grace_period_seconds: secs(h.gracePeriodMs),
    ...(h.command !== undefined ? { command: commandToMesos(h.command) } : {}),
    type: h.type,
    ...(h.tcp !== undefined ? { tcp: { ...port(h.tcp.port), protocol: h.tcp.protocol ?? 'IPv4' } } : {}),
  };
}

export function checkToMesos(c: CheckInfo): MesosCheckInfoJson {
  return {
    type: c.type,
    ...(c.command !== undefined ? { command: { command: commandToMesos(c.command) } } : {}),
    ...(c.http !== undefined ? { http: { ...port(c.http.port), ...(c.http.path !== undefined ? { path: c.http.path } : {}) } } : {}),
    delay_seconds: secs(c.delayMs),
    interval_seconds: secs(c.intervalMs),
    timeout_seconds: secs(c.timeoutMs),
    ...(c.tcp !== undefined ? { tcp: port(c.tcp.port) } : {}),
  };
}

export function checkStatusToMesos(s: CheckStatusInfo): MesosCheckStatusJson {
  return {
    type: s.type,
    ...(s.command !== undefined ? { command: s.command.exitCode !== undefined ? { exit_code: s.command.exitCode } : {} } : {}),
    ...(s.http !== undefined ? { http: s.http.statusCode !== undefined ? { status_code: s.http.statusCode } : {} } : {}),
    ...(s.tcp !== undefined ? { tcp: s.tcp.succeeded !== undefined ? { succeeded: s.tcp.succeeded } : {} } : {}),
  };
}
