import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { generateIdentity } from "@edgeward/core";
import { ReviewQueue } from "@edgeward/guard";
import { loadModel } from "@edgeward/runtime";
import { decodeAuditEvent, ed25519Signer } from "@edgeward/tlog";
import { injectFailsWith, rejectsWithCode, seededRandom, tempDir } from "@edgeward/testkit";
import {
  activateServing,
  buildApp,
  DeviceLog,
  GuardSlot,
  ModelSlot,
  stateLayout,
  type GuardedAnswer,
} from "@edgeward/agent";

// The guard's shipped models and calibrated guard file stand in for a release's model and guard file: the CNN is
// the served model, guard.yaml the guard the release names by digest (ARCHITECTURE.md "The flows" 4 and 5).
const MODELS = fileURLToPath(new URL("../../guard/models/", import.meta.url));
const guardPath = join(MODELS, "guard.yaml");
const guardDigest = createHash("sha256").update(readFileSync(guardPath)).digest("hex");
const cnn = () => new Uint8Array(readFileSync(join(MODELS, "cnn.onnx")));
const reference = JSON.parse(readFileSync(join(MODELS, "cnn.reference.json"), "utf8")) as { input: number[][] };

const grey = (pixels: ArrayLike<number>, width = 28, height = 28) =>
  sharp(Buffer.from(Array.from(pixels, (v) => Math.round(v * 255))), { raw: { width, height, channels: 1 } });
const png = (pixels: ArrayLike<number>) => grey(pixels).png().toBuffer();

const dir = tempDir("edgeward-agent-guard-");
const { identityText, recipient } = generateIdentity("x25519");
const queueDir = join(dir.path, "review");
// The device log in its own state directory, signed by a software key here (the agent's is TPM-sealed).
const stateDir = tempDir("edgeward-agent-guard-state-");
let log: DeviceLog;
let slot: ModelSlot;
let app: ReturnType<typeof buildApp>;

before(async () => {
  slot = new ModelSlot(loadModel);
  const guards = new GuardSlot({
    reviewQueue: new ReviewQueue({ dir: queueDir, recipient, maxEntries: 500, maxBytes: 8 << 20 }),
  });
  await activateServing({ slot, guards }, { name: "fashion", version: "1", releaseId: "r1" }, cnn(), {
    path: guardPath,
    digest: guardDigest,
  });
  log = await DeviceLog.open(
    stateLayout(stateDir.path),
    ed25519Signer("device.example/log", new Uint8Array(32).fill(7)),
    "agent:dev-guard",
  );
  app = buildApp({ slot, guards, audit: log, bodyLimit: 1 << 20, closers: [() => log.close()] });
});
after(async () => {
  await app.close();
  dir[Symbol.dispose]();
  stateDir[Symbol.dispose]();
});

function image(payload: Buffer, type = "image/png", client = "cam-1") {
  const headers = { "content-type": type, "x-edgeward-client": client };
  return { method: "POST" as const, url: "/v1/infer", headers, payload };
}

describe("image requests through the release's guard", () => {
  it("accepts a clean held-out garment with the model's label, confidence and the guard's digest", async () => {
    const res = await app.inject(image(await png(reference.input[3]!)));
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<GuardedAnswer>();
    assert.equal(body.decision, "accept", JSON.stringify(body.reasons));
    assert.deepEqual(
      [body.model, body.guard.digest, body.answeredBy],
      [{ name: "fashion", version: "1" }, guardDigest, "primary"],
    );
    assert.equal(typeof body.label, "number");
    assert.ok(body.confidence !== null && body.confidence > 0.5);
    assert.ok(body.scores !== null && typeof body.scores.energy === "number");
  });

  it("takes JPEG and WebP bodies too", async () => {
    // Garment 0: JPEG's ringing on some garments (3 and 5 here) crosses the dark-noise bound and is rejected, a
    // limitation docs/guard.md states; this test is about decoding the body, not about that bound.
    for (const [type, bytes] of [
      ["image/jpeg", await grey(reference.input[0]!).jpeg({ quality: 95 }).toBuffer()],
      ["image/webp", await grey(reference.input[3]!).webp({ lossless: true }).toBuffer()],
    ] as const) {
      const res = await app.inject(image(bytes, type, `other-${type}`));
      assert.equal(res.statusCode, 200, res.body);
      assert.notEqual(res.json<GuardedAnswer>().decision, "reject", type);
    }
  });

  it("rejects a blank frame and a noise frame at the statistics gate, with no label", async () => {
    const random = seededRandom(7);
    for (const pixels of [new Float32Array(784), Float32Array.from({ length: 784 }, () => random())]) {
      const res = await app.inject(image(await png(pixels), "image/png", "lens"));
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<GuardedAnswer>();
      assert.deepEqual([body.decision, body.label], ["reject", null]);
      assert.ok(
        body.reasons.some((r) => r.stage === "stats"),
        JSON.stringify(body.reasons),
      );
      assert.ok(body.review !== undefined && "id" in body.review, "a flagged input is queued for review");
    }
  });

  it("records a flagged decision in the device log with its stages and review id, but not the input or client", async () => {
    const before = log.size;
    const bytes = await png(new Float32Array(784));
    const res = await app.inject(image(bytes, "image/png", "audit-client-31c9"));
    const body = res.json<GuardedAnswer>();
    assert.equal(body.decision, "reject", res.body);
    assert.equal(log.size, before + 1);
    const shipment = await log.shipment(before);
    const event = decodeAuditEvent(Buffer.from(shipment.entries[0]!.data, "base64"));
    assert.deepEqual([event.kind, event.subject], ["guard.reject", "model:fashion@1"]);
    assert.deepEqual(event.details, {
      stages: ["stats"],
      guard: guardDigest,
      review: body.review !== undefined && "id" in body.review ? body.review.id : "none",
    });
    const accepted = await app.inject(image(await png(reference.input[3]!), "image/png", "audit-clean"));
    assert.equal(accepted.json<GuardedAnswer>().decision, "accept");
    assert.equal(log.size, before + 1, "an accepted input is not an audit event");
    const files = readdirSync(stateDir.path, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (const f of files) {
      const stored = readFileSync(join(f.parentPath, f.name));
      for (const secret of [bytes.subarray(16, 48), Buffer.from("audit-client-31c9")])
        assert.equal(stored.indexOf(secret), -1, `input or client in ${f.name}`);
    }
  });

  it("refuses a truncated image, a non-image and a decompression bomb with their codes", async () => {
    const clean = await png(reference.input[3]!);
    await injectFailsWith(app, image(clean.subarray(0, 60)), "EW_ERR_IMAGE_FORMAT");
    await injectFailsWith(app, image(Buffer.from("not an image at all")), "EW_ERR_IMAGE_FORMAT");
    const bomb = await sharp({ create: { width: 5000, height: 5000, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    assert.ok(bomb.length < 1 << 20, "the bomb is small on the wire");
    await injectFailsWith(app, image(bomb), "EW_ERR_IMAGE_LIMIT");
    await injectFailsWith(app, image(Buffer.alloc((1 << 20) + 1)), "EW_ERR_INPUT_TOO_LARGE");
  });

  it("still answers tensors on the bare model", async () => {
    const payload = JSON.stringify({ input: { type: "float32", dims: [1, 1, 28, 28], data: reference.input[3] } });
    const res = await app.inject({
      method: "POST",
      url: "/v1/infer",
      headers: { "content-type": "application/json" },
      payload,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json<{ model: unknown }>().model, { name: "fashion", version: "1" });
  });

  it("refuses a release whose guard file does not match the digest it names; the running model keeps serving", async () => {
    const guards = new GuardSlot();
    const other = new ModelSlot(loadModel);
    await activateServing({ slot: other, guards }, { name: "f", version: "1", releaseId: "a" }, cnn(), {
      path: guardPath,
      digest: guardDigest,
    });
    const plaintext = cnn();
    await rejectsWithCode(
      activateServing({ slot: other, guards }, { name: "f", version: "2", releaseId: "b" }, plaintext, {
        path: guardPath,
        digest: "0".repeat(64),
      }),
      "EW_ERR_GUARD_DIGEST",
    );
    assert.ok(
      plaintext.every((b) => b === 0),
      "the refused release's plaintext is zeroed",
    );
    const served = buildApp({ slot: other, guards });
    const res = await served.inject(image(await png(reference.input[3]!)));
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(
      [res.json<GuardedAnswer>().model.version, res.json<GuardedAnswer>().guard.digest],
      ["1", guardDigest],
    );
    await served.close();
  });

  it("answers corrupted images (seeded byte flips and cuts) with a decision or a typed 4xx, never a 5xx", async () => {
    const random = seededRandom(0x9a7d);
    const clean = await png(reference.input[6]!);
    const allowed = new Set(["EW_ERR_IMAGE_FORMAT", "EW_ERR_IMAGE_LIMIT", "EW_ERR_GUARD_INPUT"]);
    for (let i = 0; i < 60; i++) {
      const bytes = Buffer.from(clean.subarray(0, 8 + Math.floor(random() * (clean.length - 8))));
      for (let k = 0; k < 1 + Math.floor(random() * 6); k++)
        bytes[Math.floor(random() * bytes.length)] = random() * 256;
      const res = await app.inject(image(bytes, "image/png", `fuzz-${i}`));
      if (res.statusCode === 200)
        assert.ok(["accept", "review", "fallback", "reject"].includes(res.json<GuardedAnswer>().decision));
      else {
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${res.statusCode} ${res.body}`);
        assert.ok(allowed.has(res.json<{ code: string }>().code), res.body);
      }
    }
  });

  it("answers an image without a guard with EW_ERR_INPUT_FORMAT", async () => {
    const bare = new ModelSlot(loadModel);
    await bare.activate({ name: "f", version: "1", releaseId: "a" }, cnn());
    const served = buildApp({ slot: bare });
    await injectFailsWith(served, image(await png(reference.input[3]!)), "EW_ERR_INPUT_FORMAT");
    await served.close();
  });

  it("writes no image byte to disk: the review queue holds only age ciphertext the review key opens", async () => {
    const noise = await png(Float32Array.from({ length: 784 }, (_, i) => ((i * 37) % 11) / 10));
    const res = await app.inject(image(noise, "image/png", "scan-client-5f2a"));
    assert.equal(res.json<GuardedAnswer>().decision, "reject", res.body);
    const files = readdirSync(dir.path, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    assert.ok(files.length >= 3, "the flagged inputs were queued");
    const secrets = [
      noise.subarray(16, 48),
      Buffer.from(noise.toString("base64").slice(20, 60)),
      Buffer.from("scan-client-5f2a"),
    ];
    using keyDir = tempDir("edgeward-agent-review-key-");
    const keyPath = join(keyDir.path, "review.key");
    writeFileSync(keyPath, identityText);
    let opened = 0;
    for (const f of files) {
      const path = join(f.parentPath, f.name);
      const bytes = readFileSync(path);
      for (const s of secrets) assert.equal(bytes.indexOf(s), -1, `image bytes in ${path}`);
      assert.ok(bytes.subarray(0, 21).toString().startsWith("age-encryption.org/v1"), `${path} is not age`);
      const plain = execFileSync("age", ["-d", "-i", keyPath, path]);
      if (plain.includes(Buffer.from(noise.toString("base64")))) opened++;
    }
    assert.equal(opened, 1, "the review key opens the entry holding the scanned image");
  });
});
