// The hub's check of a release's OMS bundle (OpenSSF Model Signing v1.0): real bundles signed by core's signModel,
// verified against the publisher keys the hub trusts; everything else refused with its own code.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  generateSigningKey,
  isEdgewardError,
  loadPublicKey,
  publicKeyHint,
  serializeBundle,
  signModel,
} from "@edgeward/core";
import { seededRandom, throwsWithCode } from "@edgeward/testkit";
import { checkReleaseBundle } from "../../src/releases/oms-check.ts";

const alice = generateSigningKey();
const mallory = generateSigningKey();
const model = randomBytes(200_000);

async function bundleBy(key: typeof alice, name = "classifier"): Promise<Uint8Array> {
  return Buffer.from(serializeBundle(await signModel({ data: model, name, privateKey: key.privateKeyPem })));
}

describe("checkReleaseBundle", () => {
  it("accepts a bundle a trusted publisher signed for the release's name, and names that publisher", async () => {
    const bundle = await bundleBy(alice);
    const verdict = checkReleaseBundle({ name: "classifier", bundle }, [mallory.publicKeyPem, alice.publicKeyPem]);
    assert.equal(verdict.publisher, publicKeyHint(loadPublicKey(alice.publicKeyPem)));
  });

  it("when no trusted key signed it, refuses with EW_ERR_RELEASE_PUBLISHER_UNTRUSTED", async () => {
    const bundle = await bundleBy(mallory);
    throwsWithCode(
      () => checkReleaseBundle({ name: "classifier", bundle }, [alice.publicKeyPem]),
      "EW_ERR_RELEASE_PUBLISHER_UNTRUSTED",
    );
    // Mallory's bundle with Alice's key hint written in: the signature still does not verify.
    const forged = JSON.parse(Buffer.from(bundle).toString()) as {
      verificationMaterial: { publicKey: { hint: string } };
    };
    forged.verificationMaterial.publicKey.hint = publicKeyHint(loadPublicKey(alice.publicKeyPem));
    throwsWithCode(
      () =>
        checkReleaseBundle({ name: "classifier", bundle: Buffer.from(JSON.stringify(forged)) }, [alice.publicKeyPem]),
      "EW_ERR_RELEASE_PUBLISHER_UNTRUSTED",
    );
  });

  it("when the bundle is not OMS v1.0 or was signed for another name, refuses with EW_ERR_RELEASE_BUNDLE_INVALID", async () => {
    const keys = [alice.publicKeyPem];
    const invalid = (bundle: Uint8Array, name = "classifier") =>
      throwsWithCode(() => checkReleaseBundle({ name, bundle }, keys), "EW_ERR_RELEASE_BUNDLE_INVALID");
    invalid(Buffer.from("not json"));
    invalid(Buffer.from(JSON.stringify({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" })));
    invalid(Buffer.from("[]"));
    invalid(await bundleBy(alice, "detector"));
  });

  it("a hub that trusts no key yet refuses every release (fails closed), a malformed bundle still as invalid", async () => {
    const bundle = await bundleBy(alice);
    throwsWithCode(() => checkReleaseBundle({ name: "classifier", bundle }, []), "EW_ERR_RELEASE_PUBLISHER_UNTRUSTED");
    throwsWithCode(
      () => checkReleaseBundle({ name: "x", bundle: Buffer.from(JSON.stringify({ mediaType: "x" })) }, []),
      "EW_ERR_RELEASE_BUNDLE_INVALID",
    );
  });

  it("fuzzed bundles are accepted only unchanged in what is signed, and refused with one of the two codes", async () => {
    const bundle = Buffer.from(await bundleBy(alice));
    const random = seededRandom(7);
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const mutated = Buffer.from(bundle);
      for (let n = 1 + Math.floor(random() * 4); n > 0; n--)
        mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      try {
        checkReleaseBundle({ name: "classifier", bundle: mutated }, [alice.publicKeyPem]);
      } catch (err) {
        assert.ok(
          isEdgewardError(err, "EW_ERR_RELEASE_BUNDLE_INVALID") ||
            isEdgewardError(err, "EW_ERR_RELEASE_PUBLISHER_UNTRUSTED"),
          String(err),
        );
        refused += 1;
      }
    }
    assert.ok(refused > 250, `only ${refused} of 300 mutations refused`);
  });
});
