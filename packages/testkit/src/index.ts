// @edgeward/testkit: helpers that other packages' tests share (ARCHITECTURE.md).
export { rejectsWithCode, throwsWithCode } from "./errors.ts";
export { injectFailsWith, type InjectedResponse } from "./inject.ts";
export { tempDir } from "./tmp.ts";
export { printedCode, runNodeScript, type CliResult } from "./process.ts";
export { CLI_BIN, runCli } from "./cli.ts";
export { startServe, type ServeProcess } from "./hub-serve.ts";
export { syntheticMatMulModel } from "./onnx-synthetic.ts";
export {
  startSwtpm,
  startSwtpmFleet,
  swtpmAvailable,
  swtpmLocalCa,
  type StartSwtpmOptions,
  type Swtpm,
  type SwtpmLocalCa,
} from "@edgeward/swtpm";
export { startPostgres, type PostgresServer } from "./postgres.ts";
export { seededRandom } from "./random.ts";
export { pcrsFromTpm2EventlogYaml, tpm2EventlogPcrs } from "./tpm2-eventlog.ts";
export { forgedTaggedStanzas } from "./age-forgery.ts";
export { buildLog, EFI_GLOBAL_GUID_BYTES, EVENTLOG_FIXTURES, variableData, type BuiltEvent } from "./eventlogs.ts";
export { TPM_EVIDENCE_FIXTURES } from "./tpm-evidence.ts";
export {
  buildFakeDevice,
  copyDevice,
  egressRules,
  FAKE_DEVICE_HUB,
  FAKE_DEVICE_STATE,
  loadedRulesetJson,
  putFile,
} from "./fake-device.ts";
export { sealedRelease, type SealedRelease } from "./release.ts";
export { filesHolding, filesUnder } from "./disk-scan.ts";
export { closedPort, errorChainText } from "./refused-port.ts";
export {
  servingRelease,
  startAgentProcess,
  type AgentAnswer,
  type AgentProcess,
  type StartAgentOptions,
} from "./agent-process.ts";
export {
  adminArgs,
  createFleetGroup,
  edgewardJson,
  enrolDevice,
  FLEET_POLICY,
  initFleetHub,
  publisherKeys,
  publishModel,
  type EnrolBy,
  type FleetHub,
} from "./device-fleet.ts";
export { readDeviceLog, startFleetDevice, type FleetDevice } from "./fleet-device.ts";
