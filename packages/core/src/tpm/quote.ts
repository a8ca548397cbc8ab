/**
 * Quote verification, in process (TPM 2.0 Part 3 §18.4 TPM2_Quote; Part 2 §10.12.12 TPMS_ATTEST). One code per
 * check, in this order: the signer's name (when enrolled), the AK signature over the exact message bytes, the
 * TPM_GENERATED magic and quote type, the nonce (extraData), the PCR digest recomputed from the supplied values, and
 * finally the verifier's expected PCR values.
 */
import type { KeyObject } from "node:crypto";
import { EdgewardError } from "../errors/index.ts";
import { TPM_GENERATED_VALUE, TPM_ST } from "./constants.ts";
import { bytesEqual } from "./marshal.ts";
import { parseAttest, type TpmAttest, type TpmClockInfo, type TpmQuoteInfo } from "./attest.ts";
import { pcrDigest, selectPcrs, type PcrValues } from "./pcr-values.ts";
import type { PcrSelection } from "./pcr-selection.ts";
import { parseSignature, verifyTpmSignature, type TpmSignature } from "./signature.ts";

/** What a verifier holds when it checks a quote. */
export interface VerifyQuoteInput {
  /** The TPMS_ATTEST bytes exactly as signed (`tpm2_quote -m`). */
  readonly message: Uint8Array;
  /** The TPMT_SIGNATURE bytes (`tpm2_quote -s`), or an already parsed signature. */
  readonly signature: Uint8Array | TpmSignature;
  /** The attestation key's public key (cache the KeyObject: creating it costs more than the check). */
  readonly akPublicKey: KeyObject;
  /** The nonce this verifier issued; it must equal extraData byte for byte. */
  readonly nonce: Uint8Array;
  /** The PCR values the device sent with the quote (`tpm2_quote -o`). */
  readonly pcrValues: PcrValues;
  /** The AK's qualified name recorded at enrolment; when given, qualifiedSigner must equal it. */
  readonly expectedSigner?: Uint8Array;
  /** Reference values: every PCR listed here must be quoted and equal. */
  readonly expectedPcrs?: PcrValues;
}

/** A quote that passed every check. */
export interface VerifiedQuote {
  readonly attest: TpmAttest;
  readonly selection: PcrSelection;
  /** The quoted PCR values only (the supplied values restricted to the selection). */
  readonly pcrValues: PcrValues;
  /** Clock, reset and restart counters, for {@link checkClockMonotonic}. */
  readonly clockInfo: TpmClockInfo;
  readonly firmwareVersion: bigint;
  readonly qualifiedSigner: Uint8Array;
}

/** Verifies a quote; throws an EdgewardError whose code names the check that failed. */
export function verifyQuote(input: VerifyQuoteInput): VerifiedQuote {
  const sig = input.signature instanceof Uint8Array ? parseSignature(input.signature) : input.signature;
  const attest = parseAttest(input.message);
  if (input.expectedSigner !== undefined && !bytesEqual(attest.qualifiedSigner, input.expectedSigner))
    throw new EdgewardError("EW_ERR_QUOTE_SIGNER");
  if (!verifyTpmSignature(sig, input.message, input.akPublicKey)) throw new EdgewardError("EW_ERR_QUOTE_SIGNATURE");
  // A restricted signing key refuses to sign data that begins with TPM_GENERATED_VALUE unless the TPM built it
  // (Part 1 §11.4.6.2): the magic is what makes a valid AK signature mean "the TPM said this".
  if (attest.magic !== TPM_GENERATED_VALUE) throw new EdgewardError("EW_ERR_TPM_NOT_GENERATED");
  if (attest.attested.type !== TPM_ST.ATTEST_QUOTE)
    throw new EdgewardError("EW_ERR_TPM_ATTEST_TYPE", { detail: "expected a quote" });
  if (!bytesEqual(attest.extraData, input.nonce)) throw new EdgewardError("EW_ERR_QUOTE_NONCE");
  const info: TpmQuoteInfo = attest.attested;
  // The PCR digest uses the signing scheme's hash (Part 3 §18.4.1).
  const digest = pcrDigest(input.pcrValues, info.pcrSelect, sig.hash.name);
  if (!bytesEqual(digest, info.pcrDigest)) throw new EdgewardError("EW_ERR_QUOTE_PCR_DIGEST");
  const quoted = selectPcrs(input.pcrValues, info.pcrSelect);
  if (input.expectedPcrs !== undefined) checkExpectedPcrs(quoted, input.expectedPcrs);
  return {
    attest,
    selection: info.pcrSelect,
    pcrValues: quoted,
    clockInfo: attest.clockInfo,
    firmwareVersion: attest.firmwareVersion,
    qualifiedSigner: attest.qualifiedSigner,
  };
}

/** Throws EW_ERR_QUOTE_PCR_POLICY unless every expected PCR was quoted with exactly that value. */
export function checkExpectedPcrs(quoted: PcrValues, expected: PcrValues): void {
  for (const [bank, entries] of Object.entries(expected) as [keyof PcrValues, Record<number, Uint8Array>][]) {
    for (const [index, want] of Object.entries(entries)) {
      const got = quoted[bank]?.[Number(index)];
      if (got === undefined)
        throw new EdgewardError("EW_ERR_QUOTE_PCR_POLICY", { detail: `${bank}:${index} was not quoted` });
      if (!bytesEqual(got, want)) throw new EdgewardError("EW_ERR_QUOTE_PCR_POLICY", { detail: `${bank}:${index}` });
    }
  }
}

/**
 * Throws EW_ERR_QUOTE_CLOCK when `next` is not later than `previous` from the same TPM (Part 1 §36.3, "Clock"):
 * the reset and restart counters never decrease, and the clock never goes back unless the TPM was reset after an
 * unorderly shutdown and says so (safe = NO).
 */
export function checkClockMonotonic(previous: TpmClockInfo, next: TpmClockInfo): void {
  const fail = (why: string): never => {
    throw new EdgewardError("EW_ERR_QUOTE_CLOCK", { detail: why });
  };
  if (next.resetCount < previous.resetCount) fail("resetCount decreased");
  const sameReset = next.resetCount === previous.resetCount;
  if (sameReset && next.restartCount < previous.restartCount) fail("restartCount decreased");
  const countersAdvanced = !sameReset || next.restartCount > previous.restartCount;
  if (next.clock < previous.clock && !(countersAdvanced && !next.safe)) fail("clock went backwards");
}
