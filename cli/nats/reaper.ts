// Servers started here must not outlive this process: on exit (and on a signal nobody else
// handles) they are SIGKILLed and their temp dirs removed.

import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

// Children that must not outlive this process.
export const liveChildren = new Set<ChildProcess>();
export const cleanupOnExit = new Set<string>();
let exitHooksInstalled = false;

/** Synchronously SIGKILLs every server started here and removes their temp dirs. */
function killAllNow(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of cleanupOnExit) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // best effort
    }
  }
}

export function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllNow);
  // A signal with no other handler would end the process without 'exit'
  // running: kill the servers, then let the signal do what it would have done.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      if (process.listenerCount(sig) > 1) return; // someone else handles shutdown
      killAllNow();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}
