/** One event of the log as the auditor reads it, from JetStream or from an export file. */
import type { Decoded } from '../events/index.js';

export interface Entry {
  readonly seq: number;
  readonly subject: string;
  /** When the log stored it (ms since the epoch): the stream's clock, which grows with the sequence. */
  readonly storedAt: number;
  readonly decoded: Decoded;
  /** The message as stored. */
  readonly data: Uint8Array;
}
