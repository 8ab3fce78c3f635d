// What the alert intake knows of a game day that is on: where it rehearses,
// so that a real alert for the same service makes the game day yield. Types only.

export interface GamedayRegistration {
  workflowId: string;
  /** Namespace and workloads the game day is rehearsing on. */
  namespace: string;
  services: string[];
}
