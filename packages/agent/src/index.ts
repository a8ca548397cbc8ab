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
export { VersionFloor, MAX_FLOOR_STEP } from "./floor.ts";
