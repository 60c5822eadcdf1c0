/**
 * What the `mesos replay` subcommands share: where the log comes from (`--nats` or `--file`),
 * points of history, and turning a ReplayError into its message and exit status.
 */
import { type LogSource, ReplayError, exitCodeOf, fileSource, natsSource, parsePoint, resolvePoint, type Head, type Point } from '../../replay/index.js';
import { FlagError, type FlagSpec, type FlagValue, bool, str } from '../flags.js';
import { createLogger } from '../log.js';

/** A `mesos replay` subcommand (`mesos replay <name>`). */
export interface ReplayCommand {
  readonly name: string;
  readonly summary: string;
  readonly flags: readonly FlagSpec[];
  readonly run: (values: Readonly<Record<string, FlagValue>>) => Promise<number>;
  readonly extra?: string;
}

export const SOURCE_FLAGS: readonly FlagSpec[] = [
  { name: 'nats', type: 'string', placeholder: 'url', help: "The cluster's NATS server URL(s), comma separated (read only: nothing is written)" },
  { name: 'file', type: 'string', placeholder: 'path', help: 'Read a JSON Lines export (`mesos replay export --format jsonl`) instead of NATS' },
];

export const SNAPSHOTS_FLAG: FlagSpec = {
  name: 'snapshots',
  type: 'bool',
  default: true,
  help: "Start from the nearest snapshot before the point (--no-snapshots folds from the first event, e.g. when this build's fold may differ from the master's that wrote them)",
};

export const POINT_HELP = 'a log sequence, a time with a zone (2026-12-01T08:00:00Z), ms:<epoch ms>, or head';

/** Open the source the flags name; the caller closes it. */
export async function openSource(v: Readonly<Record<string, FlagValue>>, command: string): Promise<LogSource> {
  const nats = str(v.nats);
  const file = str(v.file);
  if ((nats === undefined) === (file === undefined)) {
    throw new FlagError(`give either --nats URL (the cluster's log) or --file PATH (an export); see \`mesos ${command} --help\``);
  }
  if (file !== undefined) return fileSource(file);
  return natsSource(nats!, createLogger('warn', 'mesos-replay'));
}

/** Resolve a point flag (undefined when the flag is absent). */
export async function pointFlag(source: LogSource, head: Head, v: Readonly<Record<string, FlagValue>>, flag: string): Promise<Point | undefined> {
  const text = str(v[flag]);
  if (text === undefined) return undefined;
  return resolvePoint(source, parsePoint(text, flag), head, flag);
}

/** Run a subcommand body on its source; a ReplayError becomes its message and exit status. */
export async function withSource(v: Readonly<Record<string, FlagValue>>, command: string, body: (source: LogSource) => Promise<number>): Promise<number> {
  // Piped into `head` or `less` and closed early: stop quietly, as Unix tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  let source: LogSource | undefined;
  try {
    source = await openSource(v, command);
    return await body(source);
  } catch (err) {
    if (err instanceof ReplayError) {
      process.stderr.write(`mesos ${command}: ${err.message}\n`);
      return exitCodeOf(err);
    }
    throw err;
  } finally {
    await source?.close();
  }
}

/** Where progress bars go: stderr when it is a terminal (the bar checks), never stdout. */
export const progressOut = () => process.stderr;

export const wantJson = (v: Readonly<Record<string, FlagValue>>): boolean => bool(v.json);

export const iso = (ms: number): string => (ms > 0 ? new Date(ms).toISOString() : '');
