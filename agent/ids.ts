/**
 * Deterministic ids (RFC 4122 version 5: SHA-1 of a name in a namespace). A container's id follows
 * from the command that launched it, and a status update's uuid from its container and what it
 * reports, so that an agent that carries out the same command again after a crash, or queues the
 * same update again, produces the very same ids: the durable queue, JetStream's duplicate window
 * and the fold all recognise the second copy.
 */
import { createHash } from 'node:crypto';

/** Our namespace (a fixed random UUID). */
const NAMESPACE = Buffer.from('6f1c3c0e2a9b4d7e8c5f1a2b3c4d5e6f', 'hex');

export function uuidV5(name: string, namespace: Buffer = NAMESPACE): string {
  const h = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  const b = Buffer.from(h.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const x = b.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The container of a task launched by command `agentSeq` of an agent. */
export const containerIdFor = (agentId: string, agentSeq: number, frameworkId: string, taskId: string): string =>
  uuidV5(`container\u0000${agentId}\u0000${agentSeq}\u0000${frameworkId}\u0000${taskId}`);

/** The uuid of a container's status update that happens once per container (`starting`, `running`, `terminal`). */
export const statusUuidFor = (containerId: string, what: string): string => uuidV5(`status\u0000${containerId}\u0000${what}`);
