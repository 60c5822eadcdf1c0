/**
 * Offer filters (Mesos's `Filters`): how long a framework does not want the resources it declined,
 * or left unused in an accept, offered to it again on that agent.
 *
 * The value is resolved by whoever appends the call, and the event carries it explicitly
 * (OffersAccepted and OffersDeclined version 2). Version 1 events carried `refuseSeconds`
 * optionally and the fold applied the default: the meaning of an old log then depended on a
 * constant of the build that folds it. Now the log says what was meant, and the default is the
 * publisher's business (the one place it is applied is `refuseFilter`).
 */
import { z } from 'zod';

/** Mesos's default `Filters.refuse_seconds`. */
export const DEFAULT_REFUSE_SECONDS = 5;
/** Mesos caps a refuse filter at a year. */
export const MAX_REFUSE_SECONDS = 365 * 24 * 3600;

export const Filters = z.object({
  /** Do not offer these resources to this framework on this agent again for this long (0: no filter). */
  refuseSeconds: z.number().min(0).max(MAX_REFUSE_SECONDS),
});
export type Filters = z.infer<typeof Filters>;

/**
 * The filter a framework asked for, as Mesos resolves it: absent → the default (5 s); negative →
 * the default; longer than a year → a year.
 */
export function refuseFilter(refuseSeconds?: number | null): Filters {
  if (refuseSeconds === undefined || refuseSeconds === null || !Number.isFinite(refuseSeconds) || refuseSeconds < 0) {
    return { refuseSeconds: DEFAULT_REFUSE_SECONDS };
  }
  return { refuseSeconds: Math.min(refuseSeconds, MAX_REFUSE_SECONDS) };
}
