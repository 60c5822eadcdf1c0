export { replayLog, type ReplayOptions, type ReplayResult } from './fold.js';
export { canonical, stateToJson } from './json.js';
export { Verifier, verifyLog, agentTransitionLegal, type Violation, type VerifyReport, type VerifyOptions, type InvariantName } from './verify.js';
