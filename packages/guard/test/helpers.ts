import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { GuardConfig, GuardImage } from "../src/index.ts";
import { DEFAULT_QUERY_STAGE } from "../src/index.ts";

/** A complete guard file for 28×28 greyscale inputs, thresholds set by hand (tests change what they need). */
export function sampleConfig(overrides: Partial<GuardConfig> = {}): GuardConfig {
  return {
    version: 1,
    input: {
      name: "input",
      channels: 1,
      height: 28,
      width: 28,
      range: [0, 1],
      mean: [0],
      std: [1],
      image: { maxBytes: 1 << 20, maxPixels: 1 << 22, fit: "fill" },
    },
    models: {
      primary: { path: "cnn.onnx", sha256: "a".repeat(64) },
      second: { path: "mlp.onnx", sha256: "b".repeat(64) },
      fallback: { path: "mlp.onnx", sha256: "b".repeat(64) },
    },
    targetFpr: 0.05,
    stages: {
      stats: { action: "reject", features: { "mean.0": [0.05, 0.8], entropy: [0.5, 8] } },
      confidence: { action: "fallback", score: "msp", threshold: 0.85, temperature: 1, fixed: true },
      ensemble: { action: "review", threshold: 1.5 },
      squeeze: {
        action: "review",
        squeezers: [
          { kind: "bitDepth", bits: 4 },
          { kind: "median", size: 2 },
        ],
        threshold: 1.5,
      },
      query: DEFAULT_QUERY_STAGE,
    },
    ...overrides,
  };
}

/** A 28×28 image of `fill(x, y)`. */
export function picture(fill: (x: number, y: number) => number, size = 28): GuardImage {
  const pixels = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) pixels[y * size + x] = fill(x, y);
  return { channels: 1, height: size, width: size, pixels };
}

/** Every file under `dir`, recursively, with its bytes. */
export function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => ({ path: join(e.parentPath, e.name), bytes: readFileSync(join(e.parentPath, e.name)) }));
}
