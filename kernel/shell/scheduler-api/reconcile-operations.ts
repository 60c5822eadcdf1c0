/**
 * RECONCILE_OPERATIONS, answered from the projection as Mesos's master answers it. This master
 * applies offer operations (RESERVE, CREATE, …) when their ACCEPT is folded and keeps no operation
 * feedback, so no operation is ever "known" by its id: an explicit reconciliation gets, per
 * operation, OPERATION_UNKNOWN when its agent is registered, unknown or not given,
 * OPERATION_UNREACHABLE when the agent is unreachable, and OPERATION_GONE_BY_OPERATOR when it was
 * marked gone; an implicit one (no operations listed) has nothing to report. The updates carry no
 * uuid (they need no acknowledgement). Pure.
 */
import type { AgentId } from '../../../events/index.js';
import type { State } from '../../core/state.js';

export type OperationStateName = 'OPERATION_UNKNOWN' | 'OPERATION_UNREACHABLE' | 'OPERATION_GONE_BY_OPERATOR';

export interface AskedOperation {
  readonly operation_id: { readonly value: string };
  readonly agent_id?: { readonly value: string } | undefined;
  readonly resource_provider_id?: { readonly value: string } | undefined;
}

/** The UPDATE_OPERATION_STATUS events that answer a RECONCILE_OPERATIONS call. */
export function reconcileOperations(s: State, asked: readonly AskedOperation[]): unknown[] {
  return asked.map((op) => {
    const agent = op.agent_id !== undefined ? s.agents.get(op.agent_id.value as AgentId) : undefined;
    const state: OperationStateName = agent === undefined ? 'OPERATION_UNKNOWN' : agent.status !== 'REMOVED' ? 'OPERATION_UNKNOWN' : agent.gone ? 'OPERATION_GONE_BY_OPERATOR' : 'OPERATION_UNREACHABLE';
    return {
      type: 'UPDATE_OPERATION_STATUS',
      update_operation_status: {
        status: {
          operation_id: op.operation_id,
          state,
          ...(op.agent_id !== undefined ? { agent_id: op.agent_id } : {}),
          ...(op.resource_provider_id !== undefined ? { resource_provider_id: op.resource_provider_id } : {}),
        },
      },
    };
  });
}
