/** The Mesos scheduler API's JSON and ours: small shared pieces (see index.ts). */
import { z } from 'zod';
import { type MesosLabels } from '../wire.js';
import { MesosIdJson, MesosLabelsJson, MesosUnavailabilityJson } from './json.js';
export const nanos = (ms: number): { nanoseconds: number } => ({ nanoseconds: Math.round(ms * 1e6) });

export function unavailabilityToMesos(u: { start: number; durationMs?: number | undefined }): MesosUnavailabilityJson {
  return { start: nanos(u.start), ...(u.durationMs !== undefined ? { duration: nanos(u.durationMs) } : {}) };
}

export const id = (value: string): MesosIdJson => ({ value });

export function labelsFromMesos(labels: MesosLabels | undefined): Record<string, string> | undefined {
  if (labels === undefined || labels.labels.length === 0) return undefined;
  return Object.fromEntries(labels.labels.map((l) => [l.key, l.value ?? '']));
}

export function labelsToMesos(labels: Readonly<Record<string, string>> | undefined): MesosLabelsJson | undefined {
  if (labels === undefined) return undefined;
  const entries = Object.entries(labels);
  return entries.length === 0 ? undefined : { labels: entries.map(([key, value]) => ({ key, value })) };
}

/** Our zod issues as one line, e.g. "agentId: only letters, digits, …". */
export function issuesText(error: z.ZodError, rename: Readonly<Record<string, string>> = {}): string {
  return error.issues
    .map((i) => {
      const path = i.path.map((p) => rename[String(p)] ?? String(p)).join('.');
      return path === '' ? i.message : `${path}: ${i.message}`;
    })
    .join('; ');
}

export { roleError } from '../../../core/roles.js';
