// The group's attestation policy applied to a verified quote (ARCHITECTURE.md flow 3): every PCR the group wants
// quoted, each quoted value in the group's allowed set, the TPM clock never going back (Part 1 §36.3), and the
// firmware version at or above the group's minimum. Every reason is collected, not only the first.
import {
  checkClockMonotonic,
  EdgewardError,
  ERRORS,
  isEdgewardError,
  parsePcrSelectionText,
  type ErrorCode,
  type VerifiedQuote,
} from "@edgeward/core";
import { hex } from "./context.ts";
import { secureBootReasons, type Reason } from "./secure-boot-policy.ts";
import type { GroupPolicy, StoredClock } from "./types.ts";

export type { Reason } from "./secure-boot-policy.ts";

/** The outcome of {@link evaluateQuote}. */
export interface PolicyOutcome {
  readonly reasons: Reason[];
  /** PCR values learned for the group (learn mode), bank → index → hex. */
  readonly learned: Record<string, Record<string, string>>;
}

/**
 * Applies `group` to a quote that already passed signature, nonce and digest checks; `eventLog` is the firmware
 * event log the device sent with it (checked only under `secureBoot: required`).
 */
export function evaluateQuote(
  group: GroupPolicy,
  quote: VerifiedQuote,
  previous: StoredClock | undefined,
  eventLog?: Uint8Array,
): PolicyOutcome {
  const reasons: Reason[] = [];
  const learned: Record<string, Record<string, string>> = {};
  for (const { bank, pcrs } of parsePcrSelectionText(group.attestPcrs)) {
    for (const index of pcrs) {
      const value = quote.pcrValues[bank]?.[index];
      if (value === undefined) {
        reasons.push(reason("EW_ERR_ATTEST_PCR_MISSING", `${bank}:${index}`));
        continue;
      }
      const allowed = group.reference[bank]?.[String(index)];
      if (allowed === undefined || allowed.length === 0) {
        // Learn mode (labelled weaker): the first passing device's value becomes the reference.
        if (group.learn) (learned[bank] ??= {})[String(index)] = hex(value);
        continue;
      }
      if (!allowed.includes(hex(value))) reasons.push(reason("EW_ERR_ATTEST_PCR_VALUE", `${bank}:${index}`));
    }
  }
  if (previous !== undefined) {
    try {
      checkClockMonotonic(
        {
          clock: BigInt(previous.clock),
          resetCount: previous.resetCount,
          restartCount: previous.restartCount,
          safe: previous.safe,
        },
        quote.clockInfo,
      );
    } catch (err) {
      if (!isEdgewardError(err)) throw err;
      reasons.push({ code: err.code, message: err.message });
    }
  }
  if (group.minFirmware !== undefined && quote.firmwareVersion < BigInt(group.minFirmware))
    reasons.push(reason("EW_ERR_ATTEST_FIRMWARE", `${quote.firmwareVersion} < ${group.minFirmware}`));
  reasons.push(...secureBootReasons(group, quote.pcrValues, eventLog));
  return { reasons, learned };
}

/** The clock facts to keep from a quote. */
export function storedClock(quote: VerifiedQuote): StoredClock {
  const c = quote.clockInfo;
  return { clock: c.clock.toString(), resetCount: c.resetCount, restartCount: c.restartCount, safe: c.safe };
}

function reason(code: ErrorCode, detail: string): Reason {
  return { code, message: new EdgewardError(code, { detail }).message || ERRORS[code].message };
}
