// TPM 2.0 structures and verification, pure (TPM 2.0 Library Part 2 "Structures"; ARCHITECTURE.md "attestation
// evidence", "device enrolment").
export {
  hashByAlg,
  hashByName,
  PCR_COUNT,
  TPM_ALG,
  TPM_CC,
  TPM_ECC,
  TPM_GENERATED_VALUE,
  TPM_RH,
  TPM_ST,
  TPMA_OBJECT,
  type PcrBank,
  type TpmHash,
  type TpmObjectAttribute,
} from "./constants.ts";
export { bytesEqual, TpmReader, TpmWriter } from "./marshal.ts";
export {
  countSelected,
  formatPcrSelection,
  marshalPcrSelection,
  parsePcrSelection,
  parsePcrSelectionText,
  readPcrSelection,
  writePcrSelection,
  type PcrBankSelection,
  type PcrSelection,
} from "./pcr-selection.ts";
export { concatSelectedPcrs, parsePcrValuesFile, pcrDigest, selectPcrs, type PcrValues } from "./pcr-values.ts";
export {
  attributeNames,
  curveInfo,
  eccPointSec1,
  hasAttributes,
  marshalTpm2bPublic,
  objectName,
  parsePublic,
  parseTpm2bPublic,
  publicKeyOf,
  qualifiedName,
  readPublic,
  type TpmPublic,
  type TpmSymDef,
} from "./public.ts";
export { parseSignature, readSignature, verifyTpmSignature, type TpmSignature } from "./signature.ts";
export { parseAttest, type TpmAttest, type TpmCertifyInfo, type TpmClockInfo, type TpmQuoteInfo } from "./attest.ts";
export {
  checkClockMonotonic,
  checkExpectedPcrs,
  verifyQuote,
  type VerifiedQuote,
  type VerifyQuoteInput,
} from "./quote.ts";
export {
  DECRYPTION_KEY_FORBIDDEN,
  DECRYPTION_KEY_REQUIRED,
  verifyCertify,
  type VerifiedCertify,
  type VerifyCertifyInput,
} from "./certify.ts";
export { policyPcrCommandParameters, policyPcrDigest, policyPcrFromDigest } from "./policy.ts";
export { kdfa, kdfe } from "./kdf.ts";
export { makeCredential, type Credential } from "./credential.ts";
export {
  parseEkCertificate,
  trimDer,
  verifyEkCertificate,
  type VerifiedEkCertificate,
  type VerifyEkCertificateInput,
} from "./ek-cert.ts";
