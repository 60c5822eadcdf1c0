/**
 * The state file of a running `mesos dev` (`<data>/dev-state.json`): who its children are (role,
 * name, pid, ports, alive or not). `mesos dev` rewrites it (atomically: write, then rename) whenever
 * a child starts or exits; `mesos chaos` reads it to find its targets. The zod schema is the
 * contract between the two.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const DEV_STATE_FILE = 'dev-state.json';

export const ROLES = ['master', 'agent', 'nats', 'framework'] as const;
export type Role = (typeof ROLES)[number];

export const DevChild = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  /** 0 when not running (never started, or dead and not restarted yet). */
  pid: z.number().int(),
  alive: z.boolean(),
  /** The port it serves: HTTP for masters and agents, the client port for NATS nodes. */
  port: z.number().int(),
  url: z.string(),
  /** NATS nodes: the monitoring URL (/healthz, /jsz). */
  monitorUrl: z.string().optional(),
  restarts: z.number().int(),
  /** How it last ended ("SIGKILL", "exit 1"), when it did. */
  lastExit: z.string().optional(),
  /**
   * With `mesos dev --netns`: the child's network namespace, its address there, and the host side
   * of its veth pair (down: the child is partitioned, both ways).
   */
  netns: z.object({ ns: z.string(), addr: z.string(), veth: z.string() }).optional(),
});
export type DevChild = z.infer<typeof DevChild>;

export const DevState = z.object({
  version: z.literal(1),
  /** The pid of `mesos dev` itself. */
  pid: z.number().int(),
  data: z.string(),
  logs: z.string(),
  /** The NATS servers, comma separated, as every command's --nats takes them. */
  nats: z.string(),
  natsNodes: z.number().int(),
  /** Restart dead children after this many ms; null: leave them dead. */
  restartKilledMs: z.number().nullable(),
  /** The cgroup the agents make task cgroups under. */
  cgroupsRoot: z.string(),
  /** Set once the cluster is up (every child started, a leader elected, the agents registered). */
  ready: z.boolean(),
  /** Where the children run: each in a network namespace of its own (`--netns`), or in the host's. */
  network: z.enum(['netns', 'host']).optional(),
  children: z.array(DevChild),
});
export type DevState = z.infer<typeof DevState>;

export function devStatePath(dataDir: string): string {
  return join(dataDir, DEV_STATE_FILE);
}

export function writeDevState(dataDir: string, s: DevState): void {
  const path = devStatePath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(tmp, path);
}

export class DevStateError extends Error {
  override readonly name = 'DevStateError';
}

/** Reads and checks the state file; a missing or malformed one is a DevStateError saying what to do. */
export function readDevState(dataDir: string): DevState {
  const path = devStatePath(dataDir);
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    throw new DevStateError(`no ${path}: is \`mesos dev --data ${dataDir}\` running? (start it with that --data dir)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new DevStateError(`${path} is not JSON (${(err as Error).message})`);
  }
  const r = DevState.safeParse(json);
  if (!r.success) throw new DevStateError(`${path} is not a mesos dev state file: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}
