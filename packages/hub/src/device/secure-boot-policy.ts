// A group's `secureBoot: required` applied to a verified quote (ARCHITECTURE.md promise 2): the device sends its TCG
// firmware event log with the quote, and the core's checkSecureBoot replays it (TCG PC Client PFP §10) and compares
// the replayed sha256 PCR 7 with the quoted one before trusting what the log says about the SecureBoot variable
// (PFP §3.3.4.8). Each failure is one reason with the code the core gave it.
import { checkSecureBoot, EdgewardError, isEdgewardError, type PcrValues } from "@edgeward/core";
import type { GroupPolicy } from "./types.ts";

/** One reason for a fail, as the wire carries it. */
export interface Reason {
  readonly code: string;
  readonly message: string;
}

/**
 * The reasons `group`'s secure-boot policy refuses a quote whose verified PCR values are `quotedPcrs`, given the
 * event log the device sent (undefined when it sent none). Empty when the policy passes or does not ask.
 * Codes: EW_ERR_EVENTLOG_MISSING, EW_ERR_SECURE_BOOT_OFF, EW_ERR_EVENTLOG_REPLAY_MISMATCH, EW_ERR_EVENTLOG_DIGEST,
 * EW_ERR_EVENTLOG_BANK_MISSING, and the parser's (EW_ERR_EVENTLOG_PARSE, _TRUNCATED, _UNSUPPORTED).
 */
export function secureBootReasons(
  group: GroupPolicy,
  quotedPcrs: PcrValues,
  eventLog: Uint8Array | undefined,
): Reason[] {
  if (group.secureBoot !== "required") return [];
  if (eventLog === undefined) {
    const err = new EdgewardError("EW_ERR_EVENTLOG_MISSING");
    return [{ code: err.code, message: err.message }];
  }
  try {
    checkSecureBoot({ eventLog, quotedPcrs, bank: "sha256" });
    return [];
  } catch (err) {
    // The log is untrusted input: its every typed refusal is a reason; anything else is a bug and propagates.
    if (!isEdgewardError(err)) throw err;
    return [{ code: err.code, message: err.message }];
  }
}
