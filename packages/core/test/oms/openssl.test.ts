// OpenSSL as the second implementation: it checks our DSSE signatures and shard digests, and signs for our verifier.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { buildBundle } from "../../src/oms/bundle.ts";
import { publicKeyHint, loadPublicKey } from "../../src/oms/keys.ts";
import { signModel } from "../../src/oms/sign.ts";
import { verifyModel } from "../../src/oms/verify.ts";
import { publisher, randomModel, resign, statementOf } from "./helpers.ts";

const PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** DSSE v1 PAE written out independently of src/oms/dsse.ts (DSSE protocol.md, "Signature definition"). */
function paeByHand(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 28 ${PAYLOAD_TYPE} ${payload.length} `, "ascii"), payload]);
}

function openssl(args: string[]): { status: number; stdout: Buffer } {
  const run = spawnSync("openssl", args);
  return { status: run.status ?? -1, stdout: run.stdout };
}

describe("cross-checked with openssl", () => {
  const keys = publisher();

  it("openssl dgst -verify accepts the DSSE signature over the PAE, and refuses a changed PAE", async () => {
    using dir = tempDir();
    const bundle = await signModel({ data: randomModel(70_000), name: "m.onnx", privateKey: keys.privateKeyPem });
    const payload = Buffer.from(bundle.dsseEnvelope.payload, "base64");
    const files = { pub: join(dir.path, "pub.pem"), sig: join(dir.path, "sig.der"), pae: join(dir.path, "pae.bin") };
    writeFileSync(files.pub, keys.publicKeyPem);
    writeFileSync(files.sig, Buffer.from(bundle.dsseEnvelope.signatures[0].sig, "base64"));
    writeFileSync(files.pae, paeByHand(payload));
    const args = ["dgst", "-sha256", "-verify", files.pub, "-signature", files.sig, files.pae];
    const ok = openssl(args);
    assert.equal(ok.status, 0);
    assert.match(ok.stdout.toString(), /Verified OK/);
    writeFileSync(files.pae, paeByHand(Buffer.concat([payload, Buffer.from(" ")])));
    assert.notEqual(openssl(args).status, 0);
  });

  it("a bundle whose signature openssl made over the PAE verifies; with the wrong payload it does not", async () => {
    using dir = tempDir();
    const data = randomModel(3 * 65_536 + 1);
    const ours = await signModel({ data, name: "m.onnx", privateKey: keys.privateKeyPem, shardSize: 65_536 });
    const payload = Buffer.from(ours.dsseEnvelope.payload, "base64");
    const keyFile = join(dir.path, "key.pem");
    const paeFile = join(dir.path, "pae.bin");
    writeFileSync(keyFile, keys.privateKeyPem, { mode: 0o600 });
    writeFileSync(paeFile, paeByHand(payload));
    const sig = execFileSync("openssl", ["dgst", "-sha256", "-sign", keyFile, paeFile]);
    const hint = publicKeyHint(loadPublicKey(keys.publicKeyPem));
    const bundle = buildBundle(PAYLOAD_TYPE, payload, sig, hint);
    assert.equal((await verifyModel({ bundle, publicKey: keys.publicKeyPem, data })).size, data.length);
    const other = resign(ours, (st) => void (st.subject[0]!.name = "other"));
    const swapped = buildBundle(PAYLOAD_TYPE, Buffer.from(other.dsseEnvelope.payload, "base64"), sig, hint);
    await rejectsWithCode(verifyModel({ bundle: swapped, publicKey: keys.publicKeyPem, data }), "EW_ERR_SIG_INVALID");
  });

  for (const { size, shardSize } of [
    { size: 3 * 65_536 + 100, shardSize: 65_536 },
    { size: 5 * 1_048_576 + 3, shardSize: 1_048_576 },
  ])
    it(`each shard digest of a ${size}-byte model equals openssl dgst of its dd-cut slice, and so does the subject`, async () => {
      using dir = tempDir();
      const path = join(dir.path, "model.bin");
      writeFileSync(path, randomModel(size));
      const statement = statementOf(
        await signModel({ path, name: "model.bin", privateKey: keys.privateKeyPem, shardSize }),
      );
      const count = Math.ceil(size / shardSize);
      const binaries: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        const slice = execFileSync("sh", [
          "-c",
          `dd if="$1" bs=${shardSize} skip=${i} count=1 status=none | openssl dgst -sha256 -binary`,
          "sh",
          path,
        ]);
        binaries.push(slice);
        const end = Math.min((i + 1) * shardSize, size);
        assert.deepEqual(statement.predicate.resources?.[i], {
          algorithm: `sha256-sharded-${shardSize}`,
          digest: slice.toString("hex"),
          name: `.:${i * shardSize}:${end}`,
        });
      }
      assert.equal(statement.predicate.resources?.length, count);
      const subject = execFileSync("openssl", ["dgst", "-sha256", "-binary"], { input: Buffer.concat(binaries) });
      assert.equal(statement.subject[0]?.digest.sha256, subject.toString("hex"));
    });
});
