/**
 * Promise 7: remote attestation before updates. The hub releases keys only after a fresh passing attestation, so
 * the last one must have passed and be younger than its maximum age (default one day).
 */
import type { AuditContext, Verdict } from "./check.ts";

/** The default freshness of an attestation, in seconds. */
export const DEFAULT_ATTESTATION_MAX_AGE = 86_400;

/** Last attestation passed and is fresh. */
export function auditAttestation(ctx: AuditContext): Verdict {
  const a = ctx.state?.attestation;
  if (a === undefined) return { status: "fail", evidence: ["attestation: none recorded in state.json"] };
  const age = Math.round((ctx.now.getTime() - Date.parse(a.at)) / 1000);
  const max = a.maxAgeSeconds ?? DEFAULT_ATTESTATION_MAX_AGE;
  const evidence = [`last attestation: ${a.result} at ${a.at} (${age} s ago; fresh for ${max} s)`];
  if (a.result !== "pass") return { status: "fail", evidence };
  if (age > max || age < -300) return { status: "fail", evidence: [...evidence, "stale (or dated in the future)"] };
  return { status: "pass", evidence };
}
