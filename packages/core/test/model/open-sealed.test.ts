import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { devNull } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rejectsWithCode, tempDir } from "@edgeward/testkit";
import { generateIdentity, parseIdentities } from "../../src/age/identities.ts";
import { parseRecipient } from "../../src/age/recipients.ts";
import { sealFile } from "../../src/age/seal.ts";
import { openSealedModel } from "../../src/model/open-sealed.ts";
import { serializeBundle } from "../../src/oms/bundle.ts";
import { generateSigningKey } from "../../src/oms/keys.ts";
import { signModel, signShardDigests } from "../../src/oms/sign.ts";
import { verifyModel } from "../../src/oms/verify.ts";

// openSealedModel (verify-then-return-plaintext) and sealing with read-back shard digests (seal --sign).
const SHARD = 1 << 20;
const device = generateIdentity("x25519");
const publisher = generateSigningKey();

async function sealed(dir: string, model: Uint8Array, shardSize = SHARD) {
  writeFileSync(join(dir, "model.bin"), model);
  const input = await open(join(dir, "model.bin"), "r");
  const output = await open(join(dir, "model.age"), "wx+");
  const discard = await open(devNull, "w");
  try {
    const recipients = [parseRecipient(device.recipient)];
    return await sealFile(input, output, recipients, { digest: { shardSize, discard } });
  } finally {
    await Promise.all([input.close(), output.close(), discard.close()]);
  }
}

describe("sealFile with read-back digests, signed by signShardDigests", () => {
  for (const size of [0, 1, SHARD, 3 * SHARD + 17])
    it(`a ${size}-byte model: the bundle equals signModel's over the same bytes and verifies`, async () => {
      using dir = tempDir();
      const model = randomBytes(size);
      const result = await sealed(dir.path, model);
      const options = { name: "m.bin", privateKey: publisher.privateKeyPem, shardSize: SHARD };
      const fromSeal = signShardDigests({ ...options, size, shardDigests: result.shardDigests ?? [] });
      const fromBytes = await signModel({ ...options, data: model });
      assert.equal(fromSeal.dsseEnvelope.payload, fromBytes.dsseEnvelope.payload);
      await verifyModel({
        bundle: JSON.parse(serializeBundle(fromSeal)),
        publicKey: publisher.publicKeyPem,
        data: model,
      });
    });

  it("when the digests do not fit the size, signShardDigests fails with EW_ERR_USAGE", () => {
    const options = { name: "m", privateKey: publisher.privateKeyPem, shardSize: SHARD };
    assert.throws(() => signShardDigests({ ...options, size: SHARD + 1, shardDigests: [Buffer.alloc(32)] }), {
      code: "EW_ERR_USAGE",
    });
  });
});

describe("openSealedModel", () => {
  it("returns the plaintext and the verified name; another name is EW_ERR_SIG_NAME_MISMATCH", async () => {
    using dir = tempDir();
    const model = randomBytes(2 * SHARD + 5);
    await sealed(dir.path, model);
    const bundle = JSON.parse(
      serializeBundle(await signModel({ name: "m.bin", privateKey: publisher.privateKeyPem, data: model })),
    ) as unknown;
    const identities = parseIdentities(device.identityText);
    const fh = await open(join(dir.path, "model.age"), "r");
    try {
      const opened = await openSealedModel(fh, identities, { check: { publicKey: publisher.publicKeyPem, bundle } });
      assert.ok(Buffer.from(opened.plaintext).equals(model));
      assert.equal(opened.verification?.name, "m.bin");
      const check = { publicKey: publisher.publicKeyPem, bundle, name: "other" };
      await rejectsWithCode(openSealedModel(fh, identities, { check }), "EW_ERR_SIG_NAME_MISMATCH");
    } finally {
      await fh.close();
    }
  });

  it("checks the signature before anything else: a forged bundle is EW_ERR_SIG_INVALID even with no identity", async () => {
    const model = randomBytes(1000);
    const bundle = JSON.parse(
      serializeBundle(await signModel({ name: "m", privateKey: publisher.privateKeyPem, data: model })),
    ) as {
      dsseEnvelope: { payload: string };
    };
    const statement = Buffer.from(bundle.dsseEnvelope.payload, "base64").toString();
    bundle.dsseEnvelope.payload = Buffer.from(statement.replace("signature/v1.0", "signature/v9")).toString("base64");
    const check = { publicKey: publisher.publicKeyPem, bundle };
    await rejectsWithCode(openSealedModel(new Uint8Array(0), [], { check }), "EW_ERR_SIG_INVALID");
  });
});
