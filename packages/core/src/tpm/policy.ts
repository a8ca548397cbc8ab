/**
 * Policy digests (TPM 2.0 Part 1 §19.7 "Policy"; Part 3 §23.7 TPM2_PolicyPCR), computed without a TPM so a
 * verifier can tell which PCR values a certified key is bound to, and a device can create a key for values it
 * expects rather than the ones it has now.
 */
import { createHash } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { hashByName, TPM_CC } from "./constants.ts";
import { TpmWriter } from "./marshal.ts";
import { writePcrSelection, type PcrSelection } from "./pcr-selection.ts";
import { pcrDigest, type PcrValues } from "./pcr-values.ts";

/**
 * policyDigest' = H(policyDigest ‖ TPM_CC_PolicyPCR ‖ TPML_PCR_SELECTION ‖ H(selected PCR values))
 * (Part 3 §23.7.1). `previous` defaults to the all-zero digest a new session starts with.
 */
export function policyPcrDigest(
  selection: PcrSelection,
  values: PcrValues,
  nameAlg = "sha256",
  previous?: Uint8Array,
): Uint8Array {
  return policyPcrFromDigest(selection, pcrDigest(values, selection, nameAlg), nameAlg, previous);
}

/** The same, from H(selected PCR values) rather than the values (a key file stores only that digest). */
export function policyPcrFromDigest(
  selection: PcrSelection,
  pcrsDigest: Uint8Array,
  nameAlg = "sha256",
  previous?: Uint8Array,
): Uint8Array {
  const hash = hashByName(nameAlg);
  if (hash === undefined) throw new EdgewardError("EW_ERR_TPM_UNSUPPORTED_ALG", { detail: nameAlg });
  const start = previous ?? new Uint8Array(hash.size);
  const body = writePcrSelection(new TpmWriter().u32(TPM_CC.PolicyPCR), selection).bytes(pcrsDigest).finish();
  return createHash(hash.name).update(start).update(body).digest();
}

/**
 * The parameters of a TPM2_PolicyPCR command as draft-bottomley-tpm2-keys §"TPMPolicy" stores them:
 * TPM2B_DIGEST pcrDigest ‖ TPML_PCR_SELECTION pcrs.
 */
export function policyPcrCommandParameters(selection: PcrSelection, values: PcrValues, nameAlg = "sha256"): Uint8Array {
  const pcrs = pcrDigest(values, selection, nameAlg);
  return writePcrSelection(new TpmWriter().tpm2b(pcrs), selection).finish();
}
