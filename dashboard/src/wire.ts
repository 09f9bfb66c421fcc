/** The only things the dashboard takes from tend's source: the API's wire types (erased at build time). */
export type {
  ExitRecordWire,
  InstanceDetail,
  InstanceState,
  LogLine,
  ProgramDetail,
  ProxyDetail,
  SignalReply,
} from '../../src/api/wire.js';
export type { TendEvent, TendEventKind } from '../../src/core/events.js';
