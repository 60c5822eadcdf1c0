/**
 * docs/events.md, part 3: the subjects each event is appended on (subjectFor applied to placeholders).
 */
import { ClusterEvent, type EventType } from '../../events/catalogue.js';
import { subjectFor } from '../../events/subjects.js';
import { JsonSchema } from './schema.js';

export const P = { agent: '<agentId>', fw: '<frameworkId>' };

/** A placeholder event of a type, enough for `subjectFor` (which reads only ids and the epoch). */
function placeholder(type: EventType, withEpoch: boolean): ClusterEvent {
  const e: Record<string, unknown> = {
    type,
    agentId: P.agent,
    frameworkId: P.fw,
    status: { agentId: P.agent, frameworkId: P.fw },
  };
  if (withEpoch) e.epoch = 1;
  return e as unknown as ClusterEvent;
}

export type EpochKind = 'required' | 'optional' | 'none';

export function epochKind(js: JsonSchema): EpochKind {
  if (js.properties?.epoch === undefined) return 'none';
  return (js.required ?? []).includes('epoch') ? 'required' : 'optional';
}

export function subjectsOf(type: EventType, kind: EpochKind): { subject: string; when?: string }[] {
  if (kind === 'optional') {
    return [
      { subject: subjectFor(placeholder(type, false)), when: 'without epoch (the party)' },
      { subject: subjectFor(placeholder(type, true)), when: "with epoch (the leader's copy)" },
    ];
  }
  return [{ subject: subjectFor(placeholder(type, kind === 'required')) }];
}
