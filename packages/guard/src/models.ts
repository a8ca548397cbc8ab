import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as ort from "onnxruntime-node";
import { EdgewardError } from "@edgeward/core";
import type { GuardImage } from "./data/image.ts";

/** A classifier the guard runs: ONNX, one float32 [N, C, H, W] input, one float32 [N, classes] logits output. */
export interface GuardModel {
  /** SHA-256 of the ONNX bytes, hex. */
  readonly sha256: string;
  /** Logits for each image, in order. */
  predict(images: readonly GuardImage[]): Promise<Float32Array[]>;
  /** Releases ONNX Runtime's session. */
  close(): Promise<void>;
}

/** How the model wants its input: the tensor name and the per-channel normalisation applied to [0, 1] pixels. */
export interface ModelInput {
  readonly name: string;
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * Loads an ONNX classifier from memory. When `expectedSha256` is given, the bytes must hash to it (the guard file
 * names each model by digest, so a model swapped on the device is refused before it runs): EW_ERR_GUARD_MODEL_DIGEST.
 */
export async function loadGuardModel(
  bytes: Uint8Array,
  input: ModelInput,
  expectedSha256?: string,
): Promise<GuardModel> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (expectedSha256 !== undefined && sha256 !== expectedSha256.toLowerCase()) {
    throw new EdgewardError("EW_ERR_GUARD_MODEL_DIGEST", { detail: `got ${sha256}, expected ${expectedSha256}` });
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (cause) {
    throw new EdgewardError("EW_ERR_MODEL_LOAD", { cause });
  }
  const outputName = session.outputNames[0] ?? "";
  return {
    sha256,
    async predict(images) {
      const first = images[0];
      if (first === undefined) return [];
      const size = first.pixels.length;
      const plane = first.height * first.width;
      const batch = new Float32Array(images.length * size);
      images.forEach((img, n) => {
        for (let i = 0; i < size; i++) {
          const c = Math.floor(i / plane);
          batch[n * size + i] = ((img.pixels[i] ?? 0) - (input.mean[c] ?? 0)) / (input.std[c] ?? 1);
        }
      });
      const tensor = new ort.Tensor("float32", batch, [images.length, first.channels, first.height, first.width]);
      let result: ort.InferenceSession.ReturnType;
      try {
        result = await session.run({ [input.name]: tensor });
      } catch (cause) {
        throw new EdgewardError("EW_ERR_INFERENCE", { cause });
      }
      const out = result[outputName];
      if (out === undefined || out.type !== "float32")
        throw new EdgewardError("EW_ERR_INFERENCE", { detail: "no float32 logits" });
      const data = out.data as Float32Array;
      const classes = data.length / images.length;
      return images.map((_, n) => data.slice(n * classes, (n + 1) * classes));
    },
    close: () => session.release(),
  };
}

/** Reads and loads a model file; see {@link loadGuardModel}. */
export async function loadGuardModelFile(
  path: string,
  input: ModelInput,
  expectedSha256?: string,
): Promise<GuardModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new EdgewardError("EW_ERR_IO", { detail: path, cause });
  }
  return loadGuardModel(bytes, input, expectedSha256);
}
