import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { calibrateFiles } from "@edgeward/guard";
import { writeTextOutput } from "@edgeward/io";
import { printJson, printLines } from "../support/output.ts";

interface CalibrateOptions {
  model: string;
  second?: string;
  fallback?: string;
  data: string;
  indices?: string;
  targetFpr: string;
  output: string;
  size: string;
  channels: string;
  inputName: string;
  confidence: string;
  fixedMsp?: string;
  equalLevels?: boolean;
  reviewRecipient?: string;
  json?: boolean;
}

/** `edgeward guard calibrate`: thresholds for every stage from clean held-out data, written as a guard file. */
export function registerGuardCalibrate(guard: Command): void {
  guard
    .command("calibrate")
    .description("calibrate a guard file on clean held-out data (never test data) at a target false-positive rate")
    .requiredOption("--model <onnx>", "the primary model (float32 [N, C, H, W] in, logits out)")
    .option("--second <onnx>", "a second model of another architecture, for ensemble agreement")
    .option("--fallback <onnx>", "the model that answers on `fallback` (default: --second)")
    .requiredOption("--data <path>", "clean calibration data: an IDX image file (gzip or not) or a folder of images")
    .option("--indices <json>", "use only these indices of --data: a JSON array, or the trainer's split.json")
    .option("--target-fpr <rate>", "share of clean inputs the whole guard may flag", "0.05")
    .requiredOption("-o, --output <guard.yaml>", "where to write the guard file")
    .option("--size <HxW>", "the model's input height and width", "28x28")
    .option("--channels <n>", "the model's input channels (1 or 3)", "1")
    .option("--input-name <name>", "the model's input tensor name", "input")
    .option("--confidence <score>", "confidence score: energy (Liu et al. 2020) or msp", "energy")
    .option("--fixed-msp <p>", "use a fixed maximum-softmax threshold (e.g. 0.85) instead of calibrating one")
    .option("--equal-levels", "give every score the same share of the level, not DEFAULT_LEVEL_WEIGHTS")
    .option("--review-recipient <age1…>", "age recipient that flagged inputs are sealed to")
    .option("--json", "print the result as JSON")
    .action(async (opts: CalibrateOptions) => {
      const [height, width] = opts.size.split("x").map(Number);
      const channels = Number(opts.channels);
      const targetFpr = Number(opts.targetFpr);
      if (!Number.isInteger(height) || !Number.isInteger(width) || (channels !== 1 && channels !== 3))
        throw new EdgewardError("EW_ERR_USAGE", { detail: "--size HxW and --channels 1|3" });
      if (opts.confidence !== "energy" && opts.confidence !== "msp")
        throw new EdgewardError("EW_ERR_USAGE", { detail: "--confidence is energy or msp" });
      const fixed = opts.fixedMsp === undefined ? undefined : Number(opts.fixedMsp);
      if (fixed !== undefined && !(fixed > 0 && fixed < 1))
        throw new EdgewardError("EW_ERR_USAGE", { detail: "--fixed-msp is a probability between 0 and 1" });
      const result = await calibrateFiles({
        model: opts.model,
        ...(opts.second === undefined ? {} : { second: opts.second }),
        ...(opts.fallback === undefined ? {} : { fallback: opts.fallback }),
        data: opts.data,
        ...(opts.indices === undefined ? {} : { indices: opts.indices }),
        output: opts.output,
        targetFpr,
        input: {
          name: opts.inputName,
          channels,
          height: height ?? 0,
          width: width ?? 0,
          range: [0, 1],
          mean: new Array<number>(channels).fill(0),
          std: new Array<number>(channels).fill(1),
          image: { maxBytes: 8 * 1024 * 1024, maxPixels: 16 * 1024 * 1024, fit: "fill" },
        },
        confidence: fixed === undefined ? { score: opts.confidence } : { score: "msp", fixedThreshold: fixed },
        ...(opts.reviewRecipient === undefined ? {} : { reviewRecipient: opts.reviewRecipient }),
        ...(opts.equalLevels === true ? { levelWeights: {} } : {}),
      });
      await writeTextOutput(opts.output, result.yaml, { what: "guard file" });
      const summary = {
        output: opts.output,
        digest: result.digest,
        samples: result.config.calibration?.samples,
        targetFpr,
        achievedFpr: result.config.calibration?.achievedFpr,
        stages: Object.keys(result.config.stages),
      };
      if (opts.json) return printJson(summary);
      printLines(
        `Wrote ${opts.output} (sha256 ${result.digest}: name this digest in the release)`,
        `calibrated on ${summary.samples} clean samples: the guard flags ${fmt(summary.achievedFpr)} of them (target ${fmt(targetFpr)})`,
        `stages: ${summary.stages.join(", ")}`,
      );
    });
}

function fmt(rate: number | undefined): string {
  return rate === undefined ? "?" : `${(rate * 100).toFixed(2)}%`;
}
