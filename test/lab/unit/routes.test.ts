// The lab gateway's reading of HTTPRoutes: matching and weighted choice.
import { attachedTo, httpRouteSchema, pickBackend, selectRule } from '../../../lab/gateway/routes.ts';

const route = httpRouteSchema.parse({
  metadata: { name: 'store-traffic-split', namespace: 'production' },
  spec: {
    parentRefs: [{ name: 'external-gateway' }],
    hostnames: ['shop.example.test'],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/cart' } }],
        backendRefs: [
          { name: 'cart-service-v1', port: 80, weight: 90 },
          { name: 'cart-service-v2', port: 80, weight: 10 },
        ],
      },
    ],
  },
});

describe('HTTPRoute handling in the lab gateway', () => {
  test('a route attaches to the Gateway named in its parentRefs, in its own namespace by default', () => {
    expect(attachedTo(route, { namespace: 'production', name: 'external-gateway' })).toBe(true);
    expect(attachedTo(route, { namespace: 'finance', name: 'external-gateway' })).toBe(false);
  });

  test('matches hostname (port ignored) and path prefix on segment boundaries', () => {
    expect(selectRule([route], 'shop.example.test:80', '/cart', 'POST')?.backends).toHaveLength(2);
    expect(selectRule([route], 'shop.example.test', '/cart/items', 'GET')).toBeDefined();
    expect(selectRule([route], 'shop.example.test', '/cartography', 'GET')).toBeUndefined();
    expect(selectRule([route], 'other.example.test', '/cart', 'GET')).toBeUndefined();
  });

  test('picks backends in proportion to their weights', () => {
    const picks = { 'cart-service-v1': 0, 'cart-service-v2': 0 };
    for (let i = 0; i < 1000; i++) {
      const name = pickBackend(route.spec.rules[0]?.backendRefs ?? [], () => i / 1000)?.name as keyof typeof picks;
      picks[name] += 1;
    }
    expect(picks).toEqual({ 'cart-service-v1': 900, 'cart-service-v2': 100 });
  });

  test('a weight of 0 takes no traffic, and all-zero weights pick nothing', () => {
    const backends = [
      { name: 'v1', weight: 100, kind: 'Service' },
      { name: 'v2', weight: 0, kind: 'Service' },
    ];
    expect(new Set([0, 0.5, 0.999].map((r) => pickBackend(backends, () => r)?.name))).toEqual(new Set(['v1']));
    expect(pickBackend([{ name: 'v1', weight: 0, kind: 'Service' }])).toBeUndefined();
  });
});
