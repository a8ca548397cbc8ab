/**
 * Promise 5: no raw data persisted. Inference inputs live in memory only and review copies are age files, so no
 * image, tensor or plaintext model may lie in the agent's directories or in the temporary folders.
 */
import { scanFor } from "../host/scan.ts";
import type { AuditContext, Verdict } from "./check.ts";
import { FILESYSTEM, scanDirs } from "./dirs.ts";

/** No raw input or plaintext model on disk. */
export async function auditRawData(ctx: AuditContext): Promise<Verdict> {
  const dirs = await scanDirs(ctx, true);
  const found = await scanFor(FILESYSTEM, dirs, new Set(["image", "tensor", "model"]));
  const evidence = [`scanned ${dirs.join(", ") || "no directory"}: ${found.length} raw input or model file(s)`];
  for (const f of found.slice(0, 20)) evidence.push(`  ${f.kind}: ${f.path}`);
  if (found.length > 20) evidence.push(`  … and ${found.length - 20} more`);
  return { status: found.length === 0 ? "pass" : "fail", evidence };
}
