/**
 * The envelope every event carries, shared by the catalogue and the files that declare groups of
 * events (roles, reservations, maintenance, demand). See catalogue.ts for what each part means.
 */
import { z } from 'zod';

/**
 * The first schema version, which every event type starts with (`envelope` carries it). Versions
 * are per event type: a type changed incompatibly declares its next version in its own schema
 * (`...envelope, schemaVersion: z.literal(2)`), and events/upcasters.ts registers the function
 * from the previous version. `EVENT_VERSIONS[type]` is the version this build writes for a type.
 */
export const SCHEMA_VERSION = 1 as const;

export const envelope = {
  schemaVersion: z.literal(SCHEMA_VERSION),
  id: z.string().min(1).max(256),
  time: z.number().int().nonnegative(),
};
/** Decisions of the leading master: the epoch is required. */
export const decision = { ...envelope, epoch: z.number().int().positive() };
/** Events that either a party or the leader may append (the leader's copy carries its epoch). */
export const either = { ...envelope, epoch: z.number().int().positive().optional() };

/** A role name as Mesos allows it: `*`, or `/`-separated components (validated in kernel/core/roles.ts). */
export const RoleName = z.string().min(1).max(512);
