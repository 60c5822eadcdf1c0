/**
 * `mesos replay …`: the auditor's commands. Each reads the log (from NATS, or from an export file)
 * with the kernel's own `evolve` and never writes to it. One subcommand a file; this list is what
 * `mesos` dispatches (`mesos replay <name>`): a new subcommand is one entry here.
 */
import type { ReplayCommand } from './replay-common.js';
import { diffCommand } from './replay-diff.js';
import { exportCommand } from './replay-export.js';
import { stateCommand } from './replay-state.js';
import { timelineCommand } from './replay-timeline.js';
import { verifyCommand } from './replay-verify.js';
import { whyPendingCommand } from './replay-why-pending.js';

export type { ReplayCommand } from './replay-common.js';

export const REPLAY_COMMANDS: readonly ReplayCommand[] = [
  stateCommand,
  diffCommand,
  verifyCommand,
  timelineCommand,
  exportCommand,
  whyPendingCommand,
];
