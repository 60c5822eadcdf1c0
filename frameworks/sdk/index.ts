/** The native framework SDK: subscribe over NATS, receive offers and updates as rxjs streams. */
export { subscribe, toOperation, toTaskInfo, type CommandInfoInput, type Offer, type OperationSpec, type Scheduler, type SchedulerOptions, type TaskSpec } from './scheduler.js';
export { refusalToStatuses } from '../../events/refusals.js';
