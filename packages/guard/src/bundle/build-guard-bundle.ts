import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { EdgewardError } from "@edgeward/core";
import { guardDigest, loadGuardFile } from "../config/guard-file.ts";
import { GUARD_BUNDLE_FILE, isGuardBundleName, packGuardBundle } from "./guard-bundle.ts";

/** Options for {@link buildGuardBundle}. */
export interface BuildGuardBundleOptions {
  /** The release's plaintext model file: a guard model with its digest is left out of the bundle (served once). */
  readonly releaseModel: string;
}

/** A guard bundle ready to seal, and what went into it. */
export interface BuiltGuardBundle {
  /** The packed bundle (plaintext: seal it under the release's file key, never store it). */
  readonly bundle: Uint8Array;
  /** SHA-256 (hex) of the guard file's exact bytes: the release's `guard.configSha256`. */
  readonly configSha256: string;
  /** SHA-256 (hex) of the release model. */
  readonly releaseModelSha256: string;
  /** The model files packed beside guard.yaml, by their path in the guard file. */
  readonly models: readonly string[];
  /** The guard file's model paths left out because they are the release model. */
  readonly omitted: readonly string[];
}

/**
 * The publisher's side of a guard in a release (docs/guard.md, "The guard in a release"): reads the guard file at
 * `guardPath` (checked as the agent will: EW_ERR_GUARD_FILE), then every model it names, from paths relative to
 * it, each checked against the digest the guard file names (EW_ERR_GUARD_MODEL_DIGEST), and packs them with the
 * guard file's exact bytes. A model whose digest is the release model's is not read nor packed: the device takes it
 * from the release. A model path that is not a plain file name cannot ship in a bundle: EW_ERR_GUARD_BUNDLE.
 */
export async function buildGuardBundle(guardPath: string, options: BuildGuardBundleOptions): Promise<BuiltGuardBundle> {
  const guardBytes = await readOrFail(guardPath);
  const config = loadGuardFile(guardBytes);
  const releaseModelSha256 = await sha256File(options.releaseModel);
  const base = dirname(resolve(guardPath));
  const files = new Map<string, Uint8Array>([[GUARD_BUNDLE_FILE, guardBytes]]);
  const omitted = new Set<string>();
  for (const ref of [config.models.primary, config.models.second, config.models.fallback]) {
    if (ref === undefined) continue;
    const expected = ref.sha256.toLowerCase();
    if (expected === releaseModelSha256) {
      omitted.add(ref.path);
      continue;
    }
    if (!isGuardBundleName(ref.path) || ref.path === GUARD_BUNDLE_FILE) {
      throw new EdgewardError("EW_ERR_GUARD_BUNDLE", {
        detail: `model path ${JSON.stringify(ref.path)}: a guard that ships in a release names its models by plain file names beside it`,
      });
    }
    if (files.has(ref.path)) continue;
    const bytes = await readOrFail(resolve(base, ref.path));
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (actual !== expected) {
      throw new EdgewardError("EW_ERR_GUARD_MODEL_DIGEST", {
        detail: `${ref.path}: got ${actual}, expected ${expected}`,
      });
    }
    files.set(ref.path, bytes);
  }
  return {
    bundle: packGuardBundle(files),
    configSha256: guardDigest(guardBytes),
    releaseModelSha256,
    models: [...files.keys()].filter((name) => name !== GUARD_BUNDLE_FILE),
    omitted: [...omitted],
  };
}

async function readOrFail(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new EdgewardError("EW_ERR_IO", { detail: path, cause });
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (cause) {
    throw new EdgewardError("EW_ERR_IO", { detail: path, cause });
  }
  return hash.digest("hex");
}
