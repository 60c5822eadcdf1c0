/**
 * What this build is, for `/version`, GET_VERSION and the state's build fields: the build time is
 * when this module was compiled (the modification time of its own compiled file; `npm run build`
 * writes it), as Mesos reports the time its binary was built.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BuildInfo {
  /** Seconds since the epoch. */
  readonly buildTime: number;
  /** Mesos's format: `YYYY-MM-DD HH:MM:SS` (UTC). */
  readonly buildDate: string;
}

function read(): BuildInfo {
  let ms: number;
  try {
    ms = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  } catch {
    ms = 0;
  }
  const buildTime = Math.floor(ms / 1000);
  return { buildTime, buildDate: ms === 0 ? '' : new Date(buildTime * 1000).toISOString().replace('T', ' ').slice(0, 19) };
}

export const BUILD: BuildInfo = read();
