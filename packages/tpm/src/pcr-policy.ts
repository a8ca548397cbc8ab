import { EdgewardError, formatPcrSelection, type PcrSelection } from "@edgeward/core";

/**
 * PCRs that software can reset without a reboot (TCG PC Client Platform TPM Profile, "PCR Attributes"): 16 (debug)
 * and 23 (application) from any locality, 20-22 from locality 2 (the dynamic root of trust). A key bound to one of
 * them can be freed again after a tamper extend by TPM2_PCR_Reset, so its policy can be undone.
 */
export const RESETTABLE_PCRS: readonly number[] = [16, 20, 21, 22, 23];

/** Exceptions to {@link checkKeyPolicyPcrs}, each to be asked for explicitly. */
export interface KeyPolicyAllowances {
  /** Allow PCRs in {@link RESETTABLE_PCRS}. */
  readonly resettablePcrs?: boolean;
  /** Allow the SHA-1 bank. */
  readonly sha1?: boolean;
}

/**
 * Refuses a key policy that could be undone: a PCR software can reset (EW_ERR_TPM_PCR_RESETTABLE) or the SHA-1
 * bank, where a chosen-prefix collision could reproduce a policy value (EW_ERR_TPM_PCR_SHA1), unless allowed.
 */
export function checkKeyPolicyPcrs(pcrs: PcrSelection, allow: KeyPolicyAllowances = {}): void {
  if (allow.sha1 !== true && pcrs.some((b) => b.bank === "sha1" && b.pcrs.length > 0))
    throw new EdgewardError("EW_ERR_TPM_PCR_SHA1", { detail: formatPcrSelection(pcrs) });
  if (allow.resettablePcrs === true) return;
  const resettable = pcrs.flatMap((b) => b.pcrs.filter((p) => RESETTABLE_PCRS.includes(p)));
  if (resettable.length > 0)
    throw new EdgewardError("EW_ERR_TPM_PCR_RESETTABLE", {
      detail: `PCR ${[...new Set(resettable)].join(", ")} in ${formatPcrSelection(pcrs)}`,
    });
}

/** True when `pcr` can be reset by software (see {@link RESETTABLE_PCRS}). */
export function isResettablePcr(pcr: number): boolean {
  return RESETTABLE_PCRS.includes(pcr);
}
