/** Which master of a `mesos dev` leads, as its own metrics say (`master/elected`). */
import type { DevChild } from './dev-state.js';

async function elected(m: DevChild, timeoutMs: number): Promise<boolean> {
  try {
    const r = await fetch(`${m.url}/metrics/snapshot`, { signal: AbortSignal.timeout(timeoutMs) });
    return ((await r.json()) as Record<string, number>)['master/elected'] === 1;
  } catch {
    return false; // dead, frozen, or not serving yet
  }
}

/** The live masters that say they lead (a frozen one cannot answer and is not among them). */
export async function leadersOf(children: readonly DevChild[], timeoutMs = 300): Promise<DevChild[]> {
  const masters = children.filter((c) => c.role === 'master' && c.alive && c.url !== '');
  const says = await Promise.all(masters.map((m) => elected(m, timeoutMs)));
  return masters.filter((_, i) => says[i]);
}

/**
 * Waits until a master other than the process `lostPid` leads (by its metrics); resolves with the
 * time it was seen (ms since the epoch), or null after `timeoutMs`. `children` is re-read each
 * round (a restarted master has a new pid and maybe a new URL). With `resumed` (a SIGSTOPped
 * leader's SIGCONT): once it has been sent, the frozen master itself saying it leads, while no
 * other does, resolves with `kept: true` — the freeze was shorter than its lease and the lead
 * never changed hands (no failover happened to time).
 */
export async function newLeaderAfter(
  children: () => readonly DevChild[],
  lostPid: number,
  timeoutMs: number,
  everyMs = 25,
  resumed?: Promise<void>,
): Promise<{ at: number; leader: DevChild; kept: boolean } | null> {
  let thawed = false;
  void resumed?.then(() => (thawed = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const leaders = await leadersOf(children());
    const l = leaders.find((m) => m.pid !== lostPid);
    if (l !== undefined) return { at: Date.now(), leader: l, kept: false };
    const same = leaders.find((m) => m.pid === lostPid);
    if (thawed && same !== undefined) return { at: Date.now(), leader: same, kept: true };
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return null;
}
