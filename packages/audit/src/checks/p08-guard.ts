/**
 * Promise 8: confidence-based fallback. The running release's guard configuration must be present and, when the
 * release names its digest (the TUF target's custom guard config digest), match it.
 */
import { createHash } from "node:crypto";
import type { AuditContext, Verdict } from "./check.ts";

/** Guard configuration present in the running release. */
export async function auditGuard(ctx: AuditContext): Promise<Verdict> {
  const g = ctx.state?.guard;
  if (g === undefined) return { status: "fail", evidence: ["guard: none in state.json"] };
  const bytes = await ctx.stateDir?.bytes(`/${g.configFile}`);
  if (bytes === undefined) return { status: "fail", evidence: [`guard configuration ${g.configFile}: missing`] };
  const digest = createHash("sha256").update(bytes).digest("hex");
  const evidence = [`guard configuration ${g.configFile}: ${bytes.length} bytes, sha256 ${digest}`];
  try {
    JSON.parse(bytes.toString("utf8"));
  } catch {
    return { status: "fail", evidence: [...evidence, "not JSON"] };
  }
  if (g.sha256 !== undefined && g.sha256.toLowerCase() !== digest)
    return { status: "fail", evidence: [...evidence, `the release says sha256 ${g.sha256}`] };
  return { status: "pass", evidence };
}
