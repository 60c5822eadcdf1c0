/** The public surface of replay/: read-only folds of the log, views, diffs, invariants, timelines, exports. */
export { foldTo, replayLog, type FoldOptions, type FoldResult, type ReplayOptions, type ReplayResult } from './fold.js';
export { canonical, stateToJson } from './json.js';
export { masterView, stateView, STATE_VIEWS, SERVING_PROCESS_FIELDS, type StateView } from './views.js';
export { natsSource, fileSource, busSource, subjectMatcher, type LogSource, type Entry, type Head } from './source.js';
export { parsePoint, resolvePoint, type Point, type PointSpec } from './point.js';
export { DiffTrail, diffStates, renderDiff, type StateDiff } from './diff.js';
export { TimelineCollector, directLine, directSubjects, renderLine, describeTarget, type TimelineLine, type TimelineTarget } from './timeline.js';
export { jsonlLine, csvHeader, csvLine, readExportFile, CSV_COLUMNS, type ExportFormat } from './export.js';
export { describe } from './describe.js';
export { touches, splitTaskKey, type Touches } from './touches.js';
export { findTask, allTasks } from './lookup.js';
export { startProgress, rateLine, type Progress, type ProgressOutput } from './progress.js';
export { ReplayError, EXIT, exitCodeOf, type ReplayErrorCode } from './errors.js';
export {
  Verifier,
  verifyLog,
  verifySource,
  agentTransitionLegal,
  foldTransitionLegal,
  INVARIANTS,
  type Violation,
  type VerifyReport,
  type VerifyOptions,
  type InvariantName,
} from './verify.js';
export { replayRoutes, operatorView, HTTP_STATE_VIEWS, SERIES_METRICS, type HttpStateView } from './http.js';
