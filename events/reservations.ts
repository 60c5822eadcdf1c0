/**
 * Reservations and persistent volumes: the offer operations a framework may put in an accept
 * (RESERVE, UNRESERVE, CREATE, DESTROY, as in Mesos's Offer.Operation), and the operator's own
 * calls (RESERVE_RESOURCES, UNRESERVE_RESOURCES, CREATE_VOLUMES, DESTROY_VOLUMES) as events.
 */
import { z } from 'zod';
import { envelope } from './envelope.js';
import { AgentId } from './ids.js';
import { Resources } from './resources.js';

/** Reserve resources of the offer for the offer's role (`source`: what they were before, as in Mesos ≥ 1.9; optional). */
export const ReserveOperation = z.object({ type: z.literal('RESERVE'), resources: Resources.min(1), source: Resources.optional() });
/** Give reserved resources of the offer back to the role above (or make them unreserved). */
export const UnreserveOperation = z.object({ type: z.literal('UNRESERVE'), resources: Resources.min(1) });
/** Make persistent volumes of reserved disk in the offer. */
export const CreateOperation = z.object({ type: z.literal('CREATE'), volumes: Resources.min(1) });
/** Turn volumes of the offer back into plain reserved disk (their data is gone). */
export const DestroyOperation = z.object({ type: z.literal('DESTROY'), volumes: Resources.min(1) });

const operator = {
  ...envelope,
  agentId: AgentId,
  /** Who asked (the HTTP principal, when there is one). */
  principal: z.string().optional(),
};

/** The operator reserved free resources of an agent (RESERVE_RESOURCES). */
export const ResourcesReserved = z.object({ type: z.literal('ResourcesReserved'), ...operator, resources: Resources.min(1), source: Resources.optional() });
/** The operator unreserved free reserved resources of an agent (UNRESERVE_RESOURCES). */
export const ResourcesUnreserved = z.object({ type: z.literal('ResourcesUnreserved'), ...operator, resources: Resources.min(1) });
/** The operator created persistent volumes on free reserved disk (CREATE_VOLUMES). */
export const VolumesCreated = z.object({ type: z.literal('VolumesCreated'), ...operator, volumes: Resources.min(1) });
/** The operator destroyed free persistent volumes (DESTROY_VOLUMES). */
export const VolumesDestroyed = z.object({ type: z.literal('VolumesDestroyed'), ...operator, volumes: Resources.min(1) });
