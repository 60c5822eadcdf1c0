// Locating a nats-server binary (>= 2.10): $MESOS_NATS_SERVER, the one scripts/setup.sh fetched
// into .nats/, or PATH. Fetching one is scripts/setup.sh's job (`npm run setup`).

import { execFileSync } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NatsServerError } from './errors.js';

export const MIN_NATS_VERSION: readonly [number, number] = [2, 10];

const PROJECT_NAME = 'mesos-ts';
const SETUP_HINT =
  'run `npm run setup` (scripts/setup.sh) to fetch one, or install nats-server >= 2.10 ' +
  '(Debian trixie package `nats-server`, or a release from the NATS project) and put it on PATH ' +
  'or set MESOS_NATS_SERVER to its path';

// Locating the binary

let cachedRoot: string | undefined;

/** The repository root: the nearest ancestor of this module with a package.json named "mesos-ts". */
export function projectRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown };
        if (parsed.name === PROJECT_NAME) {
          cachedRoot = dir;
          return dir;
        }
      } catch {
        // unreadable package.json: keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  cachedRoot = process.cwd();
  return cachedRoot;
}

const versionCache = new Map<string, string | null>();

/** The version ("2.10.27") a nats-server binary reports, or undefined if it does not run as one. */
export function natsServerVersion(bin: string): string | undefined {
  const cached = versionCache.get(bin);
  if (cached !== undefined) return cached ?? undefined;
  let version: string | null = null;
  try {
    const st = statSync(bin);
    if (st.isFile()) {
      accessSync(bin, fsConstants.X_OK);
      const out = execFileSync(bin, ['--version'], {
        encoding: 'utf8',
        timeout: 10_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const m = /nats-server:?\s*v?(\d+\.\d+(?:\.\d+)?)/.exec(out) ?? /v?(\d+\.\d+\.\d+)/.exec(out);
      version = m?.[1] ?? null;
    }
  } catch {
    version = null;
  }
  versionCache.set(bin, version);
  return version ?? undefined;
}

/** True if `version` ("2.10.27") is at least MIN_NATS_VERSION. */
export function isSupportedNatsVersion(version: string | undefined): boolean {
  if (!version) return false;
  const [maj, min] = version.split('.').map((p) => Number.parseInt(p, 10));
  if (maj === undefined || min === undefined || Number.isNaN(maj) || Number.isNaN(min)) return false;
  const [reqMaj, reqMin] = MIN_NATS_VERSION;
  return maj > reqMaj || (maj === reqMaj && min >= reqMin);
}

function usable(bin: string): boolean {
  return isSupportedNatsVersion(natsServerVersion(bin));
}

/** The executable `name` on a PATH-style list of directories (default: this process's PATH), or undefined. */
export function onPath(name: string, pathVar: string | undefined = process.env.PATH): string | undefined {
  if (!pathVar) return undefined;
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const cand = join(dir, name);
    try {
      if (statSync(cand).isFile()) {
        accessSync(cand, fsConstants.X_OK);
        return cand;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Finds a nats-server >= 2.10. Order: $MESOS_NATS_SERVER (an explicitly set
 * but unusable value is an error), `<root>/.nats/server-path` (written by
 * scripts/setup.sh), `<root>/.nats/bin/nats-server`, `nats-server` on PATH.
 * Returns an absolute path; throws NatsServerError (code NATS_SERVER_MISSING).
 */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env, cwd: string = projectRoot()): string {
  const explicit = env.MESOS_NATS_SERVER;
  if (explicit !== undefined && explicit.trim() !== '') {
    const raw = explicit.trim();
    const cand = raw.includes('/') ? resolve(cwd, raw) : onPath(raw, env.PATH);
    const version = cand ? natsServerVersion(cand) : undefined;
    if (cand && isSupportedNatsVersion(version)) return cand;
    const why = !cand || version === undefined ? 'is not a runnable nats-server' : `is version ${version}`;
    throw new NatsServerError(
      'NATS_SERVER_MISSING',
      `MESOS_NATS_SERVER=${explicit} ${why}; a nats-server >= 2.10 is required. ` +
        `Fix or unset MESOS_NATS_SERVER, or ${SETUP_HINT}.`,
    );
  }

  const pathFile = join(cwd, '.nats', 'server-path');
  if (existsSync(pathFile)) {
    try {
      const recorded = readFileSync(pathFile, 'utf8').trim();
      if (recorded) {
        const cand = isAbsolute(recorded) ? recorded : resolve(cwd, recorded);
        if (usable(cand)) return cand;
      }
    } catch {
      // fall through
    }
  }

  const local = join(cwd, '.nats', 'bin', 'nats-server');
  if (usable(local)) return local;

  const fromPath = onPath('nats-server', env.PATH);
  if (fromPath && usable(fromPath)) return resolve(fromPath);

  throw new NatsServerError(
    'NATS_SERVER_MISSING',
    `No nats-server >= 2.10 found (checked MESOS_NATS_SERVER, ${pathFile}, ${local}, PATH). ${SETUP_HINT}.`,
  );
}
