// A command the fold did not draft cannot move an agent's command numbering: a forged launch with
// the current epoch and a far-off agentSeq would otherwise make the fold number the agent's next
// real commands past it, and the agent (which carries commands out strictly in order) would wait
// for the numbers in between for ever.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanTaskRun, ghostLaunch } from '../helpers/histories.js';
import { accepted, given, offersCreated, owed, resetIds, when } from '../helpers/events.js';

test.before.each(() => resetIds());

test('a launch the fold never owed leaves the agent\'s numbering alone; the next real launch follows on', () => {
  const run = cleanTaskRun().slice(0, 6); // t1 accepted (agentSeq 1) and its launch sent
  const s = given(...run);
  assert.is(s.agents.get('a1' as never)!.commandSeq, 1);
  const forged = { ...(ghostLaunch(1) as Extract<ReturnType<typeof ghostLaunch>, { type: 'LaunchTasks' }>), agentSeq: 1000 };
  when(s, forged);
  assert.is(s.agents.get('a1' as never)!.commandSeq, 1, 'a forged command moved the numbering');
  when(
    s,
    offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:1;mem:128' }),
    accepted({ id: 'acc2', frameworkId: 'fw1', offerIds: ['o2'], tasks: [{ taskId: 't2', agentId: 'a1', resources: 'cpus:1;mem:128' }] }),
  );
  assert.equal(owed(s, 'LaunchTasks').map((d) => d.agentSeq), [2]);
});

test.run();
