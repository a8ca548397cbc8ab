import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadGuardModelFile, type GuardImage, type GuardModel } from "../src/index.ts";

/** The folder of the trained models shipped with the package (scripts/train.py wrote them). */
export const MODELS_DIR = fileURLToPath(new URL("../models/", import.meta.url));

/** The held-out images and PyTorch's logits for them, saved by the trainer. */
export interface Reference {
  readonly images: GuardImage[];
  readonly logits: number[][];
}

/** Reads `NAME.reference.json`. */
export function reference(name: "cnn" | "mlp"): Reference {
  const doc = JSON.parse(readFileSync(`${MODELS_DIR}${name}.reference.json`, "utf8")) as {
    input: number[][];
    logits: number[][];
  };
  return {
    images: doc.input.map((px) => ({ channels: 1, height: 28, width: 28, pixels: Float32Array.from(px) })),
    logits: doc.logits,
  };
}

/** Loads a shipped model with the [0, 1] input contract it was trained on. */
export function loadShipped(name: "cnn" | "mlp", sha256?: string): Promise<GuardModel> {
  return loadGuardModelFile(`${MODELS_DIR}${name}.onnx`, { name: "input", mean: [0], std: [1] }, sha256);
}
