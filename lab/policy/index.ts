// Public face of the lab's policy enforcement: compile CiliumNetworkPolicies
// and NetworkPolicies into the datapath's maps, the eBPF datapath itself,
// and its drop events as the Hubble stand-in's flows.
export {
  compile,
  DROP_POLICY,
  DROP_POLICY_DENY,
  DROP_REASON_NAMES,
  type Compiled,
  type Endpoint,
  type PolicyEntry,
} from './compile.ts';
export { decide, identityOfIp, lookupOrder, type Packet, type Verdict } from './decide.ts';
export { RESERVED, LOCAL_IDENTITY_BASE, podIdentity, type ClusterView, type Identity } from './identity.ts';
export { parsePolicy, PolicyError, type Policy } from './schema.ts';
export { normalize, type PolicyRules, type Rule } from './rules.ts';
export { fqdnMatches } from './fqdn.ts';
export { buildDatapath, DatapathError, POLICY_PINS } from './build.ts';
export { loadDatapath, mapEntries, POLICY_DROP_MARK, type CtLifetimes, type Datapath, type Stats } from './datapath.ts';
export { dropReader, readDrops, dropEventSchema, type DropEvent } from './reader.ts';
export { dropToFlow, feedDrops, tcpFlags, wallClock, type DropContext } from './events.ts';
export {
  clientIdentity,
  decideL7,
  entryFor,
  l7ConfigSchema,
  redirected,
  ruleMatches,
  type HttpRequestView,
  type L7Config,
  type L7Decision,
} from './l7-config.ts';
export { l7Configs, PROXY_PORT_BASE, sourcesFor } from './l7-compile.ts';
export { EVENT_ACCESS_LOG, l7EventSchema, l7ToFlow, type L7Event } from './l7-events.ts';
export { applyNft, hasNft, L7_TABLE, nftScript, removeNft } from './l7-nft.ts';
export { l7Files, l7Proxies, type L7Pod, type L7Proxies } from './l7-proxies.ts';
export { announceEndpoint, POLICY_AGENT_URL } from './client.ts';
export { labPolicyFiles } from './lab-files.ts';
export {
  KUBE_DNS,
  labClusterView,
  labPods,
  podEndpointSchema,
  stableIds,
  type LabPod,
  type PodEndpoint,
} from './view.ts';
export { startAgent, type AgentStatus, type PolicyAgent } from './agent.ts';
