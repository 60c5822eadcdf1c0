/**
 * `mesos apply -f FILE|DIR` and `mesos diff -f FILE|DIR`: declarative service and job files (see
 * cli/apply/): the plan of what changes, field by field, then (apply) the changes, sent to the
 * services API (Marathon's) and the jobs API (Chronos's).
 */
import { runApply } from '../apply/run.js';
import type { FlagSpec } from '../flags.js';
import { AUTH_FLAGS, clientAuth } from './operator-common.js';

const common: readonly FlagSpec[] = [
  { name: 'file', type: 'string', required: true, placeholder: 'FILE|DIR', help: 'A definition file (YAML or JSON), or a directory: all its .yaml, .yml and .json files are one desired state (-f)' },
  { name: 'services', type: 'string', default: 'http://127.0.0.1:8080', placeholder: 'url', help: 'The services API (`mesos services`, Marathon REST API v2) (env MESOS_SERVICES_URL)' },
  { name: 'jobs', type: 'string', default: 'http://127.0.0.1:4400', placeholder: 'url', help: 'The jobs API (`mesos jobs`, Chronos API) (env MESOS_JOBS_URL)' },
  { name: 'prune', type: 'bool', default: false, help: 'Also remove the services and jobs applied from files earlier that the files no longer hold (never those made otherwise)' },
  ...AUTH_FLAGS,
];
export const applyFlags: readonly FlagSpec[] = common;
export const diffFlags: readonly FlagSpec[] = common;

const run = async (v: Readonly<Record<string, unknown>>, dryRun: boolean): Promise<number> => {
  const auth = clientAuth(v);
  const r = await runApply({
    path: v.file as string,
    servicesUrl: process.env.MESOS_SERVICES_URL !== undefined && v.services === 'http://127.0.0.1:8080' ? process.env.MESOS_SERVICES_URL : (v.services as string),
    jobsUrl: process.env.MESOS_JOBS_URL !== undefined && v.jobs === 'http://127.0.0.1:4400' ? process.env.MESOS_JOBS_URL : (v.jobs as string),
    prune: v.prune === true,
    dryRun,
    ...(auth !== undefined ? { auth } : {}),
    out: (line) => void process.stdout.write(`${line}\n`),
  });
  return r.code;
};

export const runApplyCommand = (v: Readonly<Record<string, unknown>>): Promise<number> => run(v, false);
export const runDiffCommand = (v: Readonly<Record<string, unknown>>): Promise<number> => run(v, true);
