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
