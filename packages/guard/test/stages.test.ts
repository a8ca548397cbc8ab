import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "@edgeward/testkit";
import {
  argmax,
  decide,
  energy,
  imageStats,
  l1,
  maxSoftmax,
  medianSmooth,
  quantile,
  reduceBitDepth,
  softmax,
  type GuardImage,
} from "../src/index.ts";

const image = (pixels: number[], height: number, width: number, channels = 1): GuardImage => ({
  channels,
  height,
  width,
  pixels: Float32Array.from(pixels),
});
const close = (a: number, b: number, eps = 1e-6) => assert.ok(Math.abs(a - b) < eps, `${a} is not ${b}`);

describe("confidence scores", () => {
  it("softmax sums to one and survives large logits; MSP is its largest value", () => {
    const p = softmax([1000, 1000, 998]);
    close(
      p.reduce((a, b) => a + b, 0),
      1,
    );
    close(maxSoftmax([1000, 1000, 998]), Math.exp(2) / (2 * Math.exp(2) + 1));
    assert.equal(argmax([0.1, 3, 2]), 1);
  });

  it("energy is −T·logsumexp(logits/T) (Liu et al. 2020, eq. 7), lower for a confident input", () => {
    close(energy([0, 0]), -Math.log(2));
    close(energy([2, 4], 2), -2 * Math.log(Math.exp(1) + Math.exp(2)));
    assert.ok(energy([12, 0, 0]) < energy([1, 1, 1]));
  });

  it("L1 between probability vectors is the squeezing distance", () => {
    close(l1([1, 0], [0, 1]), 2);
    close(l1([0.5, 0.5], [0.5, 0.5]), 0);
  });

  it("quantile interpolates between order statistics like numpy's default", () => {
    close(quantile([4, 1, 3, 2], 0.5), 2.5);
    close(quantile([1, 2, 3, 4, 5], 0.9), 4.6);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });
});

describe("input statistics", () => {
  it("a blank frame has no spread, no entropy, no sharpness, and is all clipped at black", () => {
    const s = imageStats(image(new Array<number>(64).fill(0), 8, 8));
    assert.deepEqual([s["mean.0"], s["std.0"], s["entropy"], s["laplacianVar"], s["clippedLow"]], [0, 0, 0, 0, 1]);
  });

  it("noise has high entropy and a high Laplacian variance; a white frame is clipped at white", () => {
    const rand = seededRandom(3);
    const noise = imageStats(
      image(
        Array.from({ length: 1024 }, () => rand()),
        32,
        32,
      ),
    );
    assert.ok((noise["entropy"] ?? 0) > 7.5, `entropy ${noise["entropy"]}`);
    assert.ok((noise["laplacianVar"] ?? 0) > 1, `laplacian ${noise["laplacianVar"]}`);
    close(noise["mean.0"] ?? 0, 0.5, 0.05);
    assert.equal(imageStats(image(new Array<number>(16).fill(1), 4, 4))["clippedHigh"], 1);
  });

  it("dark-region noise is near zero for an object on a black background and rises with speckle on it", () => {
    const rand = seededRandom(8);
    const object = Array.from({ length: 784 }, (_, i) => (i % 28 > 8 && i % 28 < 20 && i > 200 && i < 600 ? 0.7 : 0));
    const clean = imageStats(image(object, 28, 28))["darkNoise"] ?? 1;
    assert.ok(clean < 0.01, `clean ${clean}`); // only the object's corners, whose 3×3 median is black
    const speckled = object.map((v) => Math.min(1, Math.max(0, v + (rand() < 0.5 ? -0.1 : 0.1))));
    const noisy = imageStats(image(speckled, 28, 28))["darkNoise"] ?? 0;
    assert.ok(noisy > 5 * clean && noisy > 0.02, `speckled ${noisy}`);
  });

  it("keeps a mean and spread per channel", () => {
    const s = imageStats(image([0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1], 2, 2, 3));
    assert.deepEqual([s["mean.0"], s["mean.1"], s["mean.2"], s["std.2"]], [0, 1, 0.5, 0.5]);
  });
});

describe("feature squeezing (Xu et al., NDSS 2018)", () => {
  it("reduces bit depth to 2^bits levels", () => {
    const out = reduceBitDepth(image([0, 0.2, 0.26, 0.74, 1], 1, 5), 1);
    assert.deepEqual([...out.pixels], [0, 0, 0, 1, 1]);
    const three = reduceBitDepth(image([0.3], 1, 1), 3);
    close(three.pixels[0] ?? 0, 2 / 7);
  });

  it("median smoothing removes an isolated salt pixel and keeps a flat region", () => {
    const px = new Array<number>(25).fill(0.5);
    px[12] = 1;
    for (const size of [2, 3]) {
      const out = medianSmooth(image(px, 5, 5), size);
      assert.ok(
        [...out.pixels].every((v) => v === 0.5),
        `size ${size}: ${[...out.pixels].join(",")}`,
      );
    }
  });
});

describe("decision", () => {
  const reason = (action: "reject" | "fallback" | "review") => ({ stage: "stats" as const, action, detail: "" });
  it("accepts with no reasons and takes the most severe action otherwise", () => {
    assert.equal(decide([], true), "accept");
    assert.equal(decide([reason("review")], true), "review");
    assert.equal(decide([reason("review"), reason("fallback")], true), "fallback");
    assert.equal(decide([reason("fallback"), reason("reject"), reason("review")], true), "reject");
  });

  it("asks for review instead of fallback when there is no fallback model", () => {
    assert.equal(decide([reason("fallback")], false), "review");
  });
});
