import { fileURLToPath } from "node:url";

/**
 * Recorded TPM evidence (swtpm 0.7.1 / libtpms, tpm2-tools 5.4): quotes, certifications, EK certificates and the
 * keys that made them, one directory per case, each file exactly as tpm2-tools wrote it and meta.json with what
 * a verifier should expect (TPM 2.0 Library Part 2 "Structures" for the formats). Written by
 * packages/tpm/test/record-fixtures.ts; read by the core verifier's tests and bench/tpm-quote-verify.ts, so those
 * run where swtpm is absent. Ends with a slash.
 */
export const TPM_EVIDENCE_FIXTURES = fileURLToPath(new URL("../fixtures/tpm-evidence/", import.meta.url));
