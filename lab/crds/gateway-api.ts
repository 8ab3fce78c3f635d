// Gateway API (gateway.networking.k8s.io/v1) GatewayClass, Gateway and
// HTTPRoute, with structural schemas of our own covering the standard
// channel's fields the lab gateway and nightshift's collectors read.
import { anything, arr, crd, enumOf, int, obj, str, type Schema } from './schema.ts';

const parentRef: Schema = obj({ group: str, kind: str, namespace: str, name: str, sectionName: str, port: int }, [
  'name',
]);

const backendRef: Schema = obj(
  {
    group: str,
    kind: str,
    name: str,
    namespace: str,
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    weight: { type: 'integer', minimum: 0, maximum: 1000000, default: 1 },
    filters: arr(anything),
  },
  ['name'],
);

const match: Schema = obj({
  path: obj({
    type: enumOf(['Exact', 'PathPrefix', 'RegularExpression'], 'PathPrefix'),
    value: { type: 'string', default: '/' },
  }),
  headers: arr(
    obj({ type: enumOf(['Exact', 'RegularExpression'], 'Exact'), name: str, value: str }, ['name', 'value']),
  ),
  queryParams: arr(
    obj({ type: enumOf(['Exact', 'RegularExpression'], 'Exact'), name: str, value: str }, ['name', 'value']),
  ),
  method: enumOf(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']),
});

const httpRoute: Schema = obj({
  spec: obj({
    parentRefs: arr(parentRef, 32),
    hostnames: arr(str, 16),
    rules: arr(
      obj({
        name: str,
        matches: arr(match, 64),
        filters: arr(anything),
        backendRefs: arr(backendRef, 16),
        timeouts: obj({ request: str, backendRequest: str }),
      }),
      16,
    ),
  }),
  status: anything,
});

const gateway: Schema = obj({
  spec: obj(
    {
      gatewayClassName: str,
      listeners: arr(
        obj(
          {
            name: str,
            hostname: str,
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            protocol: str,
            tls: anything,
            allowedRoutes: obj({
              namespaces: obj({ from: enumOf(['All', 'Same', 'Selector'], 'Same'), selector: anything }),
              kinds: arr(obj({ group: str, kind: str }, ['kind'])),
            }),
          },
          ['name', 'port', 'protocol'],
        ),
        64,
      ),
      addresses: arr(obj({ type: str, value: str }, ['value'])),
    },
    ['gatewayClassName', 'listeners'],
  ),
  status: anything,
});

const gatewayClass: Schema = obj({
  spec: obj({ controllerName: str, description: str, parametersRef: anything }, ['controllerName']),
  status: anything,
});

const GROUP = 'gateway.networking.k8s.io';

export const gatewayClassCrd = crd(
  GROUP,
  {
    kind: 'GatewayClass',
    plural: 'gatewayclasses',
    singular: 'gatewayclass',
    shortNames: ['gc'],
    categories: ['gateway-api'],
  },
  [{ name: 'v1', storage: true, schema: gatewayClass }],
  'Cluster',
);

export const gatewayCrd = crd(
  GROUP,
  { kind: 'Gateway', plural: 'gateways', singular: 'gateway', shortNames: ['gtw'], categories: ['gateway-api'] },
  [{ name: 'v1', storage: true, schema: gateway }],
);

export const httpRouteCrd = crd(
  GROUP,
  { kind: 'HTTPRoute', plural: 'httproutes', singular: 'httproute', categories: ['gateway-api'] },
  [{ name: 'v1', storage: true, schema: httpRoute }],
);
