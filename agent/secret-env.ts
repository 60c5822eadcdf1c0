/**
 * The secret part of a task's environment, decoded for its process: the agent is the one party
 * that turns a `Secret` (events/secrets.ts) back into the value. Never logged, never shown.
 */
import type { SecretEnvironment } from '../events/index.js';

export function secretEnvironment(s: SecretEnvironment | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, secret] of Object.entries(s ?? {})) out[name] = Buffer.from(secret.value.data, 'base64').toString('utf8');
  return out;
}
