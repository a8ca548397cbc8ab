/**
 * Certify verification (TPM 2.0 Part 3 §18.2 TPM2_Certify): evidence, signed by an attestation key, that an object
 * with a given name is loaded in the same TPM. With the object's public area a verifier then knows the key cannot
 * leave the TPM (fixedTPM, fixedParent, sensitiveDataOrigin) and can be used only through its policy (userWithAuth
 * clear, authPolicy equal to the PCR policy it expects).
 */
import type { KeyObject } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { TPM_GENERATED_VALUE, TPM_ST, type TpmObjectAttribute } from "./constants.ts";
import { bytesEqual } from "./marshal.ts";
import { parseAttest, type TpmAttest } from "./attest.ts";
import { attributeNames, objectName, parseTpm2bPublic, publicKeyOf, type TpmPublic } from "./public.ts";
import { parseSignature, verifyTpmSignature, type TpmSignature } from "./signature.ts";

/** The attributes a TPM-resident decryption key must have, by default. */
export const DECRYPTION_KEY_REQUIRED: readonly TpmObjectAttribute[] = [
  "fixedTPM",
  "fixedParent",
  "sensitiveDataOrigin",
  "decrypt",
];

/**
 * The attributes it must not have: userWithAuth (would allow use with a password instead of the policy), sign and
 * restricted (it is an unrestricted decryption key, nothing else).
 */
export const DECRYPTION_KEY_FORBIDDEN: readonly TpmObjectAttribute[] = ["userWithAuth", "sign", "restricted"];

/** What a verifier holds when it checks certify evidence. */
export interface VerifyCertifyInput {
  /** TPMS_ATTEST bytes (`tpm2_certify -o`). */
  readonly attest: Uint8Array;
  /** TPMT_SIGNATURE bytes (`tpm2_certify -s`) or a parsed signature. */
  readonly signature: Uint8Array | TpmSignature;
  readonly akPublicKey: KeyObject;
  /** The certified key's public area: a parsed TPMT_PUBLIC or TPM2B_PUBLIC bytes. */
  readonly certifiedPublic: TpmPublic | Uint8Array;
  /** The policy digest the key must carry (for a PCR-bound key, {@link policyPcrDigest}). */
  readonly expectedPolicy?: Uint8Array;
  /** The qualifying data the evidence must carry (tpm2-tools 5.4 always sends 00 ff 55 aa). */
  readonly expectedExtraData?: Uint8Array;
  /** The AK's qualified name recorded at enrolment. */
  readonly expectedSigner?: Uint8Array;
  readonly requiredAttributes?: readonly TpmObjectAttribute[];
  readonly forbiddenAttributes?: readonly TpmObjectAttribute[];
}

/** Certify evidence that passed every check. */
export interface VerifiedCertify {
  readonly attest: TpmAttest;
  readonly certified: TpmPublic;
  readonly name: Uint8Array;
  /** The certified key as a KeyObject (for an age1tag1 recipient, its SEC1 point). */
  readonly publicKey: KeyObject;
}

/** Verifies certify evidence; throws an EdgewardError whose code names the failed check. */
export function verifyCertify(input: VerifyCertifyInput): VerifiedCertify {
  const sig = input.signature instanceof Uint8Array ? parseSignature(input.signature) : input.signature;
  const attest = parseAttest(input.attest);
  const certified =
    input.certifiedPublic instanceof Uint8Array ? parseTpm2bPublic(input.certifiedPublic) : input.certifiedPublic;
  if (input.expectedSigner !== undefined && !bytesEqual(attest.qualifiedSigner, input.expectedSigner))
    throw new EdgewardError("EW_ERR_QUOTE_SIGNER");
  if (!verifyTpmSignature(sig, input.attest, input.akPublicKey))
    throw new EdgewardError("EW_ERR_TPM_CERTIFY_SIGNATURE");
  if (attest.magic !== TPM_GENERATED_VALUE) throw new EdgewardError("EW_ERR_TPM_NOT_GENERATED");
  if (attest.attested.type !== TPM_ST.ATTEST_CERTIFY)
    throw new EdgewardError("EW_ERR_TPM_ATTEST_TYPE", { detail: "expected certify evidence" });
  if (input.expectedExtraData !== undefined && !bytesEqual(attest.extraData, input.expectedExtraData))
    throw new EdgewardError("EW_ERR_TPM_CERTIFY_NONCE");
  const name = objectName(certified);
  if (!bytesEqual(attest.attested.name, name)) throw new EdgewardError("EW_ERR_TPM_CERTIFY_NAME");
  for (const a of input.requiredAttributes ?? DECRYPTION_KEY_REQUIRED)
    if (!attributeNames(certified.attributes).includes(a))
      throw new EdgewardError("EW_ERR_TPM_CERTIFY_ATTRIBUTES", { detail: `${a} is not set` });
  for (const a of input.forbiddenAttributes ?? DECRYPTION_KEY_FORBIDDEN)
    if (attributeNames(certified.attributes).includes(a))
      throw new EdgewardError("EW_ERR_TPM_CERTIFY_ATTRIBUTES", { detail: `${a} is set` });
  if (input.expectedPolicy !== undefined && !bytesEqual(certified.authPolicy, input.expectedPolicy))
    throw new EdgewardError("EW_ERR_TPM_CERTIFY_POLICY");
  return { attest, certified, name, publicKey: publicKeyOf(certified) };
}
