/**
 * One timer per isolator for watching its running containers: every `intervalMs` it calls
 * `check(key)` for each watched key, never overlapping rounds, and stops when nothing is watched.
 * The timer is unref'd: the watched child processes keep the agent alive, not this loop.
 */
export class WatchLoop<K> {
  private readonly keys = new Set<K>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly intervalMs: number,
    /** Check every key of one round; must not throw (report errors itself). */
    private readonly round: (keys: readonly K[]) => Promise<void>,
  ) {}

  add(key: K): void {
    this.keys.add(key);
    this.schedule();
  }

  delete(key: K): void {
    this.keys.delete(key);
    if (this.keys.size === 0 && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  has(key: K): boolean {
    return this.keys.has(key);
  }

  private schedule(): void {
    if (this.timer !== undefined || this.running || this.keys.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = true;
      this.round([...this.keys])
        .catch(() => undefined)
        .finally(() => {
          this.running = false;
          this.schedule();
        });
    }, this.intervalMs);
    this.timer.unref();
  }
}
