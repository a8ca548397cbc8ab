import { readFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { EdgewardError } from "@edgeward/core";
import { guardDigest, serializeGuardFile } from "../config/guard-file.ts";
import type { GuardConfig, InputContract, ModelRef } from "../config/types.ts";
import { loadCalibrationData } from "../data/load-data.ts";
import { loadGuardModel, type GuardModel } from "../models.ts";
import { calibrate, type CalibrateOptions } from "./calibrate.ts";

/** What `edgeward guard calibrate` asks for, as paths. */
export interface CalibrateFilesOptions {
  readonly model: string;
  readonly second?: string;
  /** Defaults to `second`. */
  readonly fallback?: string;
  readonly data: string;
  /** A JSON file: an array of indices, or an object whose `holdout` array lists them (the trainer's split.json). */
  readonly indices?: string;
  /** Where the guard file will be written: model paths are recorded relative to its folder. */
  readonly output: string;
  readonly targetFpr: number;
  readonly input: InputContract;
  readonly confidence?: CalibrateOptions["confidence"];
  readonly reviewRecipient?: string;
  /** Each score's share of the common level (see {@link calibrate}); `{}` gives every score the same. */
  readonly levelWeights?: CalibrateOptions["levelWeights"];
}

/** The calibrated guard file: its configuration, its YAML bytes and their digest (what a release names). */
export interface CalibratedGuard {
  readonly config: GuardConfig;
  readonly yaml: string;
  readonly digest: string;
}

/** Loads the models and data from files, calibrates (see {@link calibrate}) and serialises the guard file. */
export async function calibrateFiles(options: CalibrateFilesOptions): Promise<CalibratedGuard> {
  const base = dirname(resolve(options.output));
  const input = { name: options.input.name, mean: options.input.mean, std: options.input.std };
  const opened: GuardModel[] = [];
  const open = async (path: string): Promise<{ model: GuardModel; ref: ModelRef }> => {
    const model = await loadGuardModel(await readModel(path), input);
    opened.push(model);
    return { model, ref: { path: relative(base, resolve(path)), sha256: model.sha256 } };
  };
  try {
    const primary = await open(options.model);
    const second = options.second === undefined ? undefined : await open(options.second);
    const fallbackPath = options.fallback ?? options.second;
    const fallback = fallbackPath === undefined ? undefined : await open(fallbackPath);
    const indices = options.indices === undefined ? undefined : await readIndices(options.indices);
    const data = await loadCalibrationData(options.data, options.input, indices);
    const config = await calibrate({ primary: primary.model, second: second?.model }, data.images, {
      input: options.input,
      models: {
        primary: primary.ref,
        ...(second === undefined ? {} : { second: second.ref }),
        ...(fallback === undefined ? {} : { fallback: fallback.ref }),
      },
      targetFpr: options.targetFpr,
      dataSha256: data.sha256,
      ...(options.confidence === undefined ? {} : { confidence: options.confidence }),
      ...(options.levelWeights === undefined ? {} : { levelWeights: options.levelWeights }),
    });
    const withReview: GuardConfig =
      options.reviewRecipient === undefined
        ? config
        : { ...config, review: { recipient: options.reviewRecipient, maxEntries: 1000, maxBytes: 64 * 1024 * 1024 } };
    const yaml = serializeGuardFile(withReview);
    return { config: withReview, yaml, digest: guardDigest(new TextEncoder().encode(yaml)) };
  } finally {
    for (const m of opened) await m.close();
  }
}

async function readModel(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new EdgewardError("EW_ERR_IO", { detail: path, cause });
  }
}

async function readIndices(path: string): Promise<number[]> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, "utf8"));
  } catch (cause) {
    throw new EdgewardError("EW_ERR_GUARD_DATA", { detail: `${path} is not a JSON index list`, cause });
  }
  const list = Array.isArray(doc) ? doc : (doc as { holdout?: unknown } | null)?.holdout;
  if (!Array.isArray(list) || !list.every((i) => Number.isInteger(i) && (i as number) >= 0)) {
    throw new EdgewardError("EW_ERR_GUARD_DATA", {
      detail: `${path}: expected an array of indices or {"holdout": [...]}`,
    });
  }
  return list as number[];
}
