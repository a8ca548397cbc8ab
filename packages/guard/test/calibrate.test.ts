import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { rejectsWithCode } from "@edgeward/testkit";
import {
  calibrate,
  DEFAULT_LEVEL_WEIGHTS,
  evaluateStages,
  falsePositiveRate,
  imageStats,
  loadCalibrationData,
  quantile,
  scoreImages,
  type GuardImage,
  type GuardModel,
} from "../src/index.ts";
import { sampleConfig } from "./helpers.ts";
import { loadShipped, MODELS_DIR } from "./models.ts";

// Calibration on 300 real held-out Fashion-MNIST training images (Debian's dataset-fashion-mnist).
const TRAIN = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
let cnn: GuardModel;
let mlp: GuardModel;
let images: GuardImage[];
let dataSha256: string;
const base = sampleConfig();
const options = () => ({ input: base.input, models: base.models, targetFpr: 0.1, dataSha256 });

before(async () => {
  [cnn, mlp] = await Promise.all([loadShipped("cnn"), loadShipped("mlp")]);
  const { holdout } = JSON.parse(readFileSync(`${MODELS_DIR}split.json`, "utf8")) as { holdout: number[] };
  ({ images, sha256: dataSha256 } = await loadCalibrationData(TRAIN, base.input, holdout.slice(0, 300)));
});
after(async () => {
  await cnn.close();
  await mlp.close();
});

describe("calibration", () => {
  it("sets every stage so that the whole guard flags at most the target share of the clean data, and close to it", async () => {
    const config = await calibrate({ primary: cnn, second: mlp }, images, options());
    const scores = await scoreImages(
      {
        primary: cnn,
        second: mlp,
        squeezers: config.stages.squeeze!.squeezers,
        temperature: 1,
        mahalanobis: config.stages.mahalanobis,
      },
      images,
    );
    const fpr = falsePositiveRate(config.stages, scores);
    assert.equal(fpr, config.calibration?.achievedFpr);
    assert.ok(fpr <= 0.1 && fpr >= 0.08, `achieved ${fpr}`);
    const stagesThatFlag = new Set(scores.flatMap((s) => evaluateStages(config.stages, s).map((r) => r.stage)));
    assert.ok(stagesThatFlag.size >= 3, `only ${[...stagesThatFlag].join(", ")} flag`);
    assert.equal(config.calibration?.dataSha256.length, 64);
  });

  it("gives each score its weighted share of the level, one-sided where a tail is a point mass at the floor", async () => {
    const weighted = await calibrate({ primary: cnn, second: mlp }, images, options());
    const equal = await calibrate({ primary: cnn, second: mlp }, images, { ...options(), levelWeights: {} });
    assert.deepEqual(weighted.calibration?.levelWeights, DEFAULT_LEVEL_WEIGHTS);
    // Dark-region noise is exactly 0 on some clean images (a point mass): its interval starts at that floor and spends its level above.
    const [lo, hi] = weighted.stages.stats!.features["darkNoise"]!;
    const [, hiEqual] = equal.stages.stats!.features["darkNoise"]!;
    assert.equal(lo, 0);
    assert.ok(hi < hiEqual, `weighted ${hi} is not below equal-share ${hiEqual}`);
    // Exactly: with equal shares at level p, the one-sided feature's bound is its (1 − p) quantile, a two-sided
    // one's (mean brightness) its p/2 and 1 − p/2 quantiles.
    const p = equal.calibration?.level ?? 0;
    const values = (f: string) => images.map((img) => imageStats(img)[f] ?? 0);
    assert.equal(hiEqual, quantile(values("darkNoise"), 1 - p));
    assert.deepEqual(equal.stages.stats!.features["mean.0"], [
      quantile(values("mean.0"), p / 2),
      quantile(values("mean.0"), 1 - p / 2),
    ]);
    // The level the file records reproduces the thresholds: the Mahalanobis stage sits at its weight × level.
    const level = weighted.calibration?.level ?? 0;
    const scores = await scoreImages(
      { primary: cnn, second: mlp, squeezers: [], temperature: 1, mahalanobis: weighted.stages.mahalanobis },
      images,
    );
    const above = scores.filter((s) => (s.mahalanobis ?? 0) > weighted.stages.mahalanobis!.threshold).length;
    assert.ok(Math.abs(above / images.length - 4 * level) <= 1 / images.length + 1e-9, `${above} above at ${level}`);
    const without = await calibrate({ primary: cnn, second: mlp }, images, { ...options(), mahalanobis: false });
    assert.equal(without.stages.mahalanobis, undefined);
  });

  it("keeps a fixed MSP threshold of 0.85 when asked, calibrating the other stages around it", async () => {
    const config = await calibrate({ primary: cnn }, images, {
      ...options(),
      confidence: { score: "msp", fixedThreshold: 0.85 },
    });
    assert.deepEqual([config.stages.confidence?.threshold, config.stages.confidence?.fixed], [0.85, true]);
    assert.equal(config.stages.ensemble, undefined);
  });

  it("when there are too few samples for the target, or the target is not in (0, 0.5), rejects with EW_ERR_GUARD_CALIBRATION", async () => {
    await rejectsWithCode(calibrate({ primary: cnn }, images.slice(0, 50), options()), "EW_ERR_GUARD_CALIBRATION");
    await rejectsWithCode(
      calibrate({ primary: cnn }, images, { ...options(), targetFpr: 0.5 }),
      "EW_ERR_GUARD_CALIBRATION",
    );
    await rejectsWithCode(
      calibrate({ primary: cnn }, images, { ...options(), targetFpr: 0.01 }),
      "EW_ERR_GUARD_CALIBRATION",
    );
  });
});
