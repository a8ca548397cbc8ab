import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { rejectsWithCode } from "@edgeward/testkit";
import { parse } from "yaml";
import {
  createGuard,
  enabledStages,
  guardDigest,
  loadGuardFromBundle,
  packGuardBundle,
  unpackGuardBundle,
} from "../src/index.ts";
import { MODELS_DIR, reference } from "./models.ts";

// The shipped guard file names cnn.onnx (primary) and mlp.onnx (second, fallback). As a release's guard, with the
// CNN as the release's model, the bundle holds guard.yaml and mlp.onnx only (contract section 1).
const shipped = (name: string) => new Uint8Array(readFileSync(`${MODELS_DIR}${name}`));
const yamlDigest = guardDigest(shipped("guard.yaml"));
// The stages configured in the YAML itself, read without the guard package.
const yamlStages = Object.keys(
  (parse(Buffer.from(shipped("guard.yaml")).toString("utf8")) as { stages: object }).stages,
);
const cnn = shipped("cnn.onnx");
const releaseModel = { sha256: createHash("sha256").update(cnn).digest("hex"), bytes: cnn };
const bundle = (extra: Record<string, Uint8Array> = {}) =>
  new Map(Object.entries({ "guard.yaml": shipped("guard.yaml"), "mlp.onnx": shipped("mlp.onnx"), ...extra }));
const allZero = (files: ReadonlyMap<string, Uint8Array>) => [...files.values()].every((b) => b.every((v) => v === 0));

describe("loading a guard from an unpacked bundle in memory", () => {
  it("loads guard.yaml and its models (the release's model from its bytes) and the guard decides as from files", async () => {
    const files = bundle();
    const loaded = await loadGuardFromBundle(files, { expectedDigest: yamlDigest, releaseModel });
    try {
      assert.equal(loaded.digest, yamlDigest);
      assert.deepEqual(enabledStages(loaded.config), yamlStages);
      for (const [name, model] of [
        ["cnn", loaded.models.primary],
        ["mlp", loaded.models.second],
      ] as const) {
        const ref = reference(name);
        const logits = await model!.predict(ref.images);
        logits.forEach((row, n) => row.forEach((v, k) => assert.ok(Math.abs(v - ref.logits[n]![k]!) < 1e-4, name)));
      }
      const image = reference("cnn").images[3]!;
      const guard = createGuard(loaded.config, loaded.models);
      const result = await guard.check({ kind: "tensor", data: image.pixels, dims: [1, 1, 28, 28] }, { clientId: "t" });
      assert.equal(result.decision, "accept", JSON.stringify(result.reasons));
      assert.ok(allZero(files), "every plaintext buffer of the bundle is zeroed once loaded");
      assert.ok(!cnn.every((v) => v === 0), "the release's model stays the caller's");
    } finally {
      await loaded.close();
    }
  });

  it("takes every model from a packed and unpacked bundle when no release model is given", async () => {
    const files = unpackGuardBundle(packGuardBundle(bundle({ "cnn.onnx": shipped("cnn.onnx") })));
    const loaded = await loadGuardFromBundle(files, { expectedDigest: yamlDigest });
    await loaded.close();
    assert.ok(allZero(files));
  });

  it("when guard.yaml does not hash to the release's digest, rejects with EW_ERR_GUARD_DIGEST and zeroes the bundle", async () => {
    const files = bundle();
    await rejectsWithCode(
      loadGuardFromBundle(files, { expectedDigest: "0".repeat(64), releaseModel }),
      "EW_ERR_GUARD_DIGEST",
    );
    assert.ok(allZero(files));
  });

  it("when a bundled model is not the one guard.yaml names, rejects with EW_ERR_GUARD_MODEL_DIGEST and zeroes the bundle", async () => {
    const files = bundle({ "mlp.onnx": shipped("cnn.onnx") });
    await rejectsWithCode(
      loadGuardFromBundle(files, { expectedDigest: yamlDigest, releaseModel }),
      "EW_ERR_GUARD_MODEL_DIGEST",
    );
    assert.ok(allZero(files));
  });

  it("when the release's model is another one, the guard's primary must come from the bundle: EW_ERR_GUARD_BUNDLE", async () => {
    const other = shipped("mlp.onnx");
    const wrong = { sha256: createHash("sha256").update(other).digest("hex"), bytes: other };
    await rejectsWithCode(
      loadGuardFromBundle(bundle(), { expectedDigest: yamlDigest, releaseModel: wrong }),
      "EW_ERR_GUARD_BUNDLE",
    );
  });

  it("a release model whose bytes do not hash to its stated digest is refused: EW_ERR_GUARD_MODEL_DIGEST", async () => {
    const lying = { sha256: releaseModel.sha256, bytes: shipped("mlp.onnx") };
    await rejectsWithCode(
      loadGuardFromBundle(bundle(), { expectedDigest: yamlDigest, releaseModel: lying }),
      "EW_ERR_GUARD_MODEL_DIGEST",
    );
  });

  it("a bundle without guard.yaml is refused: EW_ERR_GUARD_BUNDLE", async () => {
    const files = new Map([["mlp.onnx", shipped("mlp.onnx")]]);
    await rejectsWithCode(loadGuardFromBundle(files, { expectedDigest: yamlDigest }), "EW_ERR_GUARD_BUNDLE");
    assert.ok(allZero(files));
  });
});
