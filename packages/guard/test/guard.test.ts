import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { generateIdentity } from "@edgeward/core";
import { tempDir } from "@edgeward/testkit";
import { argmax, createGuard, ReviewQueue, type GuardConfig, type GuardModel } from "../src/index.ts";
import { filesUnder, sampleConfig } from "./helpers.ts";
import { loadShipped, reference } from "./models.ts";

// The whole pipeline on the shipped models, each decision reached through one stage on a crafted input or
// with one threshold moved, and the review queue checked for plaintext on disk.
let cnn: GuardModel;
let mlp: GuardModel;
const ref = reference("cnn");
const png = (pixels: Float32Array) =>
  sharp(Buffer.from(pixels.map((v) => Math.round(v * 255))), { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toBuffer();

before(async () => {
  [cnn, mlp] = await Promise.all([loadShipped("cnn"), loadShipped("mlp")]);
});
after(async () => {
  await cnn.close();
  await mlp.close();
});

// Reference images 3 and 6 are ones both models classify alike with MSP > 0.99; the others are less sure.
/** sampleConfig with confidence at MSP 0.5 and `stages` replaced where given. */
function config(stages: Partial<GuardConfig["stages"]> = {}): GuardConfig {
  const base = sampleConfig();
  return { ...base, stages: { ...base.stages, confidence: { ...base.stages.confidence!, threshold: 0.5 }, ...stages } };
}
const tensor = (i: number) => ({ kind: "tensor" as const, data: ref.images[i]!.pixels, dims: [1, 1, 28, 28] });

describe("guard pipeline on the shipped models", () => {
  it("accepts a clean held-out image with the primary model's label", async () => {
    const guard = createGuard(config(), { primary: cnn, second: mlp, fallback: mlp });
    const r = await guard.check(tensor(3), { clientId: "c" });
    assert.equal(r.decision, "accept", JSON.stringify(r.reasons));
    assert.deepEqual([r.label, r.answeredBy, r.reasons.length], [argmax(ref.logits[3]!), "primary", 0]);
  });

  it("rejects a blank frame at the statistics gate, with no answer", async () => {
    const guard = createGuard(config(), { primary: cnn, second: mlp, fallback: mlp });
    const r = await guard.check({ kind: "image", bytes: await png(new Float32Array(784)) }, { clientId: "c" });
    assert.equal(r.decision, "reject");
    assert.equal(r.label, null);
    assert.ok(r.reasons.some((x) => x.stage === "stats" && x.detail.startsWith("mean.0 below")));
  });

  it("answers from the fallback model when confidence is below threshold", async () => {
    const guard = createGuard(config({ confidence: { ...sampleConfig().stages.confidence!, threshold: 1.01 } }), {
      primary: cnn,
      second: mlp,
      fallback: mlp,
    });
    const r = await guard.check(tensor(1), { clientId: "c" });
    assert.deepEqual([r.decision, r.answeredBy], ["fallback", "fallback"]);
    assert.equal(r.label, argmax(reference("mlp").logits[1]!));
    assert.deepEqual(
      r.reasons.map((x) => x.stage),
      ["confidence"],
    );
  });

  it("asks for review when the ensemble disagrees, or squeezing moves the prediction, and when fallback has no model", async () => {
    const ens = createGuard(config({ ensemble: { action: "review", threshold: -1 } }), { primary: cnn, second: mlp });
    assert.deepEqual(
      (await ens.check(tensor(2), { clientId: "c" })).reasons.map((x) => x.stage),
      ["ensemble"],
    );
    const sq = createGuard(config({ squeeze: { ...sampleConfig().stages.squeeze!, threshold: -1 } }), {
      primary: cnn,
      second: mlp,
    });
    const r = await sq.check(tensor(2), { clientId: "c" });
    assert.deepEqual([r.decision, r.answeredBy, r.reasons.map((x) => x.stage)], ["review", "primary", ["squeeze"]]);
    const noFallback = createGuard(config({ confidence: { ...sampleConfig().stages.confidence!, threshold: 1.01 } }), {
      primary: cnn,
      second: mlp,
    });
    assert.equal((await noFallback.check(tensor(2), { clientId: "c" })).decision, "review");
  });

  it("asks for review when the logits of both models are far from every class mean, running the second model for it", async () => {
    // One "class" at image 3's own logits (CNN then MLP), identity precision: image 3 sits on it, image 2 does not.
    const mean = [...ref.logits[3]!, ...reference("mlp").logits[3]!];
    const precision = mean.map((_, a) => mean.map((__, b) => (a === b ? 1 : 0)));
    const mahalanobis = { action: "review" as const, withSecond: true, means: [mean], precision, threshold: 1 };
    const { ensemble: _e, ...stages } = config({ mahalanobis }).stages;
    const guard = createGuard({ ...config(), stages }, { primary: cnn, second: mlp });
    const near = await guard.check(tensor(3), { clientId: "a" });
    assert.ok((near.scores?.mahalanobis ?? 1) < 1e-3, `${near.scores?.mahalanobis}`);
    assert.ok(!near.reasons.some((x) => x.stage === "mahalanobis"));
    const far = await guard.check(tensor(2), { clientId: "b" });
    assert.deepEqual([far.decision, far.reasons.map((x) => x.stage)], ["review", ["mahalanobis"]]);
    assert.equal("secondLogits" in (far.scores ?? {}), false, "the answer carries scores, not raw logits");
  });

  it("rejects a client's second near-identical query, not another client's", async () => {
    const guard = createGuard(config(), { primary: cnn, second: mlp, fallback: mlp });
    assert.equal((await guard.check(tensor(3), { clientId: "attacker" })).decision, "accept");
    const nudged = ref.images[3]!.pixels.map((v, i) => (i % 50 === 0 ? Math.min(1, v + 0.05) : v));
    const again = await guard.check({ kind: "tensor", data: nudged, dims: [1, 1, 28, 28] }, { clientId: "attacker" });
    assert.equal(again.decision, "reject");
    assert.ok(again.reasons.some((x) => x.stage === "query"));
    assert.equal((await guard.check(tensor(3), { clientId: "someone-else" })).decision, "accept");
  });

  it("rejects a truncated image at the input contract, with its code", async () => {
    const guard = createGuard(config(), { primary: cnn });
    const bytes = (await png(ref.images[0]!.pixels)).subarray(0, 60);
    const r = await guard.check({ kind: "image", bytes }, { clientId: "c" });
    assert.equal(r.decision, "reject");
    assert.deepEqual([r.reasons[0]?.stage, r.reasons[0]?.code], ["input", "EW_ERR_IMAGE_FORMAT"]);
  });

  it("seals flagged inputs to the review recipient: nothing flagged reaches the disk unencrypted", async () => {
    using dir = tempDir("edgeward-guard-review-");
    const { identityText, recipient } = generateIdentity("x25519");
    const queueDir = join(dir.path, "queue");
    const reviewQueue = new ReviewQueue({ dir: queueDir, recipient, maxEntries: 10, maxBytes: 1 << 20 });
    const guard = createGuard(config(), { primary: cnn, second: mlp, fallback: mlp }, { reviewQueue });
    const clean = await guard.check(tensor(6), { clientId: "clean" });
    assert.equal(clean.review, undefined, "an accepted input is not queued");
    const dim = ref.images[4]!.pixels.map((v) => v / 40); // a garment under a covered lens: mean below 0.05
    const bytes = await png(dim);
    const marker = "client-7d1e9a";
    const r = await guard.check({ kind: "image", bytes }, { clientId: marker });
    assert.equal(r.decision, "reject");
    assert.ok(r.review !== undefined && "id" in r.review);
    const secrets = [bytes.subarray(16, 48), Buffer.from(bytes.toString("base64").slice(20, 60)), Buffer.from(marker)];
    const files = filesUnder(dir.path);
    assert.equal(files.length, 1);
    for (const f of files) for (const s of secrets) assert.equal(f.bytes.indexOf(s), -1, `plaintext in ${f.path}`);
    writeFileSync(join(dir.path, "review.key"), identityText);
    const opened: unknown = JSON.parse(
      execFileSync("age", ["-d", "-i", join(dir.path, "review.key"), files[0]!.path]).toString(),
    );
    assert.equal((opened as { clientId: string }).clientId, marker);
    assert.equal((opened as { input: { bytes: string } }).input.bytes, bytes.toString("base64"));
  });
});
