import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import sharp from "sharp";
import { tempDir } from "@edgeward/testkit";
import { printedCode, runCli } from "./helpers/cli.ts";

// `edgeward guard calibrate` and `check` on the shipped Fashion-MNIST models and real held-out training images
// (Debian's dataset-fashion-mnist, installed by scripts/setup.sh).
const MODELS = fileURLToPath(new URL("../../guard/models/", import.meta.url));
const TRAIN = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
const dir = tempDir("edgeward-guard-cli-");
const p = (name: string) => join(dir.path, name);
/** Writes a 28×28 greyscale PNG of `pixels` (0..255) as NAME; returns its path. */
async function png(name: string, pixels: number[]): Promise<string> {
  await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toFile(p(name));
  return p(name);
}
let digest = "";
/** `guard calibrate` of both shipped models on 400 held-out training images at a 10% target, into `output`. */
const calibrateBoth = (output: string) => [
  "guard",
  "calibrate",
  "--model",
  `${MODELS}cnn.onnx`,
  "--second",
  `${MODELS}mlp.onnx`,
  "--data",
  TRAIN,
  "--indices",
  p("indices.json"),
  "--target-fpr",
  "0.1",
  "-o",
  output,
];

before(async () => {
  // 400 of the trainer's held-out indices keep the test quick; the shipped guard uses all 10,000.
  const { holdout } = JSON.parse(readFileSync(`${MODELS}split.json`, "utf8")) as { holdout: number[] };
  writeFileSync(p("indices.json"), JSON.stringify(holdout.slice(0, 400)));
  const res = await runCli([...calibrateBoth(p("guard.yaml")), "--json"]);
  assert.equal(res.status, 0, res.stderr);
  const summary = JSON.parse(res.stdout.toString()) as { digest: string; samples: number; achievedFpr: number };
  assert.equal(summary.samples, 400);
  assert.ok(summary.achievedFpr <= 0.1 && summary.achievedFpr > 0.05, `achieved ${summary.achievedFpr}`);
  digest = summary.digest;
});

describe("edgeward guard", () => {
  it("calibrate writes a guard file whose digest it prints, naming both models by digest", () => {
    const text = readFileSync(p("guard.yaml"), "utf8");
    assert.match(text, /confidence:\n\s+action: fallback\n\s+score: energy/);
    assert.match(text, /sha256: [0-9a-f]{64}/);
    assert.equal(digest.length, 64);
  });

  it("check rejects a blank frame, and answers for held-out garments, one JSON line per input", async () => {
    // The eight held-out reference garments; at the test's 10% target a garment may be flagged, so this asserts
    // that most are answered and that every decision but accept comes with its reasons.
    const garments = JSON.parse(readFileSync(`${MODELS}cnn.reference.json`, "utf8")) as { input: number[][] };
    const blank = await png("blank.png", new Array<number>(784).fill(0));
    const names = [blank];
    for (const [i, g] of garments.input.entries()) {
      names.push(
        await png(
          `garment-${i}.png`,
          g.map((v) => Math.round(v * 255)),
        ),
      );
    }
    const res = await runCli([
      "guard",
      "check",
      "--guard",
      p("guard.yaml"),
      "--expect-digest",
      digest,
      "--json",
      ...names,
    ]);
    assert.equal(res.status, 0, res.stderr);
    const lines = res.stdout
      .toString()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { decision: string; label: number | null; reasons: { stage: string }[] });
    assert.equal(lines.length, 9);
    assert.equal(lines[0]?.decision, "reject");
    assert.equal(lines[0]?.label, null);
    assert.ok(lines[0]?.reasons.some((r) => r.stage === "stats"));
    const answered = lines.slice(1).filter((l) => l.decision !== "reject");
    // At a 10% false-positive target two or more of eight clean garments flagged happens by chance (19%); three
    // or more (4%) means the guard is off.
    assert.ok(answered.length >= 6, JSON.stringify(lines.map((l) => [l.decision, l.reasons])));
    for (const l of answered) assert.equal(typeof l.label, "number");
    for (const l of lines.slice(1)) assert.equal(l.decision === "accept", l.reasons.length === 0);
  });

  it("check refuses a guard file changed after calibration with EW_ERR_GUARD_DIGEST", async () => {
    const changed = readFileSync(p("guard.yaml"), "utf8").replace("action: reject", "action: review");
    writeFileSync(p("changed.yaml"), changed);
    const res = await runCli([
      "guard",
      "check",
      "--guard",
      p("changed.yaml"),
      "--expect-digest",
      digest,
      p("blank.png"),
    ]);
    assert.equal(printedCode(res), "EW_ERR_GUARD_DIGEST");
    assert.notEqual(res.status, 0);
  });

  it("check refuses a model that is not the one the guard file names with EW_ERR_GUARD_MODEL_DIGEST", async () => {
    const res = await runCli([
      "guard",
      "check",
      "--guard",
      p("guard.yaml"),
      "--model",
      `${MODELS}mlp.onnx`,
      p("blank.png"),
    ]);
    assert.equal(printedCode(res), "EW_ERR_GUARD_MODEL_DIGEST");
  });

  it("calibrate --equal-levels records equal shares; without it the guard file records the default weights", async () => {
    const res = await runCli([...calibrateBoth(p("equal.yaml")), "--equal-levels"]);
    assert.equal(res.status, 0, res.stderr);
    const equal = readFileSync(p("equal.yaml"), "utf8");
    assert.match(equal, /levelWeights: \{\}/);
    assert.match(readFileSync(p("guard.yaml"), "utf8"), /levelWeights:\n\s+stats\.darkNoise: 16/);
  });

  it("calibrate refuses a target FPR of 0.6 (EW_ERR_GUARD_CALIBRATION) and data that is not IDX (EW_ERR_GUARD_DATA)", async () => {
    const base = ["guard", "calibrate", "--model", `${MODELS}cnn.onnx`, "-o", p("x.yaml")];
    const fpr = await runCli([...base, "--data", TRAIN, "--indices", p("indices.json"), "--target-fpr", "0.6"]);
    assert.equal(printedCode(fpr), "EW_ERR_GUARD_CALIBRATION");
    const data = await runCli([...base, "--data", p("indices.json")]);
    assert.equal(printedCode(data), "EW_ERR_GUARD_DATA");
  });
});
