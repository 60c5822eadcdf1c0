/**
 * The HTTP credentials `mesos dev` gives its cluster: DIR/http.json in Mesos's format, principals
 * `operator` (for the user's own commands) and `framework` (for HTTP frameworks), random secrets,
 * mode 0600 in a 0700 directory. An existing file is kept (a restarted dev cluster keeps its
 * credentials), unless it is not a valid credentials file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCredentials } from '../../security/http/index.js';

export const DEV_PRINCIPALS = ['operator', 'framework'] as const;

export function writeHttpCredentials(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = join(dir, 'http.json');
  if (existsSync(file)) {
    try {
      const have = parseCredentials(readFileSync(file, 'utf8'), file);
      if (DEV_PRINCIPALS.every((p) => have.some((c) => c.principal === p))) {
        chmodSync(file, 0o600);
        return file;
      }
    } catch {
      // not ours any more: written afresh below
    }
  }
  const credentials = DEV_PRINCIPALS.map((principal) => ({ principal, secret: randomBytes(24).toString('base64url') }));
  writeFileSync(file, `${JSON.stringify({ credentials }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
