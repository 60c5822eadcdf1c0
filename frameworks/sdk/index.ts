/** The native framework SDK: subscribe over NATS, receive offers and updates as rxjs streams. */
export { subscribe, toTaskInfo, type Offer, type Scheduler, type SchedulerOptions, type TaskSpec } from './scheduler.js';
export { refusalToStatuses } from './refusals.js';
