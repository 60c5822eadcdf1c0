/** The public surface of events/: the catalogue, ids, resources, subjects, the stream and the codec. */
export * from './ids.js';
export * from './resources.js';
export * from './task-states.js';
export * from './catalogue.js';
export * from './checks.js';
export { MASKED_SECRET, Secret, SecretEnvironment, maskSecrets, secretMaskingReplacer, withSecretsMasked } from './secrets.js';
export * from './offer-constraints.js';
export { Filters, refuseFilter, DEFAULT_REFUSE_SECONDS, MAX_REFUSE_SECONDS } from './filters.js';
export { UPCASTERS, upcast, type Upcaster, type UpcastResult } from './upcasters.js';
export { subjects, subjectFor, LOG_PREFIX } from './subjects.js';
export { STREAM_NAME, streamConfig, defaultStreamOptions, type StreamOptions } from './stream.js';
export { LEASE_BUCKET, SNAPSHOT_BUCKET, jsApi, inboxPrefix, inboxesOf, claimsUpdate } from './nats-api.js';
export { encode, decode, validate, CodecError, CodecStats, type Decoded, type DecodeErrorCode } from './codec.js';
export { AgentPing, AgentPong, FrameworkPing, FrameworkPong, ReconcileAnswer, ReconcileQuery, ReconciledStatus } from './liveness.js';
