/**
 * Promise 9: physical tamper detection. At least one tamper source (GPIO, accelerometer, case switch, command) is
 * configured, and every configured source is armed.
 */
import type { AuditContext, Verdict } from "./check.ts";

/** Tamper sources configured and armed. */
export function auditTamper(ctx: AuditContext): Verdict {
  const sources = ctx.state?.tamper?.sources ?? [];
  const evidence = sources.map((s) => `tamper source ${s.kind}: ${s.armed ? "armed" : "DISARMED"}`);
  if (sources.length === 0) return { status: "fail", evidence: ["tamper sources: none configured"] };
  return { status: sources.every((s) => s.armed) ? "pass" : "fail", evidence };
}
