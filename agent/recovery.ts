/**
 * What a restarted agent does with each container it finds checkpointed (pure decisions; the
 * containerizer gathers the facts from the runtime dir and /proc).
 *
 * | supervisor recorded or found | supervisor alive | exit status written | decision |
 * |---|---|---|---|
 * | no  | –   | no  | `launch`: it was never started (the agent stopped between the checkpoint and the spawn) |
 * | no  | –   | yes | `ended`: it ran and ended (the agent stopped before recording the supervisor) |
 * | yes | yes | no  | `reattach`: it runs; follow it |
 * | yes | –   | yes | `ended`: report its real exit status |
 * | yes | no  | no  | `ended`, status unknown: its supervisor was killed; kill what is left, TASK_FAILED REASON_EXECUTOR_TERMINATED |
 */
export interface RecoveryFacts {
  readonly supervisorKnown: boolean;
  readonly supervisorAlive: boolean;
  readonly exitStatusWritten: boolean;
}

export type RecoveryDecision = 'launch' | 'reattach' | 'ended';

export function decideRecovery(f: RecoveryFacts): RecoveryDecision {
  if (f.exitStatusWritten) return 'ended';
  if (!f.supervisorKnown) return 'launch';
  return f.supervisorAlive ? 'reattach' : 'ended';
}
