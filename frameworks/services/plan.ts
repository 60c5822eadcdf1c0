/**
 * What an app needs now, decided purely from the state and `now`: how many tasks to launch, which
 * to kill, and whether its active deployment is done. One rule serves steady state, scaling,
 * restarts and rolling upgrades (Marathon's upgrade strategy):
 * - tasks of the app's current configuration are brought to `instances` (launches wait out the
 *   backoff; a surplus is killed newest first, tasks not yet running before running ones);
 * - tasks of an older configuration are killed only while the healthy tasks left stay at or above
 *   ⌈instances × minimumHealthCapacity⌉ (an unhealthy one may always go), and new ones are
 *   launched only while all tasks stay within instances + ⌊instances × maximumOverCapacity⌋
 *   (with capacity 1 and over-capacity 0, one extra task is allowed, as otherwise nothing could move).
 */
import { type AppState, type Deployment, type ServicesState, type TaskState, isHealthy, launchDelayMs, tasksOf } from './state.js';

export interface AppPlan {
  readonly launch: number;
  readonly kill: ReadonlyArray<{ readonly taskId: string; readonly why: string }>;
  /** The active deployment has reached its goal. */
  readonly done: boolean;
  /** Launches wait for the backoff until then (ms since the epoch). */
  readonly backoffUntil?: number;
}

const newestFirst = (a: AppState) => (x: TaskState, y: TaskState): number => {
  const hx = isHealthy(a.app, x) ? 1 : 0;
  const hy = isHealthy(a.app, y) ? 1 : 0;
  return hx - hy || y.launchedAt - x.launchedAt || (y.taskId < x.taskId ? -1 : 1);
};

export function planApp(s: ServicesState, appId: string, now: number): AppPlan {
  const a = s.apps.get(appId);
  if (a === undefined) return { launch: 0, kill: [], done: true };
  const d: Deployment | undefined = s.deployments.find((x) => x.appId === appId);
  const n = a.deleting ? 0 : a.app.instances;
  const all = tasksOf(s, appId);
  const live = all.filter((t) => !t.killIssued);
  const cur = live.filter((t) => t.configVersion === a.configVersion);
  const old = live.filter((t) => t.configVersion !== a.configVersion);
  const kill: Array<{ taskId: string; why: string }> = [];
  let launch = 0;

  if (a.deleting) {
    for (const t of live) kill.push({ taskId: t.taskId, why: 'app deleted' });
  } else {
    const minHealthy = Math.ceil(n * a.app.upgradeStrategy.minimumHealthCapacity);
    let maxTotal = n + Math.floor(n * a.app.upgradeStrategy.maximumOverCapacity);
    if (old.length > 0 && maxTotal <= n && minHealthy >= n) maxTotal = n + 1;
    if (cur.length > n) {
      const surplus = [...cur].sort(newestFirst(a)).slice(0, cur.length - n);
      for (const t of surplus) kill.push({ taskId: t.taskId, why: 'scaled down' });
    }
    // Old configuration: unhealthy ones go at once; healthy ones while enough healthy remain.
    let healthy = live.filter((t) => isHealthy(a.app, t)).length;
    const oldOrder = [...old].sort(newestFirst(a));
    for (const t of oldOrder) {
      if (!isHealthy(a.app, t)) kill.push({ taskId: t.taskId, why: 'replaced by a new version' });
      else if (healthy - 1 >= minHealthy || cur.filter((x) => isHealthy(a.app, x)).length >= n) {
        kill.push({ taskId: t.taskId, why: 'replaced by a new version' });
        healthy--;
      }
    }
    const killedNow = new Set(kill.map((k) => k.taskId));
    const occupying = all.length; // killed tasks hold their resources until they end
    const room = old.length > 0 ? Math.max(0, maxTotal - occupying) : Number.POSITIVE_INFINITY;
    launch = Math.max(0, Math.min(n - cur.filter((t) => !killedNow.has(t.taskId)).length, room));
  }
  let backoffUntil: number | undefined;
  if (launch > 0 && a.failures > 0) {
    const until = a.lastFailureAt + launchDelayMs(a.app, a.failures);
    if (until > now) {
      backoffUntil = until;
      launch = 0;
    }
  }
  const healthyCur = cur.filter((t) => isHealthy(a.app, t)).length;
  const done = d !== undefined && (a.deleting ? all.length === 0 : old.length === 0 && cur.length === n && healthyCur === n && all.every((t) => !t.killIssued));
  return { launch, kill, done, ...(backoffUntil !== undefined ? { backoffUntil } : {}) };
}
