// Public face of cli/ for what stands above it (benchmarks): the command
// table and the demo. The command line itself starts at main.ts.
export { commands } from './commands/index.ts';
export { runDemo, type DemoResult } from './demo/scenario.ts';
export {
  AlertmanagerDeliveries,
  ALERTNAME,
  cartDrop,
  Deliveries,
  followChain,
  type HopName,
  type Hops,
} from './demo/chain.ts';
