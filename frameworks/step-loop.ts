/**
 * A reference framework's step loop: one step at a time; a step asked for while one runs makes
 * one more run after it (however many were asked for), so that nothing that happened meanwhile
 * waits for the next tick. A failed step is logged and the loop goes on; once closed, no step runs.
 */
export interface StepLoop {
  /** Ask for a step; resolves when the steps running or asked for now have run. */
  step(): Promise<void>;
  /** The steps running now (resolved when none is). */
  idle(): Promise<void>;
  readonly busy: boolean;
  readonly closed: boolean;
  /** No step from now on; resolves once the one running has ended. */
  close(): Promise<void>;
}

export function stepLoop(once: () => Promise<void>, failed: (err: unknown) => void): StepLoop {
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  const step = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await once();
        } while (again && !closed);
      } catch (err) {
        if (!closed) failed(err);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  return {
    step,
    idle: async () => running,
    get busy() {
      return running !== undefined;
    },
    get closed() {
      return closed;
    },
    async close() {
      closed = true;
      await running;
    },
  };
}
