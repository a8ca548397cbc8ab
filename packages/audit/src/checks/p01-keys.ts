/**
 * Promise 1: models encrypted at rest, keys sealed in the TPM. The unwrap key must be TPM-resident (not the
 * software keystore, which ARCHITECTURE.md says fails this promise) and bound to PCRs, a TPM must be present, and
 * no age identity, private key or model may lie in the clear in the agent's directories.
 */
import { scanFor } from "../host/scan.ts";
import { describeScan } from "./describe-scan.ts";
import type { AuditContext, Verdict } from "./check.ts";
import { FILESYSTEM, scanDirs } from "./dirs.ts";

/** Unwrap key TPM-resident and PCR-bound; no key or model in the clear. */
export async function auditKeys(ctx: AuditContext): Promise<Verdict> {
  const evidence: string[] = [];
  const problems: string[] = [];
  const tpm = (await ctx.host.exists("/dev/tpmrm0")) || (await ctx.host.exists("/sys/class/tpm/tpm0"));
  evidence.push(`TPM device: ${tpm ? "present (/dev/tpmrm0 or /sys/class/tpm/tpm0)" : "none"}`);
  if (!tpm) problems.push("no TPM");
  const unwrap = ctx.state?.keys?.unwrap;
  if (unwrap === undefined) {
    evidence.push("unwrap key: none recorded in state.json (keys.unwrap)");
    problems.push("no unwrap key");
  } else {
    evidence.push(`unwrap key: ${unwrap.kind}${unwrap.pcrs ? `, PCR policy ${unwrap.pcrs}` : ", no PCR policy"}`);
    if (unwrap.kind !== "tpm") problems.push("software keystore (keys can be copied with the disk)");
    if (!unwrap.pcrs) problems.push("key not bound to PCRs");
  }
  const dirs = await scanDirs(ctx);
  const scan = await scanFor(FILESYSTEM, dirs, new Set(["age-identity", "private-key", "model"]));
  evidence.push(...describeScan(dirs, scan, "key or model file(s) in the clear"));
  if (scan.findings.length > 0) problems.push("keys or models in the clear");
  if (problems.length > 0) return { status: "fail", evidence: [`problem: ${problems.join("; ")}`, ...evidence] };
  return { status: scan.truncated ? "warn" : "pass", evidence };
}
