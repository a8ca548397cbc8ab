import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { EdgewardError } from "@edgeward/core";
import { guardDigest, loadGuardFile } from "./config/guard-file.ts";
import type { GuardConfig, ModelRef } from "./config/types.ts";
import type { GuardModels } from "./guard.ts";
import { loadGuardModelFile, type GuardModel } from "./models.ts";

/** A guard file read from disk, with its digest and the models it names, each checked against its digest. */
export interface LoadedGuard {
  readonly config: GuardConfig;
  readonly digest: string;
  readonly models: GuardModels;
  /** Releases every model's session. */
  close(): Promise<void>;
}

/**
 * Reads the guard file at `path` (refused with EW_ERR_GUARD_DIGEST when `expectedDigest` is given and differs),
 * then loads the models it names from paths relative to it; `overrides` replaces a model's path (the CLI's
 * `--model`), but never its digest: a model that does not hash to the guard file's digest is refused with
 * EW_ERR_GUARD_MODEL_DIGEST.
 */
export async function loadGuard(
  path: string,
  options: {
    readonly expectedDigest?: string;
    readonly overrides?: Partial<Record<keyof GuardConfig["models"], string>>;
  } = {},
): Promise<LoadedGuard> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new EdgewardError("EW_ERR_IO", { detail: path, cause });
  }
  const config = loadGuardFile(
    bytes,
    options.expectedDigest === undefined ? {} : { expectedDigest: options.expectedDigest },
  );
  const base = dirname(resolve(path));
  const input = { name: config.input.name, mean: config.input.mean, std: config.input.std };
  const loaded: GuardModel[] = [];
  const load = async (key: keyof GuardConfig["models"], ref: ModelRef | undefined) => {
    if (ref === undefined) return undefined;
    const model = await loadGuardModelFile(resolve(base, options.overrides?.[key] ?? ref.path), input, ref.sha256);
    loaded.push(model);
    return model;
  };
  const close = async () => {
    for (const m of loaded) await m.close();
  };
  try {
    const primary = await load("primary", config.models.primary);
    const second = await load("second", config.models.second);
    const fallback = await load("fallback", config.models.fallback);
    if (primary === undefined) throw new EdgewardError("EW_ERR_GUARD_FILE", { detail: "no primary model" });
    const models: GuardModels = {
      primary,
      ...(second === undefined ? {} : { second }),
      ...(fallback === undefined ? {} : { fallback }),
    };
    return { config, digest: guardDigest(bytes), models, close };
  } catch (err) {
    await close();
    throw err;
  }
}
