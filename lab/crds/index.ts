// The custom resource definitions the lab installs.
import { ciliumNetworkPolicyCrd } from './cilium.ts';
import { gatewayClassCrd, gatewayCrd, httpRouteCrd } from './gateway-api.ts';

export const LAB_CRDS = [ciliumNetworkPolicyCrd, gatewayClassCrd, gatewayCrd, httpRouteCrd];
