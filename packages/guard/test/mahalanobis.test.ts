import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom, throwsWithCode } from "@edgeward/testkit";
import {
  evaluateStages,
  fitLogitGaussian,
  imageStats,
  loadGuardFile,
  logitFeatures,
  mahalanobisScore,
  serializeGuardFile,
  type ImageScores,
  type MahalanobisStage,
} from "../src/index.ts";
import { picture, sampleConfig } from "./helpers.ts";

const encode = (s: string) => new TextEncoder().encode(s);

/** Two well-separated classes in 2-d, unit spread on each axis, around (0, 0) and (10, 0). */
function twoClasses(n: number) {
  const rand = seededRandom(5);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const features: Float64Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    features.push(Float64Array.from([10 * c + gauss(), gauss()]));
    labels.push(c);
  }
  return { features, labels };
}

/** A one-class stage in 2-d with the identity as precision. */
const unitStage = (withSecond: boolean, mean: number[], threshold: number): MahalanobisStage => ({
  action: "review",
  withSecond,
  means: [mean],
  precision: [
    [1, 0],
    [0, 1],
  ],
  threshold,
});

describe("logit Mahalanobis stage", () => {
  it("fits each class's mean and the shared covariance's inverse, and scores by the nearest class", () => {
    const { features, labels } = twoClasses(4000);
    const g = fitLogitGaussian(features, labels);
    assert.equal(g.means.length, 2);
    assert.ok(Math.abs((g.means[1]?.[0] ?? 0) - 10) < 0.1 && Math.abs(g.means[0]?.[0] ?? 1) < 0.1);
    // Unit variance on both axes: the precision is close to the identity.
    assert.ok(Math.abs((g.precision[0]?.[0] ?? 0) - 1) < 0.1 && Math.abs(g.precision[0]?.[1] ?? 1) < 0.1);
    // A point at a class mean scores near 0; one 3 units off on the second axis near 9, whichever class.
    assert.ok(mahalanobisScore(g, Float64Array.from([10, 0])) < 0.05);
    const off = mahalanobisScore(g, Float64Array.from([0, 3]));
    assert.ok(Math.abs(off - 9) < 1, `${off}`);
    // Halfway between the classes is far from both.
    assert.ok(mahalanobisScore(g, Float64Array.from([5, 0])) > 20);
  });

  it("when the models give more or fewer logits than the stage has dimensions, throws EW_ERR_GUARD_FILE", () => {
    const g = fitLogitGaussian(twoClasses(100).features, twoClasses(100).labels);
    throwsWithCode(() => mahalanobisScore(g, Float64Array.from([1, 2, 3])), "EW_ERR_GUARD_FILE");
  });

  it("appends the second model's logits only when the stage says so", () => {
    const a = Float32Array.from([1, 2]);
    const b = Float32Array.from([3]);
    assert.deepEqual([...logitFeatures(a, b, { withSecond: true })], [1, 2, 3]);
    assert.deepEqual([...logitFeatures(a, b, { withSecond: false })], [1, 2]);
  });

  it("flags an input above its threshold with the reason, and not one below", () => {
    const stage = unitStage(false, [0, 0], 16);
    const stages = { mahalanobis: stage };
    const scores = (mahalanobis: number) => ({ stats: {}, mahalanobis }) as unknown as ImageScores;
    assert.deepEqual(evaluateStages(stages, scores(4)), []);
    const [reason] = evaluateStages(stages, scores(25));
    assert.deepEqual(
      [reason?.stage, reason?.action, reason?.score, reason?.threshold],
      ["mahalanobis", "review", 25, 16],
    );
  });

  it("a guard file round-trips the stage; a ragged precision or withSecond without a second model is EW_ERR_GUARD_FILE", () => {
    const stage = unitStage(true, [0, 1], 9);
    const c = sampleConfig();
    const withStage = { ...c, stages: { ...c.stages, mahalanobis: stage } };
    assert.deepEqual(loadGuardFile(encode(serializeGuardFile(withStage))), withStage);
    const ragged = {
      ...withStage,
      stages: { ...withStage.stages, mahalanobis: { ...stage, precision: [[1, 0], [0]] } },
    };
    throwsWithCode(() => loadGuardFile(encode(JSON.stringify(ragged))), "EW_ERR_GUARD_FILE");
    const noSecond = { ...withStage, models: { primary: c.models.primary } };
    const { ensemble: _e, ...stagesWithoutEnsemble } = withStage.stages;
    throwsWithCode(
      () => loadGuardFile(encode(JSON.stringify({ ...noSecond, stages: stagesWithoutEnsemble }))),
      "EW_ERR_GUARD_FILE",
    );
  });
});

describe("orientation statistic", () => {
  it("mirrorRatio is low for an upright, left-right symmetric shape and flips sign when it is turned a quarter", () => {
    // A "dress": a trapezoid widening downwards, symmetric about the vertical axis.
    const upright = picture((x, y) => (Math.abs(x - 13.5) < 3 + y / 3 && y > 2 && y < 26 ? 0.8 : 0));
    const turned = picture((x, y) => upright.pixels[(27 - x) * 28 + y] ?? 0);
    const a = imageStats(upright)["mirrorRatio"] ?? 0;
    const b = imageStats(turned)["mirrorRatio"] ?? 0;
    assert.ok(a < -2, `upright ${a}`);
    assert.ok(Math.abs(a + b) < 1e-9, `turned ${b} is not ${-a}`);
    assert.equal(imageStats(picture(() => 0))["mirrorRatio"], 0);
  });
});
