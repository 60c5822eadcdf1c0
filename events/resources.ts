/**
 * Resource schemas as they travel in events. Shapes follow Apache Mesos's model (scalars, ranges,
 * sets; reservations in the post-refinement format) in a compact form: `scalar` is the number,
 * `ranges` are inclusive [begin, end] pairs, `set` is a list of items. Arithmetic lives in
 * kernel/core/resources.ts.
 */
import { z } from 'zod';

export const Reservation = z.object({
  type: z.enum(['STATIC', 'DYNAMIC']),
  role: z.string().min(1),
  principal: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type Reservation = z.infer<typeof Reservation>;

const name = z.string().min(1).max(128).regex(/^[^\s;:()\[\]{}]+$/, 'resource names have no spaces or ;:()[]{}');
const reservations = z.array(Reservation).optional();

export const Range = z
  .tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])
  .refine(([b, e]) => b <= e, 'a range begins before it ends');
export type Range = z.infer<typeof Range>;

/**
 * Disk info of a persistent volume (Mesos's `Resource.DiskInfo`): a `disk` resource with a
 * persistence id is a volume; its data outlives the tasks that use it, and a task that uses it sees
 * it at `volume.containerPath` (relative to its sandbox).
 */
export const DiskInfo = z.object({
  persistence: z.object({ id: z.string().min(1).max(256), principal: z.string().optional() }).optional(),
  volume: z.object({ containerPath: z.string().min(1).max(4096), mode: z.enum(['RW', 'RO']) }).optional(),
});
export type DiskInfo = z.infer<typeof DiskInfo>;

export const ScalarResource = z.object({
  name,
  type: z.literal('SCALAR'),
  scalar: z.number().finite().nonnegative(),
  reservations,
  /** Only on `disk`: a persistent volume. */
  disk: DiskInfo.optional(),
});
export const RangesResource = z.object({ name, type: z.literal('RANGES'), ranges: z.array(Range), reservations });
export const SetResource = z.object({ name, type: z.literal('SET'), set: z.array(z.string()), reservations });

export const Resource = z.discriminatedUnion('type', [ScalarResource, RangesResource, SetResource]);
export type Resource = z.infer<typeof Resource>;
export type ScalarResource = z.infer<typeof ScalarResource>;
export type RangesResource = z.infer<typeof RangesResource>;
export type SetResource = z.infer<typeof SetResource>;

export const Resources = z.array(Resource);
export type Resources = readonly Resource[];

/** Agent attributes (`rack:a;zone:z1;level:10;keys:[1000-1500]`), as Mesos's Attribute. */
export const Attribute = z.discriminatedUnion('type', [
  z.object({ name, type: z.literal('TEXT'), text: z.string() }),
  z.object({ name, type: z.literal('SCALAR'), scalar: z.number().finite() }),
  z.object({ name, type: z.literal('RANGES'), ranges: z.array(Range) }),
  z.object({ name, type: z.literal('SET'), set: z.array(z.string()) }),
]);
export type Attribute = z.infer<typeof Attribute>;
