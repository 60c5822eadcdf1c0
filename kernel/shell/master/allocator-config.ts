/**
 * The allocator settings a leader brings (its flags), as events: AllocatorConfigured when they
 * differ from what the log holds, and WeightsUpdated{FLAG} for --weights — only while the log holds
 * no weights (as Mesos, which uses the registry's weights once there are some and warns about the
 * flag). Pure.
 */
import type { ClusterEvent } from '../../../events/index.js';
import { SCHEMA_VERSION } from '../../../events/index.js';
import type { State } from '../../core/state.js';
import type { DecisionContext } from './decisions.js';
import type { MasterOptions } from './options.js';

export function configurationEvents(
  state: State,
  o: Pick<MasterOptions, 'weights' | 'roles' | 'minAllocatableResources' | 'filterGpuResources'>,
  ctx: DecisionContext,
): { list: ClusterEvent[]; ignoredWeights: boolean } {
  const list: ClusterEvent[] = [];
  const wanted = { minAllocatable: o.minAllocatableResources, filterGpuResources: o.filterGpuResources, roleWhitelist: o.roles };
  const have = { minAllocatable: state.allocator.minAllocatable, filterGpuResources: state.allocator.filterGpuResources, roleWhitelist: state.allocator.roleWhitelist };
  if (JSON.stringify(wanted) !== JSON.stringify(have)) {
    list.push({ type: 'AllocatorConfigured', schemaVersion: SCHEMA_VERSION, id: ctx.newId(), time: ctx.now, epoch: ctx.epoch, ...wanted });
  }
  const flagWeights = Object.entries(o.weights);
  let ignoredWeights = false;
  if (flagWeights.length > 0) {
    if (state.weightsSet) ignoredWeights = flagWeights.some(([role, w]) => (state.weights.get(role) ?? 1) !== w);
    else {
      list.push({
        type: 'WeightsUpdated',
        schemaVersion: SCHEMA_VERSION,
        id: ctx.newId(),
        time: ctx.now,
        weights: flagWeights.map(([role, weight]) => ({ role, weight })),
        source: 'FLAG',
      });
    }
  }
  return { list, ignoredWeights };
}
