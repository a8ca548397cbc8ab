import { EXIT, type ErrorSpec } from "../spec.ts";

/**
 * Error codes of the TCG PC Client firmware event log (TCG PC Client Platform Firmware Profile, PFP, §10): its
 * parser, its replay to PCR values, and the secure-boot policy read from it (ARCHITECTURE.md promise 2).
 */
export const EVENTLOG_ERRORS = {
  EW_ERR_EVENTLOG_PARSE: {
    message: "The TCG firmware event log is malformed (a bad header, size, PCR index or algorithm); it cannot be used",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_EVENTLOG_TRUNCATED: {
    message: "The TCG firmware event log ends inside an event; send the whole binary_bios_measurements file",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_EVENTLOG_UNSUPPORTED: {
    message:
      "The event log is not in the crypto-agile format (no Spec ID Event03 header); only TPM 2.0 logs are accepted",
    exit: EXIT.format,
    http: 400,
  },
  EW_ERR_EVENTLOG_DIGEST: {
    message: "An event's data does not hash to the digest it was measured with; the event log was edited",
    exit: EXIT.signature,
    http: 422,
  },
  EW_ERR_EVENTLOG_REPLAY_MISMATCH: {
    message: "Replaying the event log does not give the quoted PCR values; the log is not the one that was measured",
    exit: EXIT.policy,
    http: 422,
  },
  EW_ERR_EVENTLOG_BANK_MISSING: {
    message: "The PCR bank the policy needs is missing from the event log or from the quoted PCR values",
    exit: EXIT.policy,
    http: 422,
  },
  EW_ERR_EVENTLOG_MISSING: {
    message:
      "The group's policy needs the firmware event log with each quote and none was sent; send the binary_bios_measurements file",
    exit: EXIT.policy,
    http: 422,
  },
  EW_ERR_SECURE_BOOT_OFF: {
    message: "The event log does not show UEFI Secure Boot enabled; enable it in the firmware setup and enrol keys",
    exit: EXIT.policy,
    http: 422,
  },
} as const satisfies Record<string, ErrorSpec>;
