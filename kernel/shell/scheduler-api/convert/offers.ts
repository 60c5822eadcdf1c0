/** The Mesos scheduler API's JSON and ours: offers (see index.ts). */
import { type Attribute, Resources } from '../../../../events/index.js';
import { id, unavailabilityToMesos } from './common.js';
import { MesosOfferJson } from './json.js';
import { attributesToMesos, resourcesToMesos } from './resources.js';

export interface OfferToMesos {
  readonly id: string;
  readonly frameworkId: string;
  readonly agentId: string;
  readonly hostname: string;
  /** The role the offer is allocated to. */
  readonly role: string;
  readonly resources: Resources;
  /** Its agent's machine is scheduled for maintenance. */
  readonly unavailability?: { readonly start: number; readonly durationMs?: number | undefined } | undefined;
}
export interface OfferAgent {
  /** The agent's HTTP port. */
  readonly port: number;
  readonly attributes: readonly Attribute[];
  /** The agent's IP address, when known (Mesos always fills it). */
  readonly ip?: string;
}

/**
 * An offer as the master sends it in OFFERS. `url` (the agent's address) is included when the
 * agent is known; `attributes` when there are some. Like the real master, empty lists
 * (`attributes`, `executor_ids`) are left out rather than sent as `[]`.
 */
export function offerToMesos(offer: OfferToMesos, agent?: OfferAgent): MesosOfferJson {
  const attributes = agent !== undefined ? attributesToMesos(agent.attributes) : [];
  return {
    id: id(offer.id),
    framework_id: id(offer.frameworkId),
    agent_id: id(offer.agentId),
    hostname: offer.hostname,
    ...(agent !== undefined
      ? {
          url: {
            scheme: 'http',
            address: {
              hostname: offer.hostname,
              ...(agent.ip !== undefined ? { ip: agent.ip } : {}),
              port: agent.port,
            },
            path: '/slave(1)',
          },
        }
      : {}),
    resources: resourcesToMesos(offer.resources, offer.role),
    ...(attributes.length > 0 ? { attributes } : {}),
    ...(offer.unavailability !== undefined ? { unavailability: unavailabilityToMesos(offer.unavailability) } : {}),
    allocation_info: { role: offer.role },
  };
}
