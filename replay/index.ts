export { replayLog, type ReplayOptions, type ReplayResult } from './fold.js';
export { canonical, stateToJson } from './json.js';
