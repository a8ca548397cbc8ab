import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { EdgewardError } from "@edgeward/core";
import type { InputContract } from "../config/types.ts";
import { decodeImage } from "../stages/input-contract.ts";
import { imagesFromBytes, type GuardImage } from "./image.ts";
import { parseIdx } from "./idx.ts";

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff"]);

/** Calibration data, and the SHA-256 of what it was read from (the guard file records it). */
export interface LoadedData {
  readonly images: GuardImage[];
  readonly sha256: string;
}

/**
 * Reads clean calibration images from an IDX image file (gzip or not; 28×28-style [count, height, width]) or a
 * folder of image files (decoded under the contract's limits, sorted by name). `indices` picks a subset (the
 * held-out part of a training set). The digest covers the file's bytes, or every image file's name and bytes.
 */
export async function loadCalibrationData(
  path: string,
  contract: InputContract,
  indices?: readonly number[],
): Promise<LoadedData> {
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new EdgewardError("EW_ERR_GUARD_DATA", { detail: `cannot read ${path}`, cause });
  }
  const hash = createHash("sha256");
  let images: GuardImage[];
  if (info.isDirectory()) {
    images = [];
    const names = (await readdir(path)).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
    for (const name of names) {
      const bytes = await readFile(join(path, name));
      hash.update(name).update("\0").update(bytes);
      images.push(await decodeImage(bytes, contract));
    }
  } else {
    const bytes = await readFile(path);
    hash.update(bytes);
    const idx = parseIdx(bytes);
    const [, height = 0, width = 0] = idx.dims;
    if (idx.dims.length !== 3 || height !== contract.height || width !== contract.width || contract.channels !== 1) {
      throw new EdgewardError("EW_ERR_GUARD_DATA", {
        detail: `IDX dims [${idx.dims.join(", ")}] do not fit input ${contract.channels}x${contract.height}x${contract.width}`,
      });
    }
    images = imagesFromBytes(idx.data, height, width);
  }
  if (indices !== undefined) {
    images = indices.map((i) => {
      const img = images[i];
      if (img === undefined) throw new EdgewardError("EW_ERR_GUARD_DATA", { detail: `index ${i} out of range` });
      return img;
    });
  }
  return { images, sha256: hash.digest("hex") };
}
