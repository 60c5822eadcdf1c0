/**
 * The agent's GPUs: which index (0 … gpus−1, as nvidia-smi numbers them) belongs to which
 * container. A task asking for `gpus:N` gets the N lowest free indices; they are checkpointed with
 * its container and taken again when the agent re-attaches to it after a restart.
 */
export class GpuShortageError extends Error {
  override readonly name = 'GpuShortageError';
  readonly code = 'GPUS_UNAVAILABLE';
}

export class GpuBook {
  private readonly owner = new Map<number, string>();
  readonly indices: readonly number[];

  constructor(count: number) {
    this.indices = Array.from({ length: Math.max(0, Math.floor(count)) }, (_, i) => i);
  }

  free(): number[] {
    return this.indices.filter((i) => !this.owner.has(i));
  }

  allocate(containerId: string, n: number): number[] {
    if (!Number.isInteger(n) || n < 0) throw new GpuShortageError(`a task must ask for a whole number of gpus (got ${n})`);
    const free = this.free();
    if (free.length < n) throw new GpuShortageError(`the task asks for ${n} gpus, ${free.length} of this agent's ${this.indices.length} are free`);
    const mine = free.slice(0, n);
    for (const i of mine) this.owner.set(i, containerId);
    return mine;
  }

  /** Take the indices a recovered container had (they must be free). */
  restore(containerId: string, indices: readonly number[]): void {
    for (const i of indices) {
      const o = this.owner.get(i);
      if (o !== undefined && o !== containerId) throw new GpuShortageError(`gpu ${i} is claimed by containers ${o} and ${containerId}`);
      if (!this.indices.includes(i)) throw new GpuShortageError(`gpu ${i} is not one of this agent's ${this.indices.length}`);
    }
    for (const i of indices) this.owner.set(i, containerId);
  }

  release(containerId: string): void {
    for (const [i, o] of [...this.owner]) if (o === containerId) this.owner.delete(i);
  }

  of(containerId: string): number[] {
    return [...this.owner].filter(([, o]) => o === containerId).map(([i]) => i);
  }
}
