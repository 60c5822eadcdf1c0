/**
 * The children of `mesos dev` and what happens when one dies: it is reported and left dead, or,
 * with `--restart-killed`, started again after the delay. Every child runs in a process group of
 * its own, so a Ctrl-C at the terminal reaches `mesos dev` only, which then stops the children in
 * order (agents, masters, NATS).
 */
import type { Role } from '../../chaos/dev-state.js';

/** One run of a child process. */
export interface UnitRun {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly monitorUrl?: string;
  /** Resolves with how it ended: "SIGKILL", "exit 1". */
  readonly exited: Promise<string>;
  /** SIGTERM (and SIGCONT, for a stopped one), then SIGKILL of its group after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

/** Something `mesos dev` runs: a master, an agent or a NATS node. */
export interface Unit {
  readonly name: string;
  readonly role: Role;
  /** Its network namespace (`mesos dev --netns`); none: the host's network. */
  readonly net?: { readonly ns: string; readonly addr: string; readonly veth: string };
  /** Starts it; resolves once it serves. A restart reuses the ports, store and work dir. */
  start(): Promise<UnitRun>;
}

export interface Tracked {
  readonly unit: Unit;
  run: UnitRun | undefined;
  alive: boolean;
  restarts: number;
  lastExit?: string;
}

export interface SupervisorOptions {
  /** Restart a dead child after this many ms; null: leave it dead. */
  readonly restartKilledMs: number | null;
  readonly out: (line: string) => void;
  /** Called after every start and exit (to rewrite the state file). */
  readonly onChange: () => void;
}

export class Supervisor {
  private readonly tracked: Tracked[] = [];
  private stopping = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly starting = new Set<Promise<unknown>>();

  constructor(private readonly o: SupervisorOptions) {}

  get children(): readonly Tracked[] {
    return this.tracked;
  }

  /** Starts a unit and watches it from then on. */
  async add(unit: Unit): Promise<UnitRun> {
    const t: Tracked = { unit, run: undefined, alive: false, restarts: 0 };
    this.tracked.push(t);
    const starting = unit.start();
    this.starting.add(starting);
    let run: UnitRun;
    try {
      run = await starting;
    } finally {
      this.starting.delete(starting);
    }
    if (this.stopping) {
      await run.stop(5000);
      throw new Error(`stopping: ${unit.name} is not kept`);
    }
    this.watch(t, run);
    return run;
  }

  private watch(t: Tracked, run: UnitRun): void {
    t.run = run;
    t.alive = true;
    this.o.onChange();
    void run.exited.then((how) => {
      if (t.run !== run) return;
      t.alive = false;
      t.lastExit = how;
      this.o.onChange();
      if (this.stopping) return;
      const after = this.o.restartKilledMs;
      this.o.out(`${t.unit.name} (pid ${run.pid}) exited (${how}); ${after === null ? 'left dead (the rest keep running; --restart-killed DELAY restarts dead children)' : `restarting it in ${after} ms`}`);
      if (after !== null) this.scheduleRestart(t, after);
    });
  }

  private scheduleRestart(t: Tracked, afterMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopping) return;
      t.unit.start().then(
        (run) => {
          if (this.stopping) {
            void run.stop(5000);
            return;
          }
          t.restarts++;
          this.o.out(`${t.unit.name} restarted (pid ${run.pid}, ${run.url})`);
          this.watch(t, run);
        },
        (err: unknown) => {
          this.o.out(`${t.unit.name} did not restart: ${(err as Error).message}; trying again in ${afterMs} ms`);
          this.scheduleRestart(t, afterMs);
        },
      );
    }, afterMs);
    this.timers.add(timer);
  }

  /** Stops every child, group by group (e.g. agents, then masters, then NATS). */
  async stopAll(order: readonly (readonly Role[])[], graceMs: number): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.starting]); // a start under way ends in add(), which stops it
    for (const roles of order) {
      await Promise.all(this.tracked.filter((t) => roles.includes(t.unit.role) && t.run !== undefined).map((t) => t.run!.stop(graceMs)));
    }
    this.o.onChange();
  }
}
