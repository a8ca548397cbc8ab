/**
 * Promise 8: confidence-based fallback. The running release carries its guard: either sealed inside the release
 * (the agent reports the digest of the guard file it loaded, the digest the release's TUF target names, and the
 * enabled stages), or as a configuration file in the state directory checked against the release's digest.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import type { GuardConfigFile, GuardInRelease } from "../state/state.ts";
import type { AuditContext, Verdict } from "./check.ts";
import { cachedTarget } from "./tuf-cache.ts";

const SHA256_HEX = /^[0-9a-f]{64}$/i;

const FIX_NONE =
  "Publish the model with its guard (edgeward model publish MODEL --guard guard.yaml) and let the agent install that release";
const FIX_NOT_LOADED =
  "The agent serves no guard from this release: read its log for the EW_ERR_GUARD_* refusal, and reinstall the release";
const FIX_NO_RELEASE_DIGEST = "Republish the release with its guard (edgeward model publish --guard guard.yaml)";
const FIX_MISMATCH =
  "The guard the agent loaded is not the release's: reinstall the release, and re-attest the device if the state was edited";
const FIX_NO_STAGES =
  "Enable at least one stage in guard.yaml and publish a new release: a guard without a stage checks nothing";

/** Guard configuration present in the running release. */
export async function auditGuard(ctx: AuditContext): Promise<Verdict> {
  const g = ctx.state?.guard;
  if (g === undefined) return { status: "fail", evidence: ["guard: none in state.json"], fix: FIX_NONE };
  return "source" in g ? guardInRelease(ctx, g) : guardConfigFile(ctx, g);
}

/** The guard the release ships: loaded, the release's own, and with at least one stage. */
async function guardInRelease(ctx: AuditContext, g: GuardInRelease): Promise<Verdict> {
  const stages = g.stages ?? [];
  const evidence = [
    "guard: shipped inside the running release",
    `guard file loaded: sha256 ${g.digest ?? "missing"}`,
    `the release's guard digest: sha256 ${g.releaseDigest ?? "missing"}`,
    `stages: ${stages.length === 0 ? "none" : stages.join(", ")}`,
  ];
  if (g.digest === undefined || !SHA256_HEX.test(g.digest))
    return {
      status: "fail",
      evidence: [...evidence, "no guard file digest: no guard was loaded"],
      fix: FIX_NOT_LOADED,
    };
  if (g.releaseDigest === undefined || !SHA256_HEX.test(g.releaseDigest))
    return {
      status: "fail",
      evidence: [...evidence, "no release digest: the release does not name its guard"],
      fix: FIX_NO_RELEASE_DIGEST,
    };
  if (g.digest.toLowerCase() !== g.releaseDigest.toLowerCase())
    return {
      status: "fail",
      evidence: [...evidence, "the loaded guard file differs from the one the release names"],
      fix: FIX_MISMATCH,
    };
  if (stages.length === 0)
    return { status: "fail", evidence: [...evidence, "the guard has no enabled stage"], fix: FIX_NO_STAGES };
  return crossCheck(ctx, g.releaseDigest.toLowerCase(), evidence);
}

/**
 * The release digest state.json reports, against the running target's `custom.guard.configSha256` in the TUF
 * metadata the agent cached: a mismatch fails (state.json or the metadata was edited), a target the cache does not
 * list warns, and a state.json without `update.target` (an agent that does not name it) is not cross-checked.
 */
async function crossCheck(ctx: AuditContext, releaseDigest: string, evidence: string[]): Promise<Verdict> {
  const u = ctx.state?.update;
  if (u?.target === undefined || ctx.stateDir === undefined)
    return { status: "pass", evidence: [...evidence, "TUF cross-check: state.json names no running target"] };
  const tufDir = u.tufRoot === undefined ? "tuf" : posix.dirname(u.tufRoot);
  const cached = await cachedTarget(ctx.stateDir, tufDir, u.target);
  if (!cached.found)
    return {
      status: "warn",
      evidence: [...evidence, `TUF cross-check: ${cached.why}`],
      fix: "Let the agent refresh its TUF metadata from the hub (its next update cycle), then audit again",
    };
  const guard = cached.custom["guard"] as { configSha256?: unknown } | undefined;
  const named = typeof guard?.configSha256 === "string" ? guard.configSha256.toLowerCase() : undefined;
  const where = `TUF target ${u.target} (role ${cached.role})`;
  if (named === undefined)
    return {
      status: "fail",
      evidence: [...evidence, `${where}: names no guard (custom.guard.configSha256)`],
      fix: FIX_MISMATCH,
    };
  if (named !== releaseDigest)
    return {
      status: "fail",
      evidence: [...evidence, `${where}: custom.guard.configSha256 ${named} differs from the release digest`],
      fix: FIX_MISMATCH,
    };
  return { status: "pass", evidence: [...evidence, `${where}: custom.guard.configSha256 matches`] };
}

/** A guard configuration file: present, JSON, and matching the release's digest when one is named. */
async function guardConfigFile(ctx: AuditContext, g: GuardConfigFile): Promise<Verdict> {
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
