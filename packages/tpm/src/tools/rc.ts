/**
 * TPM response codes (TPM 2.0 Part 2 §6.6 TPM_RC) mapped to Edgeward error codes. tpm2-tools prints the code it got
 * ("Esys Finish ErrorCode (0x0000099d)"); the driver decodes it here so every TPM failure becomes a typed error.
 */
import type { ErrorCode } from "@edgeward/core";

/** A decoded response code: its base value with the handle/session/parameter number stripped. */
export interface DecodedRc {
  readonly rc: number;
  /** TPM_RC base: format-one codes as 0x080 | E, format-zero codes as rc & 0xf7f. */
  readonly base: number;
  /** 0 for the TPM itself; otherwise the TSS layer (0x0a TCTI, 0x07 ESAPI, …). */
  readonly layer: number;
}

/** Part 2 §6.6.3 base codes the driver treats specially. */
export const RC = {
  VALUE: 0x084,
  HANDLE: 0x08b,
  AUTH_FAIL: 0x08e,
  SIZE: 0x095,
  POLICY_FAIL: 0x09d,
  INTEGRITY: 0x09f,
  BAD_AUTH: 0x0a2,
  EXPIRED: 0x0a3,
  POLICY_CC: 0x0a4,
  ECC_POINT: 0x0a7,
  FAILURE: 0x101,
  POLICY: 0x126,
  PCR_CHANGED: 0x128,
  AUTH_UNAVAILABLE: 0x12f,
  NV_UNINITIALIZED: 0x14a,
  NV_DEFINED: 0x14c,
  CONTEXT_GAP: 0x901,
  OBJECT_MEMORY: 0x902,
  SESSION_MEMORY: 0x903,
  MEMORY: 0x904,
  SESSION_HANDLES: 0x905,
  OBJECT_HANDLES: 0x906,
  YIELDED: 0x908,
  CANCELED: 0x909,
  TESTING: 0x90a,
  NV_RATE: 0x920,
  LOCKOUT: 0x921,
  RETRY: 0x922,
  NV_UNAVAILABLE: 0x923,
} as const;

/** Splits a 32-bit TSS2_RC into layer and TPM base code (Part 2 §6.6.2, Figure 26/27). */
export function decodeRc(rc: number): DecodedRc {
  const layer = (rc >>> 16) & 0xff;
  const low = rc & 0xffff;
  // Format one (bit 7 set): error number in bits 0-5; bits 6-11 say which handle, session or parameter.
  const base = low & 0x80 ? 0x080 | (low & 0x3f) : low & 0xf7f;
  return { rc, base, layer };
}

const BUSY = new Set<number>([RC.YIELDED, RC.CANCELED, RC.TESTING, RC.NV_RATE, RC.RETRY, RC.NV_UNAVAILABLE]);
const MEMORY = new Set<number>([
  RC.CONTEXT_GAP,
  RC.OBJECT_MEMORY,
  RC.SESSION_MEMORY,
  RC.MEMORY,
  RC.SESSION_HANDLES,
  RC.OBJECT_HANDLES,
]);
const POLICY = new Set<number>([RC.POLICY_FAIL, RC.POLICY, RC.PCR_CHANGED, RC.POLICY_CC, RC.EXPIRED]);

/**
 * The Edgeward code for a TPM response code. `overrides` lets an operation say what a base code means for it
 * (TPM_RC_INTEGRITY on TPM2_Load is a key from another TPM; on TPM2_ActivateCredential, a credential for one).
 */
export function codeForRc(decoded: DecodedRc, overrides: Readonly<Record<number, ErrorCode>> = {}): ErrorCode {
  if (decoded.layer === 0x0a) return (decoded.rc & 0xffff) === 9 ? "EW_ERR_TPM_BUSY" : "EW_ERR_TPM_UNAVAILABLE";
  if (decoded.layer !== 0) return "EW_ERR_TPM_COMMAND";
  const o = overrides[decoded.base];
  if (o !== undefined) return o;
  if (POLICY.has(decoded.base)) return "EW_ERR_TPM_POLICY";
  if (MEMORY.has(decoded.base)) return "EW_ERR_TPM_OBJECT_MEMORY";
  if (BUSY.has(decoded.base)) return "EW_ERR_TPM_BUSY";
  if (decoded.base === RC.LOCKOUT) return "EW_ERR_TPM_LOCKOUT";
  if (decoded.base === RC.AUTH_FAIL || decoded.base === RC.BAD_AUTH || decoded.base === RC.AUTH_UNAVAILABLE)
    return "EW_ERR_TPM_AUTH";
  return "EW_ERR_TPM_COMMAND";
}

/** The response code a tpm2-tools run printed on stderr, or undefined. */
export function rcFromStderr(stderr: string): number | undefined {
  const m =
    /ErrorCode \(0x([0-9a-fA-F]{1,8})\)/.exec(stderr) ??
    /Esys_\w+\(0x([0-9a-fA-F]{1,8})\)/.exec(stderr) ??
    /Tss2_Sys_\w+\(0x([0-9a-fA-F]{1,8})\)/.exec(stderr);
  return m?.[1] === undefined ? undefined : Number.parseInt(m[1], 16);
}
