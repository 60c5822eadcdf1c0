/**
 * The services framework's own log: every decision it takes is one of these events, appended to
 * its stream (`SERVICES`, subjects `svc.>`, see store.ts) before it acts on it, so a restarted
 * framework folds them (state.ts) and carries on where it was. Times are the appender's clock (ms).
 */
import { z } from 'zod';
import { AppDefinition } from './app.js';

const at = z.number().int().nonnegative();

export const DEPLOYMENT_KINDS = ['create', 'scale', 'upgrade', 'restart', 'delete', 'rollback'] as const;
export type DeploymentKind = (typeof DEPLOYMENT_KINDS)[number];

export const ServicesEvent = z.discriminatedUnion('type', [
  /** The framework id the cluster knows this framework by (kept so a restart subscribes as the same framework). */
  z.object({ type: z.literal('FrameworkIdRecorded'), at, frameworkId: z.string().min(1) }),
  /** An app's definition changed (created, updated, scaled, restarted); a deployment carries it out. */
  z.object({
    type: z.literal('AppDefined'),
    at,
    app: AppDefinition,
    /** Any change. */
    version: z.string(),
    /** The configuration its tasks must run: unchanged by a scale, new otherwise. */
    configVersion: z.string(),
    deploymentId: z.string(),
    kind: z.enum(DEPLOYMENT_KINDS),
  }),
  /** An app is to go: its tasks are killed, then it is removed. */
  z.object({ type: z.literal('AppDeletionStarted'), at, appId: z.string(), deploymentId: z.string(), version: z.string() }),
  /** Its last task ended: the app is gone. */
  z.object({ type: z.literal('AppRemoved'), at, appId: z.string() }),
  z.object({ type: z.literal('DeploymentFinished'), at, appId: z.string(), deploymentId: z.string() }),
  /** Cancelled by the user (DELETE /v2/deployments/{id}); a rollback deployment follows it. */
  z.object({ type: z.literal('DeploymentCancelled'), at, appId: z.string(), deploymentId: z.string() }),
  /** A task is about to be launched (recorded before the accept, so a restart knows of it). */
  z.object({
    type: z.literal('TaskLaunched'),
    at,
    appId: z.string(),
    taskId: z.string(),
    agentId: z.string(),
    hostname: z.string(),
    /** The agent's attributes as text values (constraints count tasks per value). */
    attributes: z.record(z.string(), z.string()).default({}),
    configVersion: z.string(),
    ports: z.array(z.number().int()),
  }),
  /** What the cluster said of a task (only changes: state, health). */
  z.object({
    type: z.literal('TaskStatusChanged'),
    at,
    appId: z.string(),
    taskId: z.string(),
    state: z.string(),
    healthy: z.boolean().optional(),
    reason: z.string().optional(),
    message: z.string().optional(),
  }),
  /** We asked the cluster to kill a task (scale down, upgrade, restart, deletion, deployment cancelled). */
  z.object({ type: z.literal('TaskKillIssued'), at, appId: z.string(), taskId: z.string(), why: z.string() }),
]);
export type ServicesEvent = z.infer<typeof ServicesEvent>;
export type ServicesEventOf<T extends ServicesEvent['type']> = Extract<ServicesEvent, { type: T }>;

/** The app an event is about (none: the framework's own facts). */
export function appOf(e: ServicesEvent): string | undefined {
  switch (e.type) {
    case 'FrameworkIdRecorded':
      return undefined;
    case 'AppDefined':
      return e.app.id;
    case 'DeploymentFinished':
    case 'DeploymentCancelled':
      return e.appId;
    default:
      return e.appId;
  }
}
