/**
 * Promise 2: Secure Boot enabled, as the firmware reports it (the EFI SecureBoot variable, UEFI 2.10 §3.3) and as
 * the TCG event log proves it (the PCR 7 EV_EFI_VARIABLE_DRIVER_CONFIG events, PC Client PFP §3.3.4.8), which is
 * what the hub's attestation policy checks against the quoted PCR 7.
 */
import { EFI_GLOBAL_VARIABLE, isEdgewardError, parseEventLog, secureBootState } from "@edgeward/core";
import type { AuditContext, Verdict } from "./check.ts";

/** The efivarfs file of the SecureBoot variable: 4 bytes of attributes, then the value (1 = enforcing). */
export const SECURE_BOOT_VAR = `/sys/firmware/efi/efivars/SecureBoot-${EFI_GLOBAL_VARIABLE}`;
/** Where Linux exposes the firmware event log. */
export const EVENT_LOG = "/sys/kernel/security/tpm0/binary_bios_measurements";

/** Secure Boot enabled (EFI variable and TCG event log). */
export async function auditSecureBoot(ctx: AuditContext): Promise<Verdict> {
  if (!(await ctx.host.exists("/sys/firmware/efi")))
    return {
      status: "fail",
      evidence: ["/sys/firmware/efi: absent (the machine booted without UEFI, so without Secure Boot)"],
      fix: "Boot the device in UEFI mode with Secure Boot enabled",
    };
  const evidence: string[] = [];
  const variable = await ctx.host.bytes(SECURE_BOOT_VAR);
  const efi = variable === undefined || variable.length < 5 ? null : variable[4] === 1;
  evidence.push(
    `EFI variable ${SECURE_BOOT_VAR}: ${efi === null ? "unreadable" : efi ? "1 (enabled)" : "0 (disabled)"}`,
  );
  const log = await eventLogState(ctx);
  evidence.push(`event log ${EVENT_LOG}: ${log.text}`);
  if (efi === false || log.enabled === false) return { status: "fail", evidence };
  if (efi === true && log.enabled === true) return { status: "pass", evidence };
  // Enabled by one source while the other cannot be read: true locally, but not provable to the hub.
  return {
    status: efi === true || log.enabled === true ? "warn" : "fail",
    evidence,
    fix: "Make the TPM event log readable (securityfs mounted, TPM driver loaded) so the hub can verify Secure Boot",
  };
}

async function eventLogState(ctx: AuditContext): Promise<{ enabled: boolean | null; text: string }> {
  const bytes = await ctx.host.bytes(EVENT_LOG);
  if (bytes === undefined) return { enabled: null, text: "unreadable" };
  try {
    const state = secureBootState(parseEventLog(bytes));
    const dbs = Object.entries(state.databases).map(
      ([name, db]) =>
        `${name} ${
          Object.entries(db.entries)
            .map(([k, n]) => `${n} ${k}`)
            .join("+") || "empty"
        }`,
    );
    const sb = state.enabled === null ? "SecureBoot not measured" : `SecureBoot ${state.enabled ? "1" : "0"}`;
    return { enabled: state.enabled, text: dbs.length === 0 ? sb : `${sb}; ${dbs.join(", ")}` };
  } catch (err) {
    return { enabled: false, text: `rejected (${isEdgewardError(err) ? err.code : "error"})` };
  }
}
