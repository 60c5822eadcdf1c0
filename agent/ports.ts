/**
 * Ports: a task gets exactly the ports of its `ports` resource (checked by the fold against what
 * it was offered), as environment variables in the order its ranges list them: PORT0, PORT1, …,
 * PORTS (comma-separated) and, as Marathon does, PORT (= PORT0). The agent also keeps which live
 * container holds which port and refuses a launch that would give a port to a second task
 * (defence in depth: the fold never offers a port that is in use).
 */
import type { Resources } from '../events/index.js';

/** The ports of a task's resources, in the order its ranges give them. */
export function portsOf(resources: Resources): number[] {
  const out: number[] = [];
  for (const r of resources) {
    if (r.name !== 'ports' || r.type !== 'RANGES') continue;
    for (const [begin, end] of r.ranges) for (let p = begin; p <= end; p++) out.push(p);
  }
  return out;
}

export function portEnvironment(ports: readonly number[]): Record<string, string> {
  if (ports.length === 0) return {};
  const env: Record<string, string> = { PORTS: ports.join(','), PORT: String(ports[0]) };
  ports.forEach((p, i) => (env[`PORT${i}`] = String(p)));
  return env;
}

export class PortConflictError extends Error {
  override readonly name = 'PortConflictError';
  readonly code = 'PORT_IN_USE';
}

/** Which live container holds which port. */
export class PortBook {
  private readonly holder = new Map<number, string>();

  /** Take `ports` for `containerId`, or throw PortConflictError naming the holder. */
  hold(containerId: string, ports: readonly number[]): void {
    for (const p of ports) {
      const h = this.holder.get(p);
      if (h !== undefined && h !== containerId) throw new PortConflictError(`port ${p} is held by container ${h} of a live task`);
    }
    for (const p of ports) this.holder.set(p, containerId);
  }

  release(containerId: string): void {
    for (const [p, h] of [...this.holder]) if (h === containerId) this.holder.delete(p);
  }

  heldBy(port: number): string | undefined {
    return this.holder.get(port);
  }
}
