// Temporal task queues: the control worker's, and one per node for the node
// agent there, so a fault activity reaches exactly the node of its target.

/** The control worker's default task queue (workflows and cluster-wide activities). */
export const CONTROL_QUEUE = 'nightshift';

/** The node agent's task queue for a node. */
export const nodeQueue = (node: string): string => `nightshift-node-${node}`;
