import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { rejectsWithCode } from "@edgeward/testkit";
import {
  calibrate,
  evaluateStages,
  falsePositiveRate,
  loadCalibrationData,
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
      { primary: cnn, second: mlp, squeezers: config.stages.squeeze!.squeezers, temperature: 1 },
      images,
    );
    const fpr = falsePositiveRate(config.stages, scores);
    assert.equal(fpr, config.calibration?.achievedFpr);
    assert.ok(fpr <= 0.1 && fpr >= 0.08, `achieved ${fpr}`);
    const stagesThatFlag = new Set(scores.flatMap((s) => evaluateStages(config.stages, s).map((r) => r.stage)));
    assert.ok(stagesThatFlag.size >= 3, `only ${[...stagesThatFlag].join(", ")} flag`);
    assert.equal(config.calibration?.dataSha256.length, 64);
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
