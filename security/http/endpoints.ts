/**
 * The authentication realm of each endpoint of the master, as Mesos's master routes them
 * (src/master/master.cpp): the operator API and every endpoint that can change the cluster are
 * read-write (in Mesos that includes GET of /quota, /weights and /maintenance/schedule); the
 * state views are read-only; the scheduler API has its own realm; /health, /redirect and /version
 * are always open. A path missing from the table is read-write, so a new endpoint is never open
 * by accident.
 */
import type { Realm } from './authn.js';

const MASTER: Readonly<Record<string, Realm | null>> = {
  '/api/v1/scheduler': 'scheduler',
  '/api/v1': 'readwrite',
  '/weights': 'readwrite',
  '/quota': 'readwrite',
  '/maintenance/schedule': 'readwrite',
  '/maintenance/status': 'readonly',
  '/roles': 'readonly',
  '/state': 'readonly',
  '/state.json': 'readonly',
  '/state-summary': 'readonly',
  '/roles.json': 'readonly',
  '/slaves': 'readonly',
  '/frameworks': 'readonly',
  '/tasks': 'readonly',
  '/flags': 'readonly',
  '/metrics/snapshot': 'readonly',
  '/metrics': 'readonly',
  '/replay/state': 'readonly',
  '/replay/series': 'readonly',
  '/replay/timeline': 'readonly',
  '/replay/why-pending': 'readonly',
  '/replay/diff': 'readonly',
  '/replay/verify': 'readonly',
  '/permissions': 'readonly',
  '/masters': 'readonly',
  '/health': null,
  '/redirect': null,
  '/version': null,
};

/** The realm of a master path (with or without the `/master` prefix); null: always open. */
export function masterRealm(path: string): Realm | null {
  const p = path.startsWith('/master/') ? path.slice('/master'.length) : path;
  const r = MASTER[p];
  return r === undefined ? 'readwrite' : r;
}

/** The agent's endpoints: its views are read-only; anything else read-write. */
export function agentRealm(path: string): Realm | null {
  if (path === '/health' || path === '/version' || path === '/slave(1)/health') return null;
  return 'readonly';
}
