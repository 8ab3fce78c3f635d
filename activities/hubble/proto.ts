// Loads our Hubble protos once, for the client and the lab's stand-in server.
// keepCase keeps proto field names (node_name, IP, Type), the names
// `hubble observe -o json` prints, so one reader handles both.
import { fileURLToPath } from 'node:url';
import {
  loadPackageDefinition,
  type GrpcObject,
  type ServiceClientConstructor,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

export const PROTO_DIR = fileURLToPath(new URL('./proto/', import.meta.url));

export const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

let loaded: { Observer: ServiceClientConstructor } | undefined;

export function observerService(): { Observer: ServiceClientConstructor; definition: ServiceDefinition } {
  loaded ??= (() => {
    const definition = loadSync(['observer/observer.proto'], LOADER_OPTIONS);
    const grpc = loadPackageDefinition(definition);
    const observer = grpc.observer as GrpcObject;
    return { Observer: observer.Observer as ServiceClientConstructor };
  })();
  return { Observer: loaded.Observer, definition: loaded.Observer.service };
}
