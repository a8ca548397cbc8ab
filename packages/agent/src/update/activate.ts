/**
 * Making a stored release the serving one (ARCHITECTURE.md "The flows" 4): the TPM floor first (a release below
 * it is refused whatever the hub or TUF say), then open through the TPM and verify into memory, with its guard
 * under the same file key when it carries one, load model and guard and switch them together, and once the
 * release's files are flushed to disk (done beside the open and load), raise the floor and switch current.json. Every outcome is a decision in the device log; on any failure (a guard that does not open or
 * match included) the model and guard that were serving keep serving.
 */
import { createHash } from "node:crypto";
import { EdgewardError, isEdgewardError, type SealedModelCheck } from "@edgeward/core";
import { unpackGuardBundle } from "@edgeward/guard";
import type { TpmDevice } from "@edgeward/tpm";
import type { DeviceLog } from "../audit/device-log.ts";
import type { VersionFloor } from "../floor.ts";
import type { DeviceRecord } from "../identity/device-record.ts";
import { activateServing } from "../serve/activate-serving.ts";
import type { GuardSlot, ReleaseGuard } from "../serve/guard-slot.ts";
import type { ModelSlot } from "../serve/model-slot.ts";
import type { StateLayout } from "../state/layout.ts";
import { openStoredRelease, type OpenedRelease } from "./open-release.ts";
import type { ReleaseMeta, ReleaseStore } from "./release-store.ts";

/** What activation needs. */
export interface ActivateDeps {
  readonly tpm: TpmDevice;
  readonly record: DeviceRecord;
  readonly layout: StateLayout;
  readonly releases: ReleaseStore;
  /** The floor of a release name (one TPM counter per name). */
  readonly floor: (name: string) => Promise<VersionFloor>;
  readonly slot: ModelSlot;
  /** The serving guard; a release that carries a guard is refused without one (EW_ERR_AGENT_CONFIG). */
  readonly guards?: GuardSlot;
  readonly log?: DeviceLog;
  /** The publisher signature a release must carry (from the agent's configuration); none means unchecked. */
  readonly check?: (meta: ReleaseMeta) => Promise<SealedModelCheck | undefined>;
}

/**
 * The integer a version or floor is compared by: its leading decimal digits (`7`, `7.2.1` → 7). The TPM counter
 * moves one step per increment, so floors are release generations, not semantic versions (docs/agent.md).
 */
export function versionSequence(version: string): number {
  const m = /^(\d{1,9})(?:$|[._-])/.exec(version);
  if (m?.[1] === undefined)
    throw new EdgewardError("EW_ERR_AGENT_HUB_RESPONSE", { detail: `version ${version} has no leading number` });
  return Number(m[1]);
}

/** {@link versionSequence}, or undefined for a version without a leading number (a listing's hint, not trusted). */
export function sequenceOf(version: string): number | undefined {
  try {
    return versionSequence(version);
  } catch {
    return undefined;
  }
}

/** Activates release `id`; returns its facts. */
export async function activateRelease(deps: ActivateDeps, id: string): Promise<ReleaseMeta> {
  const meta = await deps.releases.meta(id);
  const subject = `${meta.kind}:${meta.name}@${meta.version}`;
  try {
    const versionFloor = await deps.floor(meta.name);
    await versionFloor.check(versionSequence(meta.version), subject);
    // The release is flushed to disk beside its opening and load, and must be before it becomes current.
    const durable = deps.releases.persist(id);
    durable.catch(() => undefined);
    const check = await deps.check?.(meta);
    if (meta.guard !== undefined && deps.guards === undefined)
      throw new EdgewardError("EW_ERR_AGENT_CONFIG", { detail: "a release with a guard needs a guard slot" });
    const opened = await openStoredRelease(deps.tpm, deps.record, deps.layout, deps.releases, id, {
      ...(check === undefined ? {} : { check }),
      guard: meta.guard !== undefined,
    });
    const model = { name: meta.name, version: meta.version, releaseId: id };
    let guard: ReleaseGuard | undefined;
    try {
      guard = releaseGuard(meta, opened);
    } catch (err) {
      opened.plaintext.fill(0);
      throw err;
    }
    // Model and guard switch together; a guard that does not load leaves both as they were.
    if (deps.guards === undefined) await deps.slot.activate(model, opened.plaintext);
    else await activateServing({ slot: deps.slot, guards: deps.guards }, model, opened.plaintext, guard);
    await durable;
    const floor = await versionFloor.raise(versionSequence(meta.floor));
    await deps.releases.switchTo(id);
    await deps.log?.record({
      kind: "update.install",
      subject,
      details: {
        release: id,
        floor: floor.toString(),
        signature: opened.verification === undefined ? "unchecked" : "verified",
        ...(meta.guard === undefined ? {} : { guard: meta.guard.configSha256 }),
      },
    });
    return meta;
  } catch (err) {
    const code = isEdgewardError(err) ? err.code : "EW_ERR_INTERNAL";
    await deps.log?.record({ kind: "update.refuse", subject, details: { release: id, code } }).catch(() => undefined);
    throw err;
  }
}

/**
 * The guard release `meta` carries (docs/releases.md "A guard in a release"), unpacked from its opened payload
 * (whose plaintext is zeroed once unpacked), with its expected digest (the TUF target's custom.guard.configSha256)
 * and the release's own model for the guard model not shipped twice; undefined for a release without a guard.
 * EW_ERR_GUARD_BUNDLE for a bundle that does not unpack.
 */
function releaseGuard(meta: ReleaseMeta, opened: OpenedRelease): ReleaseGuard | undefined {
  if (meta.guard === undefined) return undefined;
  const bundle = opened.guard;
  if (bundle === undefined) throw new EdgewardError("EW_ERR_INTERNAL", { detail: "the guard payload was not opened" });
  let files: Map<string, Uint8Array>;
  try {
    files = unpackGuardBundle(bundle);
  } finally {
    bundle.fill(0);
  }
  const sha256 = createHash("sha256").update(opened.plaintext).digest("hex");
  return { files, digest: meta.guard.configSha256, releaseModel: { sha256, bytes: opened.plaintext } };
}
