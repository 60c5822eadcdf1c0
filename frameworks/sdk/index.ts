/** The native framework SDK: subscribe over NATS, receive offers and updates as rxjs streams; write a custom executor. */
export {
  subscribe,
  toExecutorInfo,
  toOperation,
  toTaskInfo,
  type CommandInfoInput,
  type ExecutorMessage,
  type ExecutorSpec,
  type Offer,
  type OperationSpec,
  type ResourceRequest,
  type Scheduler,
  type SchedulerOptions,
  type TaskSpec,
} from './scheduler.js';
export { placeTask, type PlaceOptions } from './placement.js';
export { refusalToStatuses } from '../../events/refusals.js';
export {
  startExecutor,
  executorEnvironment,
  parseMesosDuration,
  ExecutorError,
  type Executor,
  type ExecutorEnvironment,
  type ExecutorOptions,
  type KillRequest,
  type LaunchedTask,
  type UpdateOptions,
} from './executor.js';
