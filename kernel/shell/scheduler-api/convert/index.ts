/**
 * Pure conversions between the Mesos v1 scheduler API's JSON (../wire.ts parses it) and the
 * kernel's event shapes (events/catalogue.ts), both ways, plus builders for the Mesos events sent
 * on a SUBSCRIBE stream. One file per family of Mesos messages:
 * - json.ts: the outbound JSON shapes (what a real master writes);
 * - common.ts: ids, labels, durations, zod issues as text;
 * - resources.ts: Resource (reservations, disks, attributes) both ways;
 * - frameworks.ts: FrameworkInfo and SUBSCRIBE;
 * - tasks.ts: TaskInfo, containers, executors of task groups;
 * - offers.ts: Offer and InverseOffer;
 * - statuses.ts: TaskStatus and status uuids;
 * - offer-constraints.ts: a SUBSCRIBE's offer_constraints, checked;
 * - events.ts: MasterInfo and the events of a subscription (SUBSCRIBED, OFFERS, UPDATE, …).
 *
 * Inbound (Mesos → ours) conversions return `{ ok: false, error }` with a plain-text reason for
 * anything the kernel cannot honour, rather than dropping it silently. Outbound JSON follows what
 * a real master writes: fields in .proto declaration order, empty repeated fields left out, unset
 * optional fields left out.
 */
export * from './json.js';
export * from './common.js';
export * from './resources.js';
export * from './frameworks.js';
export * from './tasks.js';
export * from './offers.js';
export * from './statuses.js';
export * from './events.js';
export * from './offer-constraints.js';
