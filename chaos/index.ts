/** `mesos chaos` and its parts: attack a running `mesos dev`, keep a workload going, verify the log. */
export { DEV_STATE_FILE, DevState, DevStateError, devStatePath, readDevState, writeDevState, type DevChild, type Role } from './dev-state.js';
export { FAULTS, natsPortsOf, parseFaults, parseProcNetTcp, partitionHow, partitionPlan, partitionSupport, partitionSupportFor, ssFilter, type Fault } from './faults.js';
export { chaosUser, runChaos, type ChaosOptions } from './run.js';
export { percentile, summarize, type Summary } from './stats.js';
export { TaskTally, type TaskCounts } from './tally.js';
export { TargetError, chooseTarget, eligible, parseTargets, seededRandom, type TargetSpec } from './targets.js';
export { failures, render, toJson, type ChaosJson, type ChaosResult } from './verdict.js';
