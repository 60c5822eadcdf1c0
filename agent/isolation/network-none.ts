/**
 * namespaces/network: a task that asks for it (container network NONE) runs in an empty network
 * namespace: no interface but its own loopback, brought up with ip(8) when iproute2 is installed
 * (without it the loopback stays down, as the agent says at start). Tasks on the HOST network (the
 * default) are not touched.
 */
import { shellQuote } from './launch-wrapper.js';
import type { LaunchContribution, TaskContainer, TaskIsolator } from './task-isolator.js';

export function createNetworkIsolator(ip: string | undefined): TaskIsolator {
  return {
    name: 'namespaces/network',
    async prepare(c: TaskContainer): Promise<LaunchContribution> {
      if (c.options.network !== 'NONE') return {};
      return { unshare: ['--net'], setup: ip === undefined ? [] : [`${shellQuote(ip)} link set lo up`] };
    },
  };
}
