import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { guardDigest, loadGuard, serializeGuardFile } from "../src/index.ts";
import { sampleConfig } from "./helpers.ts";
import { loadShipped, MODELS_DIR, reference } from "./models.ts";

// The shipped ONNX files compute what the trainer computed, and the shipped guard file names exactly them.
describe("shipped models", () => {
  for (const name of ["cnn", "mlp"] as const) {
    it(`${name}.onnx gives PyTorch's logits for the trainer's eight reference images (|Δ| < 1e-4)`, async () => {
      const model = await loadShipped(name);
      try {
        const ref = reference(name);
        const logits = await model.predict(ref.images);
        assert.equal(logits.length, 8);
        logits.forEach((row, n) => {
          row.forEach((v, k) => assert.ok(Math.abs(v - ref.logits[n]![k]!) < 1e-4, `image ${n} class ${k}: ${v}`));
        });
      } finally {
        await model.close();
      }
    });
  }

  it("when a model does not hash to the digest it is named by, rejects with EW_ERR_GUARD_MODEL_DIGEST", async () => {
    await rejectsWithCode(loadShipped("cnn", "0".repeat(64)), "EW_ERR_GUARD_MODEL_DIGEST");
  });

  it("the shipped guard.yaml loads with its models, and only under its own digest", async () => {
    const path = `${MODELS_DIR}guard.yaml`;
    const digest = guardDigest(readFileSync(path));
    const loaded = await loadGuard(path, { expectedDigest: digest });
    try {
      assert.deepEqual(Object.keys(loaded.config.stages).sort(), [
        "confidence",
        "ensemble",
        "mahalanobis",
        "query",
        "squeeze",
        "stats",
      ]);
      assert.equal(loaded.config.calibration?.samples, 10000);
      assert.ok(loaded.models.second !== undefined && loaded.models.fallback !== undefined);
    } finally {
      await loaded.close();
    }
    await rejectsWithCode(loadGuard(path, { expectedDigest: "f".repeat(64) }), "EW_ERR_GUARD_DIGEST");
  });
});

describe("loading a guard from files", () => {
  it("when the guard file or a model it names is missing, rejects with EW_ERR_IO; a non-ONNX model with EW_ERR_MODEL_LOAD", async () => {
    using dir = tempDir("edgeward-guard-load-");
    await rejectsWithCode(loadGuard(join(dir.path, "none.yaml")), "EW_ERR_IO");
    const config = sampleConfig({ models: { primary: { path: "gone.onnx", sha256: "a".repeat(64) } } });
    const { ensemble: _e, ...stages } = config.stages;
    writeFileSync(join(dir.path, "guard.yaml"), serializeGuardFile({ ...config, stages }));
    await rejectsWithCode(loadGuard(join(dir.path, "guard.yaml")), "EW_ERR_IO");
    const junk = Buffer.from("not an onnx model");
    writeFileSync(join(dir.path, "gone.onnx"), junk);
    const digest = createHash("sha256").update(junk).digest("hex");
    const withJunk = { ...config, stages, models: { primary: { path: "gone.onnx", sha256: digest } } };
    writeFileSync(join(dir.path, "guard.yaml"), serializeGuardFile(withJunk));
    await rejectsWithCode(loadGuard(join(dir.path, "guard.yaml")), "EW_ERR_MODEL_LOAD");
  });
});
