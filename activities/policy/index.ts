// Public face of the policy analyser: read NetworkPolicies and Cilium
// policies, ask whether a flow is allowed, get the answer in words or JSON.
export { policyObjects, policyObjectsFromText, POLICY_KINDS, type Loaded, type PolicyObject } from './documents.ts';
export { CLUSTER_DNS, explain, explainDirection, policyName } from './explain.ts';
export { toPolicies, type PolicySet } from './load.ts';
export { inCidr } from './cidr.ts';
export { describeEndpoint, selects } from './match.ts';
export { parseEndpoint, parseQuery, QueryError, type QueryInput } from './query.ts';
export { explanationInWords } from './words.ts';
export { suggestDns, suggestScoped, type Suggestion } from './suggest.ts';
export type * from './types.ts';
