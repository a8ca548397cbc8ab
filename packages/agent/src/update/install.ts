/**
 * Taking a new release from the hub (ARCHITECTURE.md "The flows" 4): TUF says what the target is; the TPM floor
 * refuses a rollback before anything is fetched; the ciphertext is downloaded (resumable, checked against TUF's
 * length and hash), and so is the guard payload of a release that carries a guard; meanwhile a fresh attestation
 * precedes the key request, and the key's answer must carry an inclusion proof of the release in the hub's log
 * under the pinned key; then the release is opened, verified, loaded and switched to (activateRelease). Any refusal
 * leaves the serving model as it was.
 */
import { EdgewardError, isEdgewardError, type wire } from "@edgeward/core";
import { hubCodeOf, type HubClient } from "../hub/hub-client.ts";
import { versionSequence, activateRelease, type ActivateDeps } from "./activate.ts";
import { downloadTarget } from "./download.ts";
import { verifyReleaseProof } from "./release-proof.ts";
import type { ReleaseMeta } from "./release-store.ts";
import { refreshTuf, type TufTargets } from "./tuf.ts";
import { openStoredRelease } from "./open-release.ts";
import { runInstaller, unsealedPackage } from "./package.ts";

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
  /**
   * True while this agent's last pass is surely still fresh by the hub's policy, so the key is asked for without
   * a second quote; the hub still decides, and a stale answer (EW_ERR_KEY_RELEASE_NOT_FRESH) attests and asks
   * again. Absent: attest before every key request.
   */
  readonly passFresh?: () => boolean;
  /** The cycle's one TUF refresh; absent, each call refreshes on its own. */
  readonly tuf?: Promise<TufTargets>;
  /** The command a verified package is handed to (the agent's configuration). */
  readonly installCommand?: readonly string[];
}

/** Installs TUF target `name` unless it is already current; returns its facts, or undefined when TUF has none. */
export async function installTarget(deps: InstallDeps, name: string): Promise<ReleaseMeta | undefined> {
  const meta = await (await (deps.tuf ?? refreshTuf(deps.client, deps.tufDir))).target(name);
  if (meta === undefined) return undefined;
  const { releases, log } = deps.activation;
  if ((await releases.current()).current === meta.releaseId) return meta;
  const subject = `${meta.kind}:${meta.name}@${meta.version}`;
  if (meta.kind === "package") return installPackage(deps, meta, subject);
  try {
    await fetchAndRelease(deps, meta, subject);
  } catch (err) {
    const code = isEdgewardError(err) ? err.code : "EW_ERR_INTERNAL";
    await log?.record({ kind: "update.refuse", subject, details: { release: meta.releaseId, code } });
    throw err;
  }
  await activateRelease(deps.activation, meta.releaseId);
  return meta;
}

/**
 * Floor check, then the download and (for a sealed release) the key release side by side: the key answer does not
 * depend on the ciphertext, and neither is used before both are in and checked, so the release costs the longer of
 * the two instead of their sum. A download failure is reported before a key failure, as if they ran in turn.
 */
async function fetchAndRelease(deps: InstallDeps, meta: ReleaseMeta, subject: string): Promise<void> {
  const { releases, floor } = deps.activation;
  await (await floor(meta.name)).check(versionSequence(meta.version), subject);
  await releases.saveMeta(meta, { sync: false });
  const [downloaded, released] = await Promise.allSettled([
    downloadPayloads(deps, meta),
    meta.sealed === false ? Promise.resolve() : releaseKey(deps, meta, subject),
  ]);
  if (downloaded.status === "rejected") throw downloaded.reason;
  if (released.status === "rejected") throw released.reason;
}

/**
 * The release's ciphertext, and its guard's: the guard is its own TUF target, downloaded and checked the same way
 * and kept encrypted beside the model.
 */
async function downloadPayloads(deps: InstallDeps, meta: ReleaseMeta): Promise<void> {
  const { releases } = deps.activation;
  await downloadTarget(
    (offset) => deps.client.target(meta.targetName, offset),
    releases.paths(meta.releaseId).payload,
    meta,
  );
  const guard = meta.guard;
  if (guard !== undefined)
    await downloadTarget(
      (offset) => deps.client.target(guard.targetName, offset),
      releases.guardPayload(meta.releaseId),
      guard,
    );
}

/** The key release after a fresh pass, its inclusion proof checked against the pinned log key; the header kept. */
async function releaseKey(deps: InstallDeps, meta: ReleaseMeta, subject: string): Promise<void> {
  const { releases, log } = deps.activation;
  const answer = await releaseKeyAfterPass(deps, meta.releaseId);
  const checkpoint = verifyReleaseProof(answer, deps.logKey, meta);
  await releases.saveHeader(meta.releaseId, Buffer.from(answer.header, "base64"));
  await log?.record({
    kind: "key.release",
    subject,
    details: { release: meta.releaseId, logIndex: answer.logEntry.index, treeSize: checkpoint.size },
  });
}

/**
 * The key release, preceded by a fresh pass (ARCHITECTURE.md promise 7). The hub alone judges freshness: when this
 * agent's last pass is surely fresh the key is asked for at once, and if the hub answers that the pass is stale
 * the agent attests and asks once more; otherwise it attests first.
 */
async function releaseKeyAfterPass(deps: InstallDeps, releaseId: string): Promise<wire.ReleaseKeyResponse> {
  if (deps.passFresh?.() === true) {
    try {
      return await deps.client.releaseKey(releaseId);
    } catch (err) {
      if (hubCodeOf(err) !== "EW_ERR_KEY_RELEASE_NOT_FRESH") throw err;
    }
  }
  await deps.attest();
  return deps.client.releaseKey(releaseId);
}

/** A package: verified as above, then handed to the install command on stdin; the floor rises only on success. */
async function installPackage(deps: InstallDeps, meta: ReleaseMeta, subject: string): Promise<ReleaseMeta> {
  const { releases, floor, log, tpm, record, layout } = deps.activation;
  const done = await releases.meta(meta.releaseId).catch(() => undefined);
  if (done?.installedAt !== undefined) return done;
  let status: number;
  try {
    if (deps.installCommand === undefined)
      throw new EdgewardError("EW_ERR_AGENT_CONFIG", { detail: "a package release needs installCommand" });
    await fetchAndRelease(deps, meta, subject);
    const bytes =
      meta.sealed === false
        ? await unsealedPackage(releases.paths(meta.releaseId).payload)
        : (await openStoredRelease(tpm, record, layout, releases, meta.releaseId)).plaintext;
    try {
      status = await runInstaller(deps.installCommand, bytes);
    } finally {
      bytes.fill(0);
    }
    if (status !== 0) throw new EdgewardError("EW_ERR_AGENT_INSTALL_FAILED", { detail: `exit status ${status}` });
  } catch (err) {
    const code = isEdgewardError(err) ? err.code : "EW_ERR_INTERNAL";
    await log?.record({ kind: "update.refuse", subject, details: { release: meta.releaseId, code } });
    throw err;
  }
  const raised = await (await floor(meta.name)).raise(versionSequence(meta.floor));
  const installed = { ...meta, installedAt: new Date().toISOString() };
  await releases.saveMeta(installed);
  await log?.record({
    kind: "update.install",
    subject,
    details: { release: meta.releaseId, exitStatus: status, floor: raised.toString() },
  });
  return installed;
}
