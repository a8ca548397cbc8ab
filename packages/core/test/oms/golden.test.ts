// Conformance with sigstore/model-transparency (the OMS reference implementation), from its own test data.
// Source: https://github.com/sigstore/model-transparency at e3430730bca924e672b2e59f10524a7ffb5adf79, files listed
// in vectors/model-transparency/SOURCE.md (scripts/tests/v1.{0,1}.0-elliptic-key/, tests/_signing/testdata/).
import assert from "node:assert/strict";
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { rejectsWithCode, throwsWithCode } from "@edgeward/testkit";
import { encodeStatement, parseStatement } from "../../src/oms/statement.ts";
import { buildShardStatement } from "../../src/oms/sign.ts";
import { bundleShardSize, checkModel, verifyBundle, verifyModel } from "../../src/oms/verify.ts";
import type { StatementJson } from "./helpers.ts";

const V = new URL("./vectors/model-transparency/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, V));
const json = (name: string): unknown => JSON.parse(read(name).toString("utf8"));
/** The fixture behind the `sample_model_file` payloads (tests/test_support.py KNOWN_MODEL_TEXT). */
const KNOWN_MODEL_TEXT = Buffer.from("This is a simple model");

describe("model-transparency golden vectors", () => {
  // The upstream test key is P-384; certtool prefixed a text dump, which createPublicKey skips.
  const upstreamKey: KeyObject = createPublicKey(read("signing-key-pub.pem"));
  const signme1 = read("signme-1");
  const signme2 = read("signme-2");

  it("the v1.0.0 key-signed single-file bundle verifies, and its model's bytes match (files method)", async () => {
    const bundle = json("v1.0.0-elliptic-key.model.sig");
    const statement = verifyBundle(bundle, upstreamKey);
    assert.equal(statement.name, "signme-1");
    assert.equal(statement.method, "files");
    assert.deepEqual(statement.resources, [
      { name: ".", algorithm: "sha256", digest: createHash("sha256").update(signme1).digest("hex") },
    ]);
    assert.equal(await checkModel(statement, { data: signme1 }), signme1.length);
    assert.equal(await checkModel(statement, { path: fileURLToPath(new URL("signme-1", V)) }), signme1.length);
    await rejectsWithCode(checkModel(statement, { data: signme2 }), "EW_ERR_SIG_DIGEST_MISMATCH");
    // A files bundle has no shard size a decryptor could hash at.
    assert.equal(bundleShardSize(bundle), undefined);
  });

  it("the v1.1.0 key-signed bundle verifies with its hint; its directory model is reported unsupported", async () => {
    const bundle = json("v1.1.0-elliptic-key.model.sig");
    const statement = verifyBundle(bundle, upstreamKey);
    assert.equal(statement.name, "v1.1.0-elliptic-key");
    const digest = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    assert.deepEqual(
      statement.resources.map((r) => [r.name, r.digest]),
      [
        ["signme-1", digest(signme1)],
        ["signme-2", digest(signme2)],
      ],
    );
    await rejectsWithCode(checkModel(statement, { data: signme1 }), "EW_ERR_OMS_UNSUPPORTED");
  });

  it("with another P-384 key, the v1.1.0 bundle's hint rejects it with EW_ERR_SIG_KEY_MISMATCH", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    throwsWithCode(() => verifyBundle(json("v1.1.0-elliptic-key.model.sig"), publicKey), "EW_ERR_SIG_KEY_MISMATCH");
    throwsWithCode(() => verifyBundle(json("v1.0.0-elliptic-key.model.sig"), publicKey), "EW_ERR_SIG_INVALID");
  });

  it("verifyModel applies Edgeward's key policy and refuses the P-384 upstream key with EW_ERR_SIG_KEY_INVALID", async () => {
    const bundle = json("v1.0.0-elliptic-key.model.sig");
    await rejectsWithCode(verifyModel({ bundle, publicKey: upstreamKey, data: signme1 }), "EW_ERR_SIG_KEY_INVALID");
  });

  const shardPayloads = [
    { file: "sample_model_file_shard", name: "file_model", data: KNOWN_MODEL_TEXT, shardSize: 1_000_000_000 },
    { file: "sample_model_file_small_shards", name: "file_model", data: KNOWN_MODEL_TEXT, shardSize: 8 },
    { file: "empty_model_file_shard", name: "empty_file_model", data: Buffer.alloc(0), shardSize: 1_000_000_000 },
    { file: "empty_model_file_small_shards", name: "empty_file_model", data: Buffer.alloc(0), shardSize: 8 },
  ];
  for (const { file, name, data, shardSize } of shardPayloads)
    it(`our shards statement for ${file} equals upstream's golden payload`, async () => {
      const golden = json(`payloads/${file}.json`) as StatementJson;
      const ours = await buildShardStatement(name, { kind: "bytes", data }, data.length, shardSize);
      const encoded = JSON.parse(encodeStatement(ours).toString("utf8")) as StatementJson;
      // The fixtures were hashed with allow_symlinks=true; Edgeward refuses links and says false.
      encoded.predicate.serialization!.allow_symlinks = golden.predicate.serialization!.allow_symlinks;
      assert.deepEqual(encoded, golden);
      const parsed = parseStatement(read(`payloads/${file}.json`));
      assert.deepEqual(parsed, ours);
      assert.equal(await checkModel(parsed, { data }), data.length);
    });

  for (const file of ["sample_model_file", "empty_model_file"])
    it(`upstream's files payload ${file} parses and checks against its fixture`, async () => {
      const data = file === "empty_model_file" ? Buffer.alloc(0) : KNOWN_MODEL_TEXT;
      const statement = parseStatement(read(`payloads/${file}.json`));
      assert.equal(statement.method, "files");
      assert.equal(await checkModel(statement, { data }), data.length);
      const flipped = Buffer.from("this is a simple model");
      if (data.length > 0)
        await rejectsWithCode(checkModel(statement, { data: flipped }), "EW_ERR_SIG_DIGEST_MISMATCH");
    });

  it("upstream's sharded directory payload parses, and is reported unsupported as a model", async () => {
    const statement = parseStatement(read("payloads/sample_model_folder_shard.json"));
    assert.equal(statement.resources[0]?.name, "d0/f00:0:23");
    await rejectsWithCode(checkModel(statement, { data: KNOWN_MODEL_TEXT }), "EW_ERR_OMS_UNSUPPORTED");
  });
});
