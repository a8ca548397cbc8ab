import { createHash, generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import type { ErrorCode } from "../../src/errors/index.ts";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import type { OmsBundle } from "../../src/oms/bundle.ts";
import { generateSigningKey } from "../../src/oms/keys.ts";
import { signModel } from "../../src/oms/sign.ts";
import { verifyModel } from "../../src/oms/verify.ts";
import {
  clone,
  publisher,
  randomModel,
  resign,
  type BundleJson,
  type ResourceJson,
  type StatementJson,
} from "./helpers.ts";

const S = 65_536;
const SIZE = 3 * S + 100; // four shards, the last one short

describe("verifyModel rejects every altered input with its own code", () => {
  const { privateKeyPem, publicKeyPem } = publisher();
  const data = randomModel(SIZE);
  let bundle: OmsBundle;
  before(async () => {
    bundle = await signModel({ data, name: "model.onnx", privateKey: privateKeyPem, shardSize: S });
  });
  const verify = (b: unknown, model: Uint8Array = data, publicKey: string = publicKeyPem) =>
    verifyModel({ bundle: b, publicKey, data: model });
  const tampered = (change: (b: BundleJson) => void): BundleJson => {
    const copy = clone(bundle);
    change(copy);
    return copy;
  };
  /** Sets the subject digest to hash the (changed) resources, so only the later checks can object. */
  const consistent = (st: StatementJson): StatementJson => {
    const digests = res(st).map((r) => Buffer.from(r.digest, "hex"));
    st.subject[0]!.digest.sha256 = createHash("sha256").update(Buffer.concat(digests)).digest("hex");
    return st;
  };

  it("the untouched bundle verifies (the baseline every case below departs from)", async () => {
    await verify(bundle);
  });

  it("when the key is another publisher's, rejects with EW_ERR_SIG_KEY_MISMATCH, or EW_ERR_SIG_INVALID without a hint", async () => {
    const other = generateSigningKey().publicKeyPem;
    await rejectsWithCode(verify(bundle, data, other), "EW_ERR_SIG_KEY_MISMATCH");
    const noHint = tampered((b) => delete b.verificationMaterial.publicKey!.hint);
    await verify(noHint);
    await rejectsWithCode(verify(noHint, data, other), "EW_ERR_SIG_INVALID");
  });

  it("when the verifying key is not P-256, rejects with EW_ERR_SIG_KEY_INVALID", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    await rejectsWithCode(verifyModel({ bundle, publicKey, data }), "EW_ERR_SIG_KEY_INVALID");
    await rejectsWithCode(
      verifyModel({ bundle, publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(), data }),
      "EW_ERR_SIG_KEY_INVALID",
    );
    await rejectsWithCode(signModel({ data, name: "m", privateKey }), "EW_ERR_SIG_KEY_INVALID");
  });

  it("when one model byte is flipped, or the model is cut or extended, rejects with EW_ERR_SIG_DIGEST_MISMATCH", async () => {
    for (const at of [0, S - 1, S, SIZE - 1]) {
      const flipped = Buffer.from(data);
      flipped[at]! ^= 0x01;
      await rejectsWithCode(verify(bundle, flipped), "EW_ERR_SIG_DIGEST_MISMATCH");
    }
    await rejectsWithCode(verify(bundle, data.subarray(0, SIZE - 1)), "EW_ERR_SIG_DIGEST_MISMATCH");
    await rejectsWithCode(verify(bundle, Buffer.concat([data, Buffer.from([0])])), "EW_ERR_SIG_DIGEST_MISMATCH");
    using dir = tempDir();
    const path = join(dir.path, "model.onnx");
    const flipped = Buffer.from(data);
    flipped[SIZE >> 1]! ^= 0x80;
    writeFileSync(path, flipped);
    await rejectsWithCode(verifyModel({ bundle, publicKey: publicKeyPem, path }), "EW_ERR_SIG_DIGEST_MISMATCH");
  });

  it("when a precomputed shard digest is wrong, missing or extra, rejects with EW_ERR_SIG_DIGEST_MISMATCH", async () => {
    const digests = [0, 1, 2, 3].map((i) =>
      createHash("sha256")
        .update(data.subarray(i * S, (i + 1) * S))
        .digest(),
    );
    await verifyModel({ bundle, publicKey: publicKeyPem, shardDigests: digests });
    const wrong = digests.map((d) => Buffer.from(d));
    wrong[2]![0]! ^= 1;
    const cases = [wrong, digests.slice(0, 3), [...digests, digests[0]!], []];
    for (const shardDigests of cases)
      await rejectsWithCode(
        verifyModel({ bundle, publicKey: publicKeyPem, shardDigests }),
        "EW_ERR_SIG_DIGEST_MISMATCH",
      );
  });

  it("when a signature byte is flipped, rejects with EW_ERR_SIG_INVALID", async () => {
    const sig = Buffer.from(bundle.dsseEnvelope.signatures[0].sig, "base64");
    for (const at of [0, 4, sig.length >> 1, sig.length - 1]) {
      const bad = Buffer.from(sig);
      bad[at]! ^= 0x01;
      await rejectsWithCode(
        verify(tampered((b) => (env(b).signatures[0]!.sig = bad.toString("base64")))),
        "EW_ERR_SIG_INVALID",
      );
    }
  });

  it("when the statement is changed without signing it again, rejects with EW_ERR_SIG_INVALID", async () => {
    const payload = Buffer.from(bundle.dsseEnvelope.payload, "base64");
    const changed = Buffer.from(payload.toString("utf8").replace("model.onnx", "other.onnx"), "utf8");
    await rejectsWithCode(verify(tampered((b) => (env(b).payload = changed.toString("base64")))), "EW_ERR_SIG_INVALID");
  });

  it("when the payload type is not in-toto, signed or not, rejects with EW_ERR_OMS_PAYLOAD_TYPE", async () => {
    await rejectsWithCode(
      verify(tampered((b) => (env(b).payloadType = "application/json"))),
      "EW_ERR_OMS_PAYLOAD_TYPE",
    );
    await rejectsWithCode(verify(resign(bundle, () => {}, { payloadType: "text/plain" })), "EW_ERR_OMS_PAYLOAD_TYPE");
  });

  // Each of these is signed again, so the signature holds and the statement check must object.
  const signedStatements: [string, (st: StatementJson) => StatementJson | void, ErrorCode][] = [
    [
      "the predicate type is another",
      (st) => void (st.predicateType = "https://slsa.dev/provenance/v1"),
      "EW_ERR_OMS_PREDICATE",
    ],
    [
      "the predicate is the pre-1.0 one",
      (st) => void (st.predicateType = "https://model_signing/Digests/v0.1"),
      "EW_ERR_OMS_UNSUPPORTED",
    ],
    [
      "the statement type is another",
      (st) => void (st._type = "https://in-toto.io/Statement/v0.1"),
      "EW_ERR_OMS_PREDICATE",
    ],
    ["resources is missing", (st) => void delete st.predicate.resources, "EW_ERR_OMS_PREDICATE"],
    ["serialization is missing", (st) => void delete st.predicate.serialization, "EW_ERR_OMS_PREDICATE"],
    ["there are two subjects", (st) => void st.subject.push(st.subject[0]!), "EW_ERR_OMS_PREDICATE"],
    [
      "the subject digest does not hash the resources",
      (st) => void (st.subject[0]!.digest.sha256 = "0".repeat(64)),
      "EW_ERR_OMS_PREDICATE",
    ],
    [
      "a digest is upper case",
      (st) => void (res(st)[0]!.digest = res(st)[0]!.digest.toUpperCase()),
      "EW_ERR_OMS_PREDICATE",
    ],
    ["the hash type is BLAKE2", (st) => void (ser(st).hash_type = "blake2"), "EW_ERR_OMS_UNSUPPORTED"],
    ["the method is unknown", (st) => void (ser(st).method = "tensors"), "EW_ERR_OMS_UNSUPPORTED"],
    ["the shard size is not an integer", (st) => void (ser(st).shard_size = "65536"), "EW_ERR_OMS_PREDICATE"],
    [
      "a resource algorithm disagrees with the shard size",
      (st) => void (res(st)[1]!.algorithm = "sha256"),
      "EW_ERR_OMS_PREDICATE",
    ],
    ["a shard name has a leading zero", (st) => void (res(st)[0]!.name = ".:00:65536"), "EW_ERR_OMS_PREDICATE"],
    [
      "a shard is longer than the shard size",
      (st) => consistent(withShard(st, 3, ".:196608:262145")),
      "EW_ERR_OMS_PREDICATE",
    ],
    ["a shard is repeated", (st) => consistent(withExtra(st, res(st)[0]!)), "EW_ERR_OMS_PREDICATE"],
    ["a middle shard is missing", (st) => consistent(without(st, 1)), "EW_ERR_OMS_PREDICATE"],
    [
      "a shard belongs to another file (a directory model)",
      (st) => consistent(withShard(st, 0, "weights.bin:0:65536")),
      "EW_ERR_OMS_UNSUPPORTED",
    ],
    [
      "an extra shard is signed after the short last one",
      (st) => consistent(withExtra(st, shard(SIZE, SIZE + 5))),
      "EW_ERR_OMS_PREDICATE",
    ],
    [
      "the short last shard is signed as a full one",
      (st) => consistent(withShard(st, 3, ".:196608:262144")),
      "EW_ERR_SIG_DIGEST_MISMATCH",
    ],
    ["the last shard is missing", (st) => consistent(without(st, 3)), "EW_ERR_SIG_DIGEST_MISMATCH"],
    ["no resources are listed", (st) => consistent(without(st, 0, 4)), "EW_ERR_SIG_DIGEST_MISMATCH"],
  ];
  for (const [what, change, code] of signedStatements)
    it(`when ${what} (signed again), rejects with ${code}`, async () => {
      await rejectsWithCode(verify(resign(bundle, change)), code);
    });

  it("when the signed payload is not JSON, rejects with EW_ERR_OMS_PREDICATE", async () => {
    await rejectsWithCode(verify(resign(bundle, () => {}, { raw: Buffer.from("{not json") })), "EW_ERR_OMS_PREDICATE");
    await rejectsWithCode(
      verify(resign(bundle, () => {}, { raw: Buffer.from([0xff, 0xfe, 0x7b]) })),
      "EW_ERR_OMS_PREDICATE",
    );
  });

  const shapes: [string, (b: BundleJson) => unknown, ErrorCode][] = [
    ["the bundle is a string (unparsed JSON text)", (b) => JSON.stringify(b), "EW_ERR_OMS_BUNDLE_MALFORMED"],
    ["the bundle is null", () => null, "EW_ERR_OMS_BUNDLE_MALFORMED"],
    ["the bundle is an array", (b) => [b], "EW_ERR_OMS_BUNDLE_MALFORMED"],
    ["the media type is missing", (b) => void delete b.mediaType, "EW_ERR_OMS_BUNDLE_MALFORMED"],
    [
      "the media type is an older bundle",
      (b) => void (b.mediaType = "application/vnd.dev.sigstore.bundle+json;version=0.2"),
      "EW_ERR_OMS_UNSUPPORTED",
    ],
    ["the envelope is missing", (b) => void delete b.dsseEnvelope, "EW_ERR_OMS_BUNDLE_MALFORMED"],
    ["the payload is not base64", (b) => void (env(b).payload = "%%%%"), "EW_ERR_OMS_BUNDLE_MALFORMED"],
    [
      "the payload is base64 with a stray character",
      (b) => void (env(b).payload = `*${env(b).payload.slice(1)}`),
      "EW_ERR_OMS_BUNDLE_MALFORMED",
    ],
    ["the payload is empty", (b) => void (env(b).payload = ""), "EW_ERR_OMS_BUNDLE_MALFORMED"],
    ["there is no signature", (b) => void (env(b).signatures = []), "EW_ERR_OMS_BUNDLE_MALFORMED"],
    ["there are two signatures", (b) => void env(b).signatures.push(env(b).signatures[0]!), "EW_ERR_OMS_UNSUPPORTED"],
    ["the signature is a number", (b) => void (env(b).signatures[0]!.sig = 7), "EW_ERR_OMS_BUNDLE_MALFORMED"],
    ["the public key is missing", (b) => void delete b.verificationMaterial.publicKey, "EW_ERR_OMS_BUNDLE_MALFORMED"],
    ["the hint is a number", (b) => void (b.verificationMaterial.publicKey!.hint = 5), "EW_ERR_OMS_BUNDLE_MALFORMED"],
    [
      "a certificate replaces the key",
      (b) => void (b.verificationMaterial = { certificate: { rawBytes: "MIIB" }, tlogEntries: [] }),
      "EW_ERR_OMS_UNSUPPORTED",
    ],
    [
      "a certificate chain is added",
      (b) => void (b.verificationMaterial.x509CertificateChain = { certificates: [] }),
      "EW_ERR_OMS_UNSUPPORTED",
    ],
    [
      "a transparency log entry is added",
      (b) => void b.verificationMaterial.tlogEntries.push({ logIndex: "1" }),
      "EW_ERR_OMS_UNSUPPORTED",
    ],
    [
      "a message signature replaces the envelope",
      (b) => void (b.messageSignature = { signature: "AA==" }),
      "EW_ERR_OMS_UNSUPPORTED",
    ],
  ];
  for (const [what, change, code] of shapes)
    it(`when ${what}, rejects with ${code}`, async () => {
      const copy = clone(bundle);
      const replaced: unknown = change(copy);
      await rejectsWithCode(verify(replaced === undefined ? copy : replaced), code);
    });
});

function res(st: StatementJson): ResourceJson[] {
  return st.predicate.resources!;
}
function ser(st: StatementJson): Record<string, unknown> {
  return st.predicate.serialization!;
}
function env(b: BundleJson): NonNullable<BundleJson["dsseEnvelope"]> {
  return b.dsseEnvelope!;
}
function shard(start: number, end: number): ResourceJson {
  return { algorithm: `sha256-sharded-${S}`, digest: "ab".repeat(32), name: `.:${start}:${end}` };
}
function withExtra(st: StatementJson, resource: ResourceJson): StatementJson {
  res(st).push(resource);
  return st;
}
function withShard(st: StatementJson, index: number, name: string): StatementJson {
  res(st)[index]!.name = name;
  return st;
}
function without(st: StatementJson, index: number, count = 1): StatementJson {
  res(st).splice(index, count);
  return st;
}
