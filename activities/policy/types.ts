// The analyser's model: policies of either kind normalised into one shape,
// the flow being asked about, and the answer.

/** One end of a flow: a pod (namespace + labels) or something outside the cluster (IP, FQDN). */
export interface Endpoint {
  namespace?: string;
  labels: Record<string, string>;
  /** Labels of the pod's namespace beyond kubernetes.io/metadata.name, when known. */
  namespaceLabels?: Record<string, string>;
  ip?: string;
  fqdn?: string;
  /** Outside the cluster: no policy selects it, only CIDR/FQDN/entity rules match it. */
  external: boolean;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP' | 'ANY';

export interface FlowQuery {
  from: Endpoint;
  to: Endpoint;
  port: number;
  protocol: Protocol;
  http?: { method?: string; path?: string; host?: string };
}

export type Direction = 'ingress' | 'egress';
export type PolicyKind = 'NetworkPolicy' | 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy';

export interface PolicyRef {
  kind: PolicyKind;
  namespace?: string;
  name: string;
}

/** A field the analyser does not evaluate; always reported, never silently ignored. */
export interface Unsupported {
  policy: string;
  path: string;
  note: string;
}

export type PeerMatcher =
  | {
      kind: 'endpoints';
      selector: LabelSelector;
      /** Namespaces the selector may pick from: the policy's own, or by a namespace selector. */
      namespaces: { only: string } | { selector: LabelSelector } | 'any';
      cilium: boolean;
    }
  | { kind: 'cidr'; cidr: string; except: string[] }
  | { kind: 'entity'; entity: string }
  | { kind: 'fqdn'; matchName?: string; matchPattern?: string };

export interface HttpRule {
  method?: string;
  path?: string;
  host?: string;
}

export interface PortMatcher {
  /** UNSUPPORTED (e.g. ICMP) never matches. */
  protocol: Protocol | 'UNSUPPORTED';
  /** Undefined matches every port. A string is a named port. */
  port?: number | string;
  endPort?: number;
  http?: HttpRule[];
}

export interface Rule {
  policy: PolicyRef;
  direction: Direction;
  deny: boolean;
  /** Path in the document, e.g. "spec.ingress[0]" or "specs[1].egress[0]". */
  path: string;
  /** Undefined: any peer. */
  peers?: PeerMatcher[];
  /** Undefined: any port and protocol. */
  ports?: PortMatcher[];
  /** Parts of this rule the analyser cannot evaluate: the rule never matches on them. */
  unsupported: Unsupported[];
}

export interface Policy {
  ref: PolicyRef;
  /** Selects subjects in this namespace (undefined: cluster-wide). */
  namespace?: string;
  subject: LabelSelector;
  cilium: boolean;
  /** Directions in which selected endpoints become default-deny. */
  isolates: Record<Direction, boolean>;
  rules: Rule[];
  unsupported: Unsupported[];
  /** When the object last changed, when the document says. */
  changedAt?: string;
}

export interface RuleVerdict {
  rule: string;
  matched: boolean;
  /** Why it did not match (or what it requires at L7). */
  why: string;
}

export interface DirectionAnswer {
  direction: Direction;
  verdict: 'allowed' | 'denied' | 'not-applicable';
  reason: 'no-policy' | 'allowed-by-rule' | 'default-deny' | 'denied-by-rule' | 'l7-denied' | 'external';
  /** Policies that select the subject in this direction. */
  selectedBy: string[];
  /** The rule that decided, when one did. */
  rule?: string;
  /** L7 conditions the flow is subject to (allowed only for matching requests). */
  conditions: string[];
  /** Every rule looked at and why it did or did not match. */
  considered: RuleVerdict[];
  sentence: string;
}

export interface Explanation {
  verdict: 'allowed' | 'denied';
  flow: string;
  egress: DirectionAnswer;
  ingress: DirectionAnswer;
  /** Unsupported fields in the policies that select either end (they may change the answer). */
  caveats: Unsupported[];
  /** Every unsupported field in every policy given. */
  unsupported: Unsupported[];
  notes: string[];
  summary: string;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
