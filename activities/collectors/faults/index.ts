// Public face of the faults collector.
export {
  activityClient,
  createFaultsCollector,
  FAULT_WORKFLOW_TYPE,
  type ActiveFault,
  type FaultsEvidence,
} from './collector.ts';
