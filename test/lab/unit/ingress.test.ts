// The lab's ingress to the gateway reads where to listen and which Service
// to lead to from its environment, and names what is wrong with it.
import { parseIngressEnv } from '../../../lab/ingress/index.ts';

describe('parseIngressEnv', () => {
  test('a listen address and a namespace/Service', () => {
    expect(
      parseIngressEnv({
        NIGHTSHIFT_DATA_DIR: '/tmp/lab',
        NIGHTSHIFT_INGRESS_LISTEN: '127.0.0.1:3000',
        NIGHTSHIFT_INGRESS_SERVICE: 'nightshift/nightshift-gateway',
      }),
    ).toMatchObject({
      NIGHTSHIFT_INGRESS_LISTEN: { host: '127.0.0.1', port: 3000 },
      NIGHTSHIFT_INGRESS_SERVICE: { namespace: 'nightshift', name: 'nightshift-gateway' },
      LOG_LEVEL: 'info',
    });
  });

  test('each bad value is named', () => {
    expect(() =>
      parseIngressEnv({
        NIGHTSHIFT_DATA_DIR: '/tmp/lab',
        NIGHTSHIFT_INGRESS_LISTEN: 'localhost',
        NIGHTSHIFT_INGRESS_SERVICE: 'nightshift-gateway',
      }),
    ).toThrow(
      /NIGHTSHIFT_INGRESS_LISTEN: expected <ipv4>:<port>; NIGHTSHIFT_INGRESS_SERVICE: expected <namespace>\/<service>/,
    );
    expect(() => parseIngressEnv({})).toThrow(/NIGHTSHIFT_DATA_DIR/);
  });
});
