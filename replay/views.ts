/**
 * How a replayed state is printed.
 *
 * - `master` (the default): the document `/master/state` serves, built by the same function
 *   (kernel/shell/http/state-json.ts), so what a user knows from the live master — and every tool that
 *   reads it — works on any point of history. The fields that describe the serving master process
 *   rather than the cluster are not in the log: `id`, `pid` and `hostname` are the leader's at that
 *   point, `start_time` and `elected_time` its election time, `flags` is empty, and `version` is
 *   this build's.
 * - `projection`: everything the fold keeps (outbox, filters, retired offers, counters, the task
 *   status histories), canonical JSON: maps as objects with sorted keys, sets as sorted arrays.
 */
import { VERSION } from '../kernel/shell/master/index.js';
import { masterStateJson } from '../kernel/shell/http/state-json.js';
import type { State } from '../kernel/core/state.js';
import { canonical } from './json.js';

export const STATE_VIEWS = ['master', 'projection'] as const;
export type StateView = (typeof STATE_VIEWS)[number];

export function masterView(s: State): Record<string, unknown> {
  const l = s.leader;
  return masterStateJson(s, {
    id: l?.masterId ?? '',
    hostname: l?.hostname ?? '',
    ip: l?.ip ?? '',
    port: l?.port ?? 0,
    version: VERSION,
    startTime: l?.electedAt ?? 0,
    electedTime: l?.electedAt ?? null,
    flags: {},
  });
}

export const stateView = (s: State, view: StateView): unknown => (view === 'master' ? masterView(s) : canonical(s));

/**
 * Fields of `/master/state` that describe the serving process, not the cluster (not in the log).
 * `capabilities` are what the serving build can do (the master's, and the agents' as that build
 * states them: agents announce none), so a newer build may list more for the same log.
 */
export const SERVING_PROCESS_FIELDS = ['version', 'build_date', 'build_time', 'start_time', 'elected_time', 'flags', 'id', 'pid', 'hostname', 'capabilities'] as const;
