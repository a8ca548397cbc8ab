/**
 * Loading a guard that ships inside a release (ARCHITECTURE.md "The flows" 1 and 4; docs/guard.md "The guard
 * bundle"): the agent opens the guard bundle into memory, never onto disk, so the guard file and its models arrive
 * here as buffers. The guard file is checked against the digest the release names before it is parsed, each model
 * against the digest the guard file names, and every plaintext buffer of the bundle is overwritten with zeros once
 * ONNX Runtime holds its own copy, whether or not loading succeeded.
 */
import { EdgewardError } from "@edgeward/core";
import { GUARD_BUNDLE_FILE } from "./bundle/guard-bundle.ts";
import { guardDigest, loadGuardFile } from "./config/guard-file.ts";
import type { GuardConfig, ModelRef } from "./config/types.ts";
import type { GuardModels } from "./guard.ts";
import type { LoadedGuard } from "./load-guard.ts";
import { loadGuardModel, type GuardModel } from "./models.ts";

/** Options for {@link loadGuardFromBundle}. */
export interface BundleLoadOptions {
  /** The guard file's SHA-256 the release names (the TUF target's custom.guard.configSha256). */
  readonly expectedDigest: string;
  /**
   * The release's own model, already decrypted: a guard model with this digest is not shipped twice in the
   * bundle (contract section 1), so it is loaded from these bytes. They stay the caller's and are not zeroed.
   */
  readonly releaseModel?: { readonly sha256: string; readonly bytes: Uint8Array };
}

/**
 * Loads a guard from the files of an unpacked guard bundle: `guard.yaml` (refused with EW_ERR_GUARD_DIGEST unless
 * it hashes to `expectedDigest`), then each model it names, looked up in the bundle under its path or
 * taken from the release's model when the digests agree; a model that does not hash to the guard file's digest is
 * EW_ERR_GUARD_MODEL_DIGEST, a file the bundle lacks EW_ERR_GUARD_BUNDLE. Every buffer in `files` is zeroed before
 * this returns or throws.
 */
export async function loadGuardFromBundle(
  files: ReadonlyMap<string, Uint8Array>,
  options: BundleLoadOptions,
): Promise<LoadedGuard> {
  const sessions: GuardModel[] = [];
  const close = async (): Promise<void> => {
    for (const s of sessions) await s.close();
  };
  try {
    const file = files.get(GUARD_BUNDLE_FILE);
    if (file === undefined) throw new EdgewardError("EW_ERR_GUARD_BUNDLE", { detail: `no ${GUARD_BUNDLE_FILE}` });
    const config = loadGuardFile(file, { expectedDigest: options.expectedDigest });
    const input = { name: config.input.name, mean: config.input.mean, std: config.input.std };
    const session = async (ref: ModelRef): Promise<GuardModel> => {
      const model = await loadGuardModel(modelBytes(files, ref, options.releaseModel), input, ref.sha256);
      sessions.push(model);
      return model;
    };
    const { primary, second, fallback } = config.models;
    const models: GuardModels = {
      primary: await session(primary),
      ...(second === undefined ? {} : { second: await session(second) }),
      ...(fallback === undefined ? {} : { fallback: await session(fallback) }),
    };
    return { config, digest: guardDigest(file), models, close };
  } catch (err) {
    await close();
    throw err;
  } finally {
    for (const bytes of files.values()) bytes.fill(0);
  }
}

/** The stage names a guard file enables, in the order the guard runs them (what state.json reports). */
export function enabledStages(config: GuardConfig): string[] {
  return Object.entries(config.stages)
    .filter(([, stage]) => stage !== undefined)
    .map(([name]) => name);
}

/** The bytes of the model `ref` names: the release's own model when the digests agree, else the bundle's file. */
function modelBytes(
  files: ReadonlyMap<string, Uint8Array>,
  ref: ModelRef,
  releaseModel: BundleLoadOptions["releaseModel"],
): Uint8Array {
  if (releaseModel !== undefined && releaseModel.sha256.toLowerCase() === ref.sha256.toLowerCase())
    return releaseModel.bytes;
  // docs/guard.md "The bundle format": a model ships under the path the guard file names it by.
  const bytes = files.get(ref.path);
  if (bytes === undefined) throw new EdgewardError("EW_ERR_GUARD_BUNDLE", { detail: `no model ${ref.path}` });
  return bytes;
}
