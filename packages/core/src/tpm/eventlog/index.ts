// The TCG PC Client firmware event log: parse, replay, Secure Boot (ARCHITECTURE.md promise 2; docs/audit.md).
export { EV, eventTypeName } from "./event-types.ts";
export { guidString } from "./le-reader.ts";
export type { EventLogAlgorithm, SpecIdEvent } from "./spec-id.ts";
export { EVENTLOG_LIMITS, parseEventLog, type EventDigest, type EventLog, type TcgEvent } from "./parse.ts";
export { replayEventLog, startupLocality } from "./replay.ts";
export {
  EFI_GLOBAL_VARIABLE,
  EFI_IMAGE_SECURITY_DATABASE,
  parseEfiVariable,
  summarizeSignatureDb,
  type EfiVariable,
  type SignatureDbSummary,
} from "./efi-variable.ts";
export {
  checkSecureBoot,
  secureBootState,
  type CheckSecureBootInput,
  type SecureBootEvidence,
  type SecureBootState,
} from "./secure-boot.ts";
export { pcrsToHex, summarizeEventLog, type EventLogSummary, type EventSummary } from "./summary.ts";
