/** Finding a task in a state, live or completed (the fold keeps the last 1,000 completed per framework). */
import type { FrameworkId, TaskKey } from '../events/index.js';
import type { State, TaskState } from '../kernel/core/state.js';
import { splitTaskKey } from './touches.js';

export function findTask(s: State, key: TaskKey): TaskState | undefined {
  const live = s.tasks.get(key);
  if (live !== undefined) return live;
  const { frameworkId } = splitTaskKey(key);
  const f = s.frameworks.get(frameworkId);
  if (f !== undefined) {
    for (let i = f.completedTasks.length - 1; i >= 0; i--) if (f.completedTasks[i]!.key === key) return f.completedTasks[i];
  }
  for (let j = s.completedFrameworks.length - 1; j >= 0; j--) {
    const cf = s.completedFrameworks[j]!;
    if (cf.id !== frameworkId) continue;
    for (let i = cf.completedTasks.length - 1; i >= 0; i--) if (cf.completedTasks[i]!.key === key) return cf.completedTasks[i];
  }
  return undefined;
}

/** Every task the state knows: live and the completed ones it keeps. */
export function allTasks(s: State): Map<TaskKey, TaskState> {
  const out = new Map<TaskKey, TaskState>();
  const add = (t: TaskState): void => void out.set(t.key, t);
  for (const f of s.completedFrameworks) f.completedTasks.forEach(add);
  for (const f of s.frameworks.values()) f.completedTasks.forEach(add);
  for (const t of s.tasks.values()) add(t);
  return out;
}

/** The framework by id, active or completed. */
export const findFramework = (s: State, id: FrameworkId) => s.frameworks.get(id) ?? [...s.completedFrameworks].reverse().find((f) => f.id === id);
