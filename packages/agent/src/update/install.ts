/**
 * Taking a new release from the hub (ARCHITECTURE.md "The flows" 4): TUF says what the target is; the TPM floor
 * refuses a rollback before anything is fetched; the ciphertext is downloaded (resumable, checked against TUF's
 * length and hash); a fresh attestation precedes the key request; the key's answer must carry an inclusion proof
 * of the release in the hub's log under the pinned key; then the release is opened, verified, loaded and switched
 * to (activateRelease). Any refusal leaves the serving model as it was.
 */
import { EdgewardError, isEdgewardError } from "@edgeward/core";
import type { HubClient } from "../hub/hub-client.ts";
import { versionSequence, activateRelease, type ActivateDeps } from "./activate.ts";
import { downloadTarget } from "./download.ts";
import { verifyReleaseProof } from "./release-proof.ts";
import type { ReleaseMeta } from "./release-store.ts";
import { refreshTarget } from "./tuf.ts";

/** What installing needs besides activation. */
export interface InstallDeps {
  readonly activation: ActivateDeps;
  readonly client: HubClient;
  /** STATE/tuf. */
  readonly tufDir: string;
  /** The hub log's verifier key pinned at enrolment. */
  readonly logKey: string;
  /** Attests and resolves on a pass; the hub releases keys only after a fresh one (promise 7). */
  readonly attest: () => Promise<void>;
}

/** Installs TUF target `name` unless it is already current; returns its facts, or undefined when TUF has none. */
export async function installTarget(deps: InstallDeps, name: string): Promise<ReleaseMeta | undefined> {
  const meta = await refreshTarget(deps.client, deps.tufDir, name);
  if (meta === undefined) return undefined;
  const { releases, floor, log } = deps.activation;
  if ((await releases.current()).current === meta.releaseId) return meta;
  const subject = `${meta.kind}:${meta.name}@${meta.version}`;
  try {
    if (meta.kind !== "model") throw new EdgewardError("EW_ERR_UNSUPPORTED", { detail: "package releases" });
    await floor.check(versionSequence(meta.version), subject);
    await releases.saveMeta(meta);
    await downloadTarget((offset) => deps.client.target(name, offset), releases.paths(meta.releaseId).payload, meta);
    await deps.attest();
    const answer = await deps.client.releaseKey(meta.releaseId);
    const checkpoint = verifyReleaseProof(answer, deps.logKey, meta);
    await releases.saveHeader(meta.releaseId, Buffer.from(answer.header, "base64"));
    await log?.record({
      kind: "key.release",
      subject,
      details: { release: meta.releaseId, logIndex: answer.logEntry.index, treeSize: checkpoint.size },
    });
  } catch (err) {
    const code = isEdgewardError(err) ? err.code : "EW_ERR_INTERNAL";
    await log?.record({ kind: "update.refuse", subject, details: { release: meta.releaseId, code } });
    throw err;
  }
  await activateRelease(deps.activation, meta.releaseId);
  return meta;
}
