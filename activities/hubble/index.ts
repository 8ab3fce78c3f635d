// Public face of the Hubble pieces: our Observer protos, the relay client,
// and one summariser for gRPC flows and `hubble observe -o json` captures.
export {
  createHubbleClient,
  namespaceFilters,
  type FlowAnswer,
  type FlowFilter,
  type FlowQuery,
  type HubbleClient,
} from './client.ts';
export { LOADER_OPTIONS, observerService, PROTO_DIR } from './proto.ts';
export {
  flowSchema,
  fromWire,
  parseHubbleJson,
  podWorkload,
  responseSchema,
  toRecord,
  type FlowObject,
  type FlowRecord,
  type Peer,
  type PeerCache,
} from './records.ts';
export { toHubbleJson } from './protojson.ts';
export {
  peerName,
  reasonText,
  summariseFlows,
  unansweredEnough,
  UNANSWERED_MIN,
  UNANSWERED_SHARE,
  REPLY_GRACE_MS,
  RELAY_LAG_MS,
  judgedAt,
  type AsOf,
  type ConnectionStats,
  type DropGroup,
  type FlowSummary,
  type HttpStats,
  type PairTraffic,
} from './summarise.ts';
