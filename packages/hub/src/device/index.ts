// The hub's device side: enrolment, attestation, key release policy, device logs and reports (ARCHITECTURE.md
// flows 2-4, 6-7).
export type {
  AttestationRecord,
  AuditSink,
  DeviceLogState,
  DeviceRecord,
  DeviceState,
  GroupPolicy,
  NonceRecord,
  PendingEnrolment,
  StoredClock,
} from "./types.ts";
export type { DevicePatch, DeviceStore, IssuedRecord } from "./store.ts";
export { MemoryDeviceStore } from "./memory-store.ts";
export { DatabaseDeviceStore } from "./database-store.ts";
export type { DeviceContext } from "./context.ts";
export { createEnrolToken, EnrolmentService, tokenDigest } from "./enrolment.ts";
export { AttestationService, attestationStatus, pcrValuesFromWire, RetryLater } from "./attestation.ts";
export { evaluateQuote, type PolicyOutcome, type Reason } from "./attest-policy.ts";
export { secureBootReasons } from "./secure-boot-policy.ts";
export { compareVersions, KeyReleaseService, type ReleaseFacts, type ReleasePort } from "./key-release.ts";
export { DeviceLogService } from "./device-log.ts";
export { DeviceReportService } from "./reports.ts";
export { createDeviceServices, type DeviceServices } from "./services.ts";
export { openDeviceSide, type DeviceSideOptions } from "./open.ts";
export { devicePlugin } from "./routes.ts";
