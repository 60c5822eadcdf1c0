/** Pieces shared by the subcommands: common flags, and graceful shutdown on signals. */
import type { FlagSpec } from '../flags.js';
import { LOG_LEVELS } from '../log.js';

export const NATS_FLAG: FlagSpec = {
  name: 'nats',
  type: 'string',
  required: true,
  placeholder: 'url',
  help: 'NATS server URL(s), comma separated, e.g. nats://127.0.0.1:4222',
};
/** --creds: the NATS credentials of a command that connects (the `nats` CLI's flag name); MESOS_CREDS otherwise. */
export const CREDS_FLAG: FlagSpec = {
  name: 'creds',
  type: 'string',
  placeholder: 'file',
  help: 'NATS credentials (.creds: user JWT and nkey seed, from `mesos creds issue`); default MESOS_CREDS. A secured NATS refuses a connection without them',
};
/** --tls-ca: the CA the cluster's servers (NATS, the master's HTTPS) are verified against. */
export const TLS_CA_FLAG: FlagSpec = {
  name: 'tls-ca',
  type: 'string',
  placeholder: 'file',
  help: 'PEM CA certificate: connect to NATS (and the master) over TLS, verifying their certificates against it',
};
/** --tls-cert/--tls-key: a server's certificate (its HTTP endpoint then serves HTTPS only), and --tls-ca. */
export const TLS_SERVER_FLAGS: readonly FlagSpec[] = [
  { name: 'tls-cert', type: 'string', placeholder: 'file', help: 'PEM certificate: the HTTP endpoint serves HTTPS only (with --tls-key)' },
  { name: 'tls-key', type: 'string', placeholder: 'file', help: 'PEM private key of --tls-cert' },
  TLS_CA_FLAG,
];

/** The TLS files given on the command line, for MasterOptions/AgentOptions `tls`. */
export function tlsFiles(v: Readonly<Record<string, unknown>>): { cert?: string; key?: string; ca?: string } {
  const pick = (k: string): string | undefined => (typeof v[k] === 'string' && v[k] !== '' ? (v[k] as string) : undefined);
  const cert = pick('tls-cert');
  const key = pick('tls-key');
  const ca = pick('tls-ca');
  return { ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}), ...(ca !== undefined ? { ca } : {}) };
}

export const LOG_LEVEL_FLAG: FlagSpec = { name: 'log-level', type: 'string', default: 'info', choices: LOG_LEVELS, help: 'Log level (logs go to stderr)' };

/**
 * Run `stop` once on SIGINT, SIGTERM, or when the parent that spawned us with an IPC channel goes
 * away (so `mesos dev` never leaves a child behind, even when it is killed itself).
 */
export function onShutdown(stop: (why: string) => Promise<void>): void {
  let stopping = false;
  const run = (why: string): void => {
    if (stopping) return;
    stopping = true;
    stop(why)
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
        process.exit(1);
      });
  };
  process.once('SIGINT', () => run('SIGINT'));
  process.once('SIGTERM', () => run('SIGTERM'));
  if (process.channel) process.once('disconnect', () => run('parent exited'));
}
