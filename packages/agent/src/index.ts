// @edgeward/agent: the device daemon (ARCHITECTURE.md "Components and packages"): enrol, attest, update, serve
// inference from memory, watch for tampering, keep the device's own audit log.

// State directory (docs/agent.md "State directory").
export { stateLayout, type StateLayout } from "./state/layout.ts";
export { ensurePrivateDir, readJson, readText, writeJson, writePrivateFile } from "./state/files.ts";

// Identity: keys in the TPM, enrolment and attestation evidence.
export { type DeviceRecord } from "./identity/device-record.ts";
export {
  attestationKey,
  LOG_KEY_PCRS,
  loadDevice,
  openDeviceKeys,
  provisionDevice,
  saveDevice,
  type DeviceKeys,
  type ProvisionOptions,
} from "./identity/provision.ts";
export {
  activateEnrolment,
  answerChallenge,
  enrolmentRequest,
  pcrsToWire,
  type QuoteAnswer,
} from "./identity/evidence.ts";
export { createCsr } from "./identity/csr.ts";
export { floorIndexFor, VersionFloor, MAX_FLOOR_STEP } from "./floor.ts";

// Serving (promise 5).
export { ModelSlot, type ServingModel, type SessionLoader } from "./serve/model-slot.ts";
export { outputsToJson, type JsonTensor } from "./serve/outputs.ts";

// Tamper response (promise 9).
export {
  accelerometerSource,
  commandSource,
  valueFileSource,
  type TamperReading,
  type TamperSource,
} from "./tamper/sources.ts";
export { manualSource, watchTamper, type TamperWatch, type WatchOptions } from "./tamper/watch.ts";
export {
  deleteHeaders,
  readTamperRecord,
  respondToTamper,
  type TamperRecord,
  type TamperTargets,
  type TamperTimings,
} from "./tamper/respond.ts";

// Audit (promise 10) and egress (promise 3).
export { DeviceLog, type Decision } from "./audit/device-log.ts";
export { AuditSchedule, type AuditScheduleOptions, type AuditTimer } from "./audit/audit-schedule.ts";
export { AUDIT_STATE_FILE, buildAuditState, writeAuditState, type AuditStateInputs } from "./state/audit-state.ts";
export { EgressClient, type EgressOptions, type EgressRequest, type EgressResponse } from "./net/egress.ts";
export { buildApp, type ServeDeps } from "./serve/app.ts";
export { ServeMetrics } from "./serve/metrics.ts";
export { activateServing } from "./serve/activate-serving.ts";
export { GuardSlot, type PreparedGuard, type ReleaseGuard } from "./serve/guard-slot.ts";
export { CLIENT_HEADER, clientIdOf, IMAGE_TYPES, inferImage, type GuardedAnswer } from "./serve/guarded-infer.ts";
export { systemdUnit, type UnitOptions } from "./unit.ts";
export {
  readAgentStatus,
  readRuntimeStatus,
  writeRuntimeStatus,
  type AgentStatus,
  type RuntimeStatus,
} from "./status.ts";

// Updates (promise 6): download, proof, store, open and activate.
export { downloadTarget, type RangeFetch } from "./update/download.ts";
export { verifyReleaseProof, type ExpectedRelease } from "./update/release-proof.ts";
export { ReleaseStore, type CurrentReleases, type ReleaseGuardMeta, type ReleaseMeta } from "./update/release-store.ts";
export { openStoredRelease, type OpenedRelease, type OpenReleaseOptions } from "./update/open-release.ts";
export { guardOfTarget, type TargetFacts } from "./update/guard-target.ts";
export { activateRelease, versionSequence, type ActivateDeps } from "./update/activate.ts";

// The running agent and its configuration.
export { Agent, keysUnavailable, type AgentOptions, type HubLink } from "./daemon.ts";
export { DEFAULT_CONFIG, loadConfig, parseConfig, type AgentConfig } from "./config.ts";
export {
  openReviewQueue,
  parseReviewConfig,
  REVIEW_DEFAULTS,
  REVIEW_DIR,
  REVIEW_ENTRIES_PER_ROUND,
  ReviewShipping,
  shipReviewEntries,
  type ReviewConfig,
  type ReviewRound,
  type ReviewShippingLog,
  type ReviewSink,
} from "./review/index.ts";
export { DEFAULT_EVENT_LOG_PATH, readEventLog } from "./identity/event-log.ts";

// The hub: client, enrolment, attestation.
export { HubClient, hubCodeOf } from "./hub/hub-client.ts";
export {
  attestOnce,
  CachedHubClient,
  hostOf,
  hubClient,
  pinHub,
  pinnedHub,
  renewalDue,
  storedHubClient,
  type EventLogSource,
  type HubClientOptions,
  type PinnedHub,
} from "./hub/session.ts";
export { enrolDevice, type EnrolOptions, type Enrolment } from "./hub/enrol.ts";
export { HubFetcher, refreshTarget } from "./update/tuf.ts";
export { installTarget, type InstallDeps } from "./update/install.ts";
export { discoverTargets, discoveryDeps, type DiscoverDeps, type Discovery } from "./update/discover.ts";
export { hubLink, type HubLinkOptions } from "./hub/link.ts";
export { ReleaseWatch, RELEASE_WAIT_S, type ReleaseWatchDeps } from "./hub/release-watch.ts";
export { runInstaller } from "./update/package.ts";
