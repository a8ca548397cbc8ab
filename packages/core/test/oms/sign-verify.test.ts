import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { serializeBundle } from "../../src/oms/bundle.ts";
import { DEFAULT_SHARD_SIZE, IN_TOTO_PAYLOAD_TYPE, OMS_PREDICATE_TYPE } from "../../src/oms/constants.ts";
import { loadPrivateKey, loadPublicKey, publicKeyHint } from "../../src/oms/keys.ts";
import { signModel } from "../../src/oms/sign.ts";
import { bundleShardSize, verifyModel } from "../../src/oms/verify.ts";
import { publisher, randomModel, statementOf } from "./helpers.ts";

const KIB64 = 65_536;

/** SHA-256 of each shard [i·S, min((i+1)·S, n)) — what the age decryptor reports while it decrypts. */
function shardDigestsOf(data: Uint8Array, shardSize: number): Buffer[] {
  const out: Buffer[] = [];
  for (let start = 0; start < data.length; start += shardSize)
    out.push(
      createHash("sha256")
        .update(data.subarray(start, start + shardSize))
        .digest(),
    );
  return out;
}

describe("signModel and verifyModel round trip", () => {
  const { privateKeyPem, publicKeyPem } = publisher();
  // Sizes around shard edges; the last two exceed the inline limit, so the worker pool hashes them.
  const cases = [
    { size: 0, shardSize: KIB64 },
    { size: 1, shardSize: KIB64 },
    { size: KIB64 - 1, shardSize: KIB64 },
    { size: KIB64, shardSize: KIB64 },
    { size: KIB64 + 1, shardSize: KIB64 },
    { size: 3 * KIB64 + 17, shardSize: KIB64 },
    { size: 5 * 1024 * 1024 + 17, shardSize: 16 * KIB64 },
    { size: 12 * 1024 * 1024, shardSize: 16 * KIB64 },
  ];

  for (const { size, shardSize } of cases) {
    it(`a ${size}-byte model at shard size ${shardSize} verifies from a file, from memory and from shard digests`, async () => {
      using dir = tempDir();
      const data = randomModel(size);
      const path = join(dir.path, "model.onnx");
      writeFileSync(path, data);
      const fromFile = await signModel({ path, name: "model.onnx", privateKey: privateKeyPem, shardSize });
      const fromMemory = await signModel({
        data,
        name: "model.onnx",
        privateKey: loadPrivateKey(privateKeyPem),
        shardSize,
      });
      // ECDSA signatures are randomised, but the signed statement is a function of the bytes alone.
      assert.equal(fromFile.dsseEnvelope.payload, fromMemory.dsseEnvelope.payload);

      const bundle: unknown = JSON.parse(serializeBundle(fromFile));
      const shared = new Uint8Array(new SharedArrayBuffer(size + 10), 5, size);
      shared.set(data);
      const results = [
        await verifyModel({ bundle, publicKey: publicKeyPem, path }),
        await verifyModel({ bundle, publicKey: loadPublicKey(publicKeyPem), data }),
        await verifyModel({ bundle, publicKey: publicKeyPem, data: shared }),
        await verifyModel({ bundle, publicKey: publicKeyPem, shardDigests: shardDigestsOf(data, shardSize) }),
        await verifyModel({ bundle, publicKey: publicKeyPem, data, shardDigests: shardDigestsOf(data, shardSize) }),
      ];
      for (const result of results) assert.deepEqual(result, results[0]);
      const first = results[0]!;
      assert.equal(first.size, size);
      assert.equal(first.method, "shards");
      assert.equal(first.shardSize, shardSize);
      assert.equal(first.resources.length, Math.ceil(size / shardSize));
      assert.equal(bundleShardSize(bundle), shardSize);
    });
  }

  it("writes the OMS v1.0 structure: bundle v0.3, hint, in-toto statement, shard resources, subject over them", async () => {
    const data = randomModel(2 * KIB64 + 5);
    const bundle = await signModel({ data, name: "det.onnx", privateKey: privateKeyPem, shardSize: KIB64 });
    assert.deepEqual(Object.keys(bundle), ["mediaType", "verificationMaterial", "dsseEnvelope"]);
    assert.equal(bundle.mediaType, "application/vnd.dev.sigstore.bundle.v0.3+json");
    assert.deepEqual(bundle.verificationMaterial, {
      publicKey: { hint: publicKeyHint(loadPublicKey(publicKeyPem)) },
      tlogEntries: [],
    });
    assert.equal(bundle.dsseEnvelope.payloadType, IN_TOTO_PAYLOAD_TYPE);
    assert.equal(bundle.dsseEnvelope.signatures.length, 1);
    assert.equal(bundle.dsseEnvelope.signatures[0].keyid, "");

    const statement = statementOf(bundle);
    assert.equal(statement._type, "https://in-toto.io/Statement/v1");
    assert.equal(statement.predicateType, OMS_PREDICATE_TYPE);
    assert.deepEqual(statement.predicate.serialization, {
      method: "shards",
      hash_type: "sha256",
      allow_symlinks: false,
      shard_size: KIB64,
    });
    const digests = shardDigestsOf(data, KIB64);
    assert.deepEqual(statement.predicate.resources, [
      { algorithm: "sha256-sharded-65536", digest: digests[0]!.toString("hex"), name: ".:0:65536" },
      { algorithm: "sha256-sharded-65536", digest: digests[1]!.toString("hex"), name: ".:65536:131072" },
      { algorithm: "sha256-sharded-65536", digest: digests[2]!.toString("hex"), name: ".:131072:131077" },
    ]);
    const subject = createHash("sha256").update(Buffer.concat(digests)).digest("hex");
    assert.deepEqual(statement.subject, [{ name: "det.onnx", digest: { sha256: subject } }]);
  });

  it("uses 16 MiB shards by default", async () => {
    const data = randomModel(DEFAULT_SHARD_SIZE + 1);
    const bundle = await signModel({ data, name: "m", privateKey: privateKeyPem });
    assert.equal(DEFAULT_SHARD_SIZE, 16 * 1024 * 1024);
    assert.equal(bundleShardSize(bundle), DEFAULT_SHARD_SIZE);
    const result = await verifyModel({ bundle, publicKey: publicKeyPem, data });
    assert.deepEqual(
      result.resources.map((r) => r.name),
      [".:0:16777216", ".:16777216:16777217"],
    );
  });

  it("when the shard size is not a positive multiple of 65536, rejects with EW_ERR_OMS_SHARD_SIZE", async () => {
    for (const shardSize of [0, -KIB64, 1000, KIB64 + 1, 1.5 * KIB64, Number.NaN])
      await rejectsWithCode(
        signModel({ data: randomModel(10), name: "m", privateKey: privateKeyPem, shardSize }),
        "EW_ERR_OMS_SHARD_SIZE",
      );
  });

  it("when the model is a directory, a FIFO, a symbolic link or missing, signing rejects with its code", async () => {
    using dir = tempDir();
    const real = join(dir.path, "real.onnx");
    writeFileSync(real, "weights");
    symlinkSync(real, join(dir.path, "link.onnx"));
    mkdirSync(join(dir.path, "folder"));
    execFileSync("mkfifo", [join(dir.path, "fifo")]);
    const sign = (path: string) => signModel({ path, name: "m", privateKey: privateKeyPem });
    await rejectsWithCode(sign(join(dir.path, "folder")), "EW_ERR_OMS_UNSUPPORTED");
    await rejectsWithCode(sign(join(dir.path, "link.onnx")), "EW_ERR_OMS_UNSUPPORTED");
    await rejectsWithCode(sign(join(dir.path, "absent.onnx")), "EW_ERR_IO");
    await rejectsWithCode(sign(join(dir.path, "fifo")), "EW_ERR_OMS_UNSUPPORTED");
    const bundle = await sign(real);
    await rejectsWithCode(
      verifyModel({ bundle, publicKey: publicKeyPem, path: join(dir.path, "folder") }),
      "EW_ERR_OMS_UNSUPPORTED",
    );
    await rejectsWithCode(
      verifyModel({ bundle, publicKey: publicKeyPem, path: join(dir.path, "absent") }),
      "EW_ERR_IO",
    );
    await rejectsWithCode(
      verifyModel({ bundle, publicKey: publicKeyPem, path: join(dir.path, "fifo") }),
      "EW_ERR_OMS_UNSUPPORTED",
    );
    // Verifying follows the link: the bytes are what is checked.
    assert.equal((await verifyModel({ bundle, publicKey: publicKeyPem, path: join(dir.path, "link.onnx") })).size, 7);
  });

  it("when called with neither or both of path and data, rejects with EW_ERR_USAGE", async () => {
    const bundle = await signModel({ data: randomModel(10), name: "m", privateKey: privateKeyPem });
    await rejectsWithCode(verifyModel({ bundle, publicKey: publicKeyPem }), "EW_ERR_USAGE");
    await rejectsWithCode(
      verifyModel({ bundle, publicKey: publicKeyPem, path: "x", data: randomModel(10) }),
      "EW_ERR_USAGE",
    );
    await rejectsWithCode(signModel({ data: randomModel(1), name: "", privateKey: privateKeyPem }), "EW_ERR_USAGE");
  });

  it("when the signed name differs from the expected one, rejects with EW_ERR_SIG_NAME_MISMATCH", async () => {
    const data = randomModel(100);
    const bundle = await signModel({ data, name: "detector.onnx", privateKey: privateKeyPem });
    assert.equal(
      (await verifyModel({ bundle, publicKey: publicKeyPem, data, name: "detector.onnx" })).name,
      "detector.onnx",
    );
    await rejectsWithCode(
      verifyModel({ bundle, publicKey: publicKeyPem, data, name: "recogniser.onnx" }),
      "EW_ERR_SIG_NAME_MISMATCH",
    );
  });
});
