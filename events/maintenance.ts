/**
 * Maintenance and agent administration: maintenance windows (machines going DRAINING, then DOWN),
 * inverse offers to the frameworks that run on them, draining, deactivation. Operator events go on
 * `cl.sys.*`; inverse offers on the framework's subjects.
 */
import { z } from 'zod';
import { Filters } from './filters.js';
import { decision, envelope } from './envelope.js';
import { AgentId, FrameworkId } from './ids.js';

export const MachineIdSchema = z
  .object({ hostname: z.string().min(1).max(1024).optional(), ip: z.string().min(1).max(64).optional() })
  .refine((m) => m.hostname !== undefined || m.ip !== undefined, 'a machine needs a hostname or an ip');

export const UnavailabilitySchema = z.object({
  /** When the machine becomes unavailable (ms since the epoch). */
  start: z.number().int(),
  /** For how long (absent: until further notice). */
  durationMs: z.number().int().nonnegative().optional(),
});

/** The whole maintenance schedule, replaced (UPDATE_MAINTENANCE_SCHEDULE). */
export const MaintenanceScheduleUpdated = z.object({
  type: z.literal('MaintenanceScheduleUpdated'),
  ...envelope,
  windows: z.array(z.object({ machines: z.array(MachineIdSchema).min(1), unavailability: UnavailabilitySchema })),
});

/** Machines go DOWN (START_MAINTENANCE): their agents are removed and may not come back until STOP. */
export const MaintenanceStarted = z.object({ type: z.literal('MaintenanceStarted'), ...envelope, machines: z.array(MachineIdSchema).min(1) });
/** Machines come back UP (STOP_MAINTENANCE) and leave the schedule. */
export const MaintenanceStopped = z.object({ type: z.literal('MaintenanceStopped'), ...envelope, machines: z.array(MachineIdSchema).min(1) });

/** DRAIN_AGENT: no new offers; its tasks are killed; DRAINED once none is left (then gone, if asked). */
export const AgentDrainStarted = z.object({
  type: z.literal('AgentDrainStarted'),
  ...envelope,
  agentId: AgentId,
  maxGracePeriodMs: z.number().int().nonnegative().optional(),
  markGone: z.boolean().default(false),
});
/** DEACTIVATE_AGENT: no new offers; its outstanding offers are rescinded; its tasks keep running. */
export const AgentDeactivated = z.object({ type: z.literal('AgentDeactivated'), ...envelope, agentId: AgentId });
/** REACTIVATE_AGENT: offers again (this also ends a drain). */
export const AgentReactivated = z.object({ type: z.literal('AgentReactivated'), ...envelope, agentId: AgentId });

/** The leader asks frameworks to give an agent's resources back before its maintenance window. */
export const InverseOffersCreated = z.object({
  type: z.literal('InverseOffersCreated'),
  ...decision,
  frameworkId: FrameworkId,
  inverseOffers: z
    .array(z.object({ inverseOfferId: z.string().min(1).max(256), agentId: AgentId, hostname: z.string(), unavailability: UnavailabilitySchema }))
    .min(1),
});
export const InverseOffersRescinded = z.object({
  type: z.literal('InverseOffersRescinded'),
  ...decision,
  frameworkId: FrameworkId,
  inverseOfferIds: z.array(z.string().min(1)).min(1),
});
/** The framework's answers (advisory, as in Mesos). */
export const InverseOffersAccepted = z.object({
  type: z.literal('InverseOffersAccepted'),
  ...envelope,
  frameworkId: FrameworkId,
  inverseOfferIds: z.array(z.string().min(1)).min(1),
});
export const InverseOffersDeclined = z.object({
  type: z.literal('InverseOffersDeclined'),
  ...envelope,
  frameworkId: FrameworkId,
  inverseOfferIds: z.array(z.string().min(1)).min(1),
  /**
   * The framework's filter, resolved by the publisher (events/filters.ts). Recorded: an answered
   * inverse offer is not sent again while the unavailability stays the same anyway.
   */
  filters: Filters,
});
