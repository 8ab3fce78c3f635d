// Public face of bpf/: the loader, the capability probe, test runs and the
// paths every pin lives under.
export { attach, detach, detachFault, faultIds, list, pinDirs, show } from './loader.ts';
export type {
  Attachment,
  AttachMode,
  AttachPoint,
  Detached,
  Hook,
  PortRange,
  ProgramSpec,
  Protocol,
} from './loader.ts';
export { probeCapabilities, type Capabilities } from './capabilities.ts';
export { nsfault, HelperError, type Counters } from './helper.ts';
export { attachmentDir, ensureBpffs, faultDir, helperPath, NAME_PATTERN, PIN_ROOT, BpfSetupError } from './paths.ts';
export { FQ_HANDLE, fqOptions, TC_HANDLE_PREFIX, TC_PRIO_BASE, type FqSizing } from './qdisc.ts';
export { testRun, loadEmpty, type TestRunResult } from './testrun.ts';
export { buildPacket, type PacketSpec } from './packets.ts';
export { CommandError, NetnsRefused, run, runJson, netnsPath } from './exec.ts';
