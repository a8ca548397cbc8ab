/**
 * Promise 5: no raw data persisted. Inference inputs live in memory only and review copies are age files, so no
 * image, tensor or plaintext model may lie in the agent's directories or in the temporary folders.
 */
import { scanFor } from "../host/scan.ts";
import { describeScan } from "./describe-scan.ts";
import type { AuditContext, Verdict } from "./check.ts";
import { FILESYSTEM, scanDirs } from "./dirs.ts";

/** No raw input or plaintext model on disk. */
export async function auditRawData(ctx: AuditContext): Promise<Verdict> {
  const dirs = await scanDirs(ctx, true);
  const scan = await scanFor(FILESYSTEM, dirs, new Set(["image", "tensor", "model"]));
  const evidence = describeScan(dirs, scan, "raw input or model file(s)");
  if (scan.findings.length > 0) return { status: "fail", evidence };
  return { status: scan.truncated ? "warn" : "pass", evidence };
}
