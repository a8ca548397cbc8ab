/** The evidence lines of a file scan (promises 1 and 5): what was scanned, what was found, whether it was cut short. */
import type { ScanResult } from "../host/scan.ts";

/** Evidence for `scan` of `dirs`; `what` names the findings ("raw input or model file(s)"). */
export function describeScan(dirs: readonly string[], scan: ScanResult, what: string): string[] {
  const lines = [`scanned ${dirs.join(", ") || "no directory"} (${scan.files} files): ${scan.findings.length} ${what}`];
  for (const f of scan.findings.slice(0, 20)) lines.push(`  ${f.kind}: ${f.path}`);
  if (scan.findings.length > 20) lines.push(`  … and ${scan.findings.length - 20} more`);
  if (scan.truncated) lines.push("the scan stopped at its depth or entry limit: not every file was read");
  return lines;
}
