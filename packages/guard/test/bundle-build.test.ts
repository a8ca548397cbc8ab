// The publisher's guard bundle (docs/guard.md, "The guard in a release"): the shipped guard file with its models,
// each checked against the guard file's digest, and the release model left out.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { buildGuardBundle, unpackGuardBundle } from "../src/index.ts";

const MODELS = fileURLToPath(new URL("../models/", import.meta.url));
const GUARD = join(MODELS, "guard.yaml");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** A copy of the shipped guard file and models in `dir`, with `edit` applied to the guard file's text. */
async function copyGuard(dir: string, edit: (text: string) => string = (t) => t): Promise<string> {
  for (const name of ["cnn.onnx", "mlp.onnx"]) await copyFile(join(MODELS, name), join(dir, name));
  await writeFile(join(dir, "guard.yaml"), edit(await readFile(GUARD, "utf8")));
  return join(dir, "guard.yaml");
}

describe("buildGuardBundle", () => {
  it("with cnn.onnx as the release model, packs guard.yaml and mlp.onnx (once) and names the guard file's digest", async () => {
    const built = await buildGuardBundle(GUARD, { releaseModel: join(MODELS, "cnn.onnx") });
    const guardBytes = await readFile(GUARD);
    assert.equal(built.configSha256, sha256(guardBytes));
    assert.equal(built.releaseModelSha256, sha256(await readFile(join(MODELS, "cnn.onnx"))));
    assert.deepEqual(built.models, ["mlp.onnx"]);
    assert.deepEqual(built.omitted, ["cnn.onnx"]);
    const files = unpackGuardBundle(built.bundle);
    assert.deepEqual([...files.keys()], ["guard.yaml", "mlp.onnx"]);
    assert.deepEqual(files.get("guard.yaml"), new Uint8Array(guardBytes));
    assert.deepEqual(files.get("mlp.onnx"), new Uint8Array(await readFile(join(MODELS, "mlp.onnx"))));
  });

  it("with another release model, packs every model the guard file names", async () => {
    using dir = tempDir();
    await writeFile(join(dir.path, "other.onnx"), "not a guard model");
    const built = await buildGuardBundle(GUARD, { releaseModel: join(dir.path, "other.onnx") });
    assert.deepEqual([...unpackGuardBundle(built.bundle).keys()], ["cnn.onnx", "guard.yaml", "mlp.onnx"]);
    assert.deepEqual(built.omitted, []);
  });

  it("when a model differs from its digest in the guard file, rejects with EW_ERR_GUARD_MODEL_DIGEST", async () => {
    using dir = tempDir();
    const guard = await copyGuard(dir.path);
    const mlp = await readFile(join(dir.path, "mlp.onnx"));
    mlp[500] = (mlp[500] ?? 0) ^ 0x80;
    await writeFile(join(dir.path, "mlp.onnx"), mlp);
    await rejectsWithCode(
      buildGuardBundle(guard, { releaseModel: join(MODELS, "cnn.onnx") }),
      "EW_ERR_GUARD_MODEL_DIGEST",
    );
  });

  it("refuses a model path with a folder (EW_ERR_GUARD_BUNDLE), a missing model or release model (EW_ERR_IO) and a bad guard file (EW_ERR_GUARD_FILE)", async () => {
    using dir = tempDir();
    const releaseModel = join(MODELS, "cnn.onnx");
    const nested = await copyGuard(dir.path, (t) => t.replaceAll("path: mlp.onnx", "path: models/mlp.onnx"));
    await rejectsWithCode(buildGuardBundle(nested, { releaseModel }), "EW_ERR_GUARD_BUNDLE");
    const missing = await copyGuard(dir.path, (t) => t.replaceAll("path: mlp.onnx", "path: gone.onnx"));
    await rejectsWithCode(buildGuardBundle(missing, { releaseModel }), "EW_ERR_IO");
    await rejectsWithCode(buildGuardBundle(GUARD, { releaseModel: join(dir.path, "nope.onnx") }), "EW_ERR_IO");
    await rejectsWithCode(buildGuardBundle(join(dir.path, "nope.yaml"), { releaseModel }), "EW_ERR_IO");
    const broken = await copyGuard(dir.path, (t) => t.replace("version: 1", "version: 2"));
    await rejectsWithCode(buildGuardBundle(broken, { releaseModel }), "EW_ERR_GUARD_FILE");
  });
});
