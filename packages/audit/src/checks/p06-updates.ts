/**
 * Promise 6: signed update packages. Updates are verified against a trusted TUF root (TUF 1.0 §5.2: the client
 * starts from a trusted root.json), and the TPM NV version floor is at least the running release's version, so an
 * older release cannot be rolled back to.
 */
import type { AuditContext, Verdict } from "./check.ts";

/** Updates TUF-verified; NV version floor at least the running version. */
export async function auditUpdates(ctx: AuditContext): Promise<Verdict> {
  const u = ctx.state?.update;
  if (u === undefined) return { status: "fail", evidence: ["update: none in state.json"] };
  const evidence: string[] = [];
  let ok = true;
  const rootText = u.tufRoot === undefined ? undefined : await ctx.stateDir?.text(`/${u.tufRoot}`);
  const root = rootText === undefined ? undefined : tufRoot(rootText);
  evidence.push(`TUF root ${u.tufRoot ?? "(none named)"}: ${root ?? "missing or not a TUF root.json"}`);
  if (root === undefined) ok = false;
  evidence.push(`running version ${u.runningVersion}; NV floor ${u.floor ?? "not set"}`);
  if (u.floor === undefined || u.floor === null || u.floor < u.runningVersion) {
    evidence.push("the floor is below the running version: an older release could be installed");
    ok = false;
  }
  return { status: ok ? "pass" : "fail", evidence };
}

// TUF 1.0 §4.3: root.json is {"signed": {"_type": "root", "version": N, ...}, "signatures": [...]}.
function tufRoot(text: string): string | undefined {
  try {
    const doc = JSON.parse(text) as { signed?: { _type?: unknown; version?: unknown }; signatures?: unknown };
    if (doc.signed?._type !== "root" || !Array.isArray(doc.signatures)) return undefined;
    return `root version ${String(doc.signed.version)}, ${doc.signatures.length} signature(s)`;
  } catch {
    return undefined;
  }
}
