/**
 * The guard a model target names (docs/releases.md "A guard in a release"): the model target's custom metadata
 * carries `guard: { configSha256, target }`, and `target` is a second TUF target, `<model target>.guard`, whose
 * custom says `{ releaseId, kind: "guard" }`. TUF signs both, so the guard payload's length and hash and the guard
 * file's digest are as trustworthy as the model's (TUF 1.0 §5.7.3); anything else in these fields is a hostile or
 * broken hub and refuses the release.
 */
import { EdgewardError } from "@edgeward/core";
import type { ReleaseGuardMeta } from "./release-store.ts";

/** What TUF says about one target (the part of tuf-js's TargetFile used here). */
export interface TargetFacts {
  readonly length: number;
  readonly hashes: Record<string, string>;
  readonly custom: Record<string, unknown>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The guard of the model target `modelTarget` (release `releaseId`) from its custom metadata, with the guard
 * target's length and hash from `lookup` (tuf-js's verified target info); undefined when it names no guard.
 * EW_ERR_AGENT_HUB_RESPONSE when the guard fields are malformed, the target is not `<modelTarget>.guard`, TUF
 * lists no such target, or that target belongs to another release or is not a guard.
 */
export async function guardOfTarget(
  custom: Record<string, unknown>,
  modelTarget: string,
  releaseId: string,
  lookup: (path: string) => Promise<TargetFacts | undefined>,
): Promise<ReleaseGuardMeta | undefined> {
  const named = custom["guard"];
  if (named === undefined) return undefined;
  const refuse = (detail: string): never => {
    throw new EdgewardError("EW_ERR_AGENT_HUB_RESPONSE", { detail: `target ${modelTarget}: ${detail}` });
  };
  if (custom["kind"] !== "model") refuse("only a model release carries a guard");
  const guard = (typeof named === "object" && named !== null ? named : {}) as Record<string, unknown>;
  const configSha256 = guard["configSha256"];
  const targetName = guard["target"];
  if (typeof configSha256 !== "string" || !SHA256_HEX.test(configSha256)) refuse("guard.configSha256 is malformed");
  if (targetName !== `${modelTarget}.guard`) refuse("guard.target is not <model target>.guard");
  const info = await lookup(targetName as string);
  if (info === undefined) return refuse("TUF lists no guard target");
  const sha256 = info.hashes["sha256"];
  if (info.custom["kind"] !== "guard" || info.custom["releaseId"] !== releaseId)
    refuse("the guard target is not this release's guard");
  if (sha256 === undefined || !SHA256_HEX.test(sha256)) return refuse("the guard target has no sha256");
  return { configSha256: configSha256 as string, targetName: targetName as string, length: info.length, sha256 };
}
