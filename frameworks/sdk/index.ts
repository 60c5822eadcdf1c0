/** The native framework SDK: subscribe over NATS, receive offers and updates as rxjs streams. */
export { subscribe, toOperation, toTaskInfo, type CommandInfoInput, type Offer, type OperationSpec, type ResourceRequest, type Scheduler, type SchedulerOptions, type TaskSpec } from './scheduler.js';
export { placeTask, type PlaceOptions } from './placement.js';
export { refusalToStatuses } from '../../events/refusals.js';
