/**
 * `mesos drain`, `mesos agent deactivate|reactivate`, `mesos agent-gone`: agent administration
 * through the operator API (DRAIN_AGENT, DEACTIVATE_AGENT, REACTIVATE_AGENT, MARK_AGENT_GONE).
 */
import type { FlagSpec } from '../flags.js';
import { AUTH_FLAGS, call, JSON_FLAG, MASTER_FLAG, out } from './operator-common.js';

const AGENT: FlagSpec = { name: 'agent', type: 'string', required: true, placeholder: 'id', help: 'The agent' };

export const drainFlags: readonly FlagSpec[] = [
  MASTER_FLAG,
  AGENT,
  { name: 'max-grace-period', type: 'optional-duration', placeholder: 'duration', help: "Kill tasks with at most this grace period (default: each task's own)" },
  { name: 'mark-gone', type: 'bool', default: false, help: 'Mark the agent gone once it is drained' },
  JSON_FLAG,
  ...AUTH_FLAGS,
];
export async function runDrain(v: Readonly<Record<string, unknown>>): Promise<number> {
  const grace = v['max-grace-period'] as number | null | undefined;
  await call(v, {
    type: 'DRAIN_AGENT',
    drain_agent: {
      agent_id: { value: v.agent as string },
      ...(typeof grace === 'number' ? { max_grace_period: { seconds: Math.floor(grace / 1000), nanos: (grace % 1000) * 1e6 } } : {}),
      mark_gone: v['mark-gone'] === true,
    },
  });
  if (v.json !== true) out(`agent ${String(v.agent)} is draining: no new offers, its tasks are being killed`);
  return 0;
}

export const agentAdminFlags: readonly FlagSpec[] = [MASTER_FLAG, AGENT, JSON_FLAG, ...AUTH_FLAGS];

export async function runDeactivate(v: Readonly<Record<string, unknown>>): Promise<number> {
  await call(v, { type: 'DEACTIVATE_AGENT', deactivate_agent: { agent_id: { value: v.agent as string } } });
  if (v.json !== true) out(`agent ${String(v.agent)} deactivated: no new offers (its tasks keep running)`);
  return 0;
}

export async function runReactivate(v: Readonly<Record<string, unknown>>): Promise<number> {
  await call(v, { type: 'REACTIVATE_AGENT', reactivate_agent: { agent_id: { value: v.agent as string } } });
  if (v.json !== true) out(`agent ${String(v.agent)} reactivated`);
  return 0;
}

export async function runAgentGone(v: Readonly<Record<string, unknown>>): Promise<number> {
  await call(v, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: v.agent as string } } });
  if (v.json !== true) out(`agent ${String(v.agent)} marked gone: its tasks are TASK_GONE_BY_OPERATOR; it may not come back`);
  return 0;
}
