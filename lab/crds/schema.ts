// Building blocks for structural OpenAPI schemas (no $ref is allowed in a
// CRD, so shared parts are built once here and inlined).
export type Schema = Record<string, unknown>;

export const str: Schema = { type: 'string' };
export const int: Schema = { type: 'integer' };
export const bool: Schema = { type: 'boolean' };
export const strMap: Schema = { type: 'object', additionalProperties: { type: 'string' } };
export const anything: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

export function obj(properties: Record<string, Schema>, required?: string[]): Schema {
  return { type: 'object', properties, ...(required ? { required } : {}) };
}

export function arr(items: Schema, maxItems?: number): Schema {
  return { type: 'array', items, ...(maxItems ? { maxItems } : {}) };
}

export function enumOf(values: string[], defaultValue?: string): Schema {
  return { type: 'string', enum: values, ...(defaultValue ? { default: defaultValue } : {}) };
}

/** metav1.LabelSelector */
export const labelSelector: Schema = obj({
  matchLabels: strMap,
  matchExpressions: arr(
    obj({ key: str, operator: enumOf(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: arr(str) }, [
      'key',
      'operator',
    ]),
  ),
});

/** The approval annotation value the upstream Gateway API CRDs carry. */
export const GATEWAY_API_APPROVAL = 'https://github.com/kubernetes-sigs/gateway-api/pull/3328';

export interface CrdNames {
  kind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  categories?: string[];
}

export function crd(
  group: string,
  names: CrdNames,
  versions: Array<{ name: string; schema: Schema; storage: boolean }>,
  scope: 'Namespaced' | 'Cluster' = 'Namespaced',
) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${names.plural}.${group}`,
      labels: { 'app.kubernetes.io/managed-by': 'nightshift-lab' },
      // *.k8s.io groups are protected: the API server wants the approval the upstream CRDs carry.
      ...(group.endsWith('.k8s.io') ? { annotations: { 'api-approved.kubernetes.io': GATEWAY_API_APPROVAL } } : {}),
    },
    spec: {
      group,
      scope,
      names: { ...names, listKind: `${names.kind}List` },
      versions: versions.map((v) => ({
        name: v.name,
        served: true,
        storage: v.storage,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: obj({
            apiVersion: str,
            kind: str,
            metadata: { type: 'object' },
            ...(v.schema.properties as Record<string, Schema>),
          }),
        },
      })),
    },
  };
}
