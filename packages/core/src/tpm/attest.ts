/**
 * TPMS_ATTEST (TPM 2.0 Part 2 §10.12.12): the structure a TPM signs for TPM2_Quote and TPM2_Certify. Parsed in full,
 * trailing bytes refused, so a verifier never acts on a structure it did not completely understand.
 */
import { EdgewardError } from "../errors/index.ts";
import { TPM_ST } from "./constants.ts";
import { TpmReader } from "./marshal.ts";
import { readPcrSelection, type PcrSelection } from "./pcr-selection.ts";

/** TPMS_CLOCK_INFO (Part 2 §10.11.1): what a verifier checks for monotonicity between quotes. */
export interface TpmClockInfo {
  /** Milliseconds the TPM has been powered, persisted periodically; never goes back on a genuine TPM. */
  readonly clock: bigint;
  /** TPM2_Startup(CLEAR) count since the last TPM2_Clear: a reboot increments it. */
  readonly resetCount: number;
  /** TPM2_Shutdown(STATE)/Startup(STATE) count since the last reset (hibernate/resume). */
  readonly restartCount: number;
  /** True when `clock` cannot have been reported before with a larger value (no unorderly shutdown). */
  readonly safe: boolean;
}

/** TPMS_QUOTE_INFO (Part 2 §10.12.4). */
export interface TpmQuoteInfo {
  readonly type: typeof TPM_ST.ATTEST_QUOTE;
  readonly pcrSelect: PcrSelection;
  readonly pcrDigest: Uint8Array;
}

/** TPMS_CERTIFY_INFO (Part 2 §10.12.3). */
export interface TpmCertifyInfo {
  readonly type: typeof TPM_ST.ATTEST_CERTIFY;
  readonly name: Uint8Array;
  readonly qualifiedName: Uint8Array;
}

/** A parsed TPMS_ATTEST of a type Edgeward uses. */
export interface TpmAttest {
  readonly magic: number;
  readonly type: number;
  readonly qualifiedSigner: Uint8Array;
  readonly extraData: Uint8Array;
  readonly clockInfo: TpmClockInfo;
  readonly firmwareVersion: bigint;
  readonly attested: TpmQuoteInfo | TpmCertifyInfo;
}

/**
 * Parses a TPMS_ATTEST (the file `tpm2_quote -m` and `tpm2_certify -o` write). Only quote and certify bodies are
 * accepted; other types are EW_ERR_TPM_ATTEST_TYPE, malformed bytes EW_ERR_TPM_PARSE. The magic value is returned,
 * not checked, so the verifier reports it with its own code.
 */
export function parseAttest(bytes: Uint8Array): TpmAttest {
  const r = new TpmReader(bytes, "TPMS_ATTEST");
  const magic = r.u32();
  const type = r.u16();
  const qualifiedSigner = r.tpm2b(66, "qualifiedSigner");
  const extraData = r.tpm2b(66, "extraData"); // TPM2B_DATA holds up to sizeof(TPMT_HA)
  const clock = r.u64();
  const resetCount = r.u32();
  const restartCount = r.u32();
  const safe = r.u8();
  if (safe > 1) r.fail(`TPMI_YES_NO ${safe}`);
  const firmwareVersion = r.u64();
  let attested: TpmQuoteInfo | TpmCertifyInfo;
  if (type === TPM_ST.ATTEST_QUOTE) {
    const pcrSelect = readPcrSelection(r);
    const pcrDigest = r.tpm2b(64, "pcrDigest");
    attested = { type, pcrSelect, pcrDigest };
  } else if (type === TPM_ST.ATTEST_CERTIFY) {
    const name = r.tpm2b(66, "name");
    const qualifiedName = r.tpm2b(66, "qualifiedName");
    attested = { type, name, qualifiedName };
  } else {
    throw new EdgewardError("EW_ERR_TPM_ATTEST_TYPE", { detail: `TPM_ST 0x${type.toString(16)}` });
  }
  r.end();
  return {
    magic,
    type,
    qualifiedSigner,
    extraData,
    clockInfo: { clock, resetCount, restartCount, safe: safe === 1 },
    firmwareVersion,
    attested,
  };
}
