// The converters the protobuf tests build their JSON with (the gateway's own).
export { masterInfoToMesos, offerToMesos, statusToMesos, subscribedEvent } from '../../kernel/shell/scheduler-api/convert/index.js';
export { res } from './events.js';
