// @edgeward/tpm: the TPM as a device (ARCHITECTURE.md "Components and packages", promises 1 and 2).
export {
  APPLICATION_PCR,
  DEFAULT_COUNTER_INDEX,
  DEFAULT_POLICY_PCRS,
  type AttestationKey,
  type CertifyEvidence,
  type EkType,
  type QuoteEvidence,
  type TpmDevice,
  type TpmStatus,
  type WrappedObject,
} from "./device.ts";
export { Tpm2ToolsDevice, wrappedPublicPoint, type Tpm2ToolsOptions } from "./tools/driver.ts";
export { SoftwareKeystore } from "./software/keystore.ts";
export { defaultKeystoreDir, openTpmDevice, type OpenTpmOptions } from "./open.ts";
export { formatKeyFile, isTpmKeyFile, parseKeyFile } from "./key-file.ts";
export {
  createTpmDecryptionKey,
  loadTpmIdentity,
  tpmIdentityFromText,
  tpmKeyAgreement,
  type CreatedDecryptionKey,
  type LoadTpmIdentityOptions,
} from "./identity.ts";
export { RESETTABLE_PCRS, checkKeyPolicyPcrs, isResettablePcr, type KeyPolicyAllowances } from "./pcr-policy.ts";
export { constructed, integer, oid, tlv, TAG } from "./der.ts";
export { codeForRc, decodeRc, rcFromStderr, type DecodedRc } from "./tools/rc.ts";
