import { EdgewardError } from "@edgeward/core";
import type { GuardConfig, InputContract, ModelRef, QueryStage, StageAction } from "../config/types.ts";
import type { GuardImage } from "../data/image.ts";
import type { GuardModel } from "../models.ts";
import { evaluateStages } from "../stages/decision.ts";
import { scoreImages, type ImageScores } from "../stages/score-images.ts";
import type { Squeezer } from "../stages/squeeze.ts";
import { quantile } from "./quantile.ts";

/** The query stage's defaults (Blacklight's MNIST settings, scaled to 28×28 inputs; bench/guard measures them). */
export const DEFAULT_QUERY_STAGE: QueryStage = {
  action: "reject",
  quantStep: 50,
  window: 20,
  topHashes: 50,
  matchThreshold: 25,
  history: 200,
  maxClients: 1000,
};

/**
 * The default squeezers: bit-depth reduction to 2 and to 4 bits (Xu et al., NDSS 2018, §III-A). Median smoothing
 * (§III-B) is available but not a default: on Fashion-MNIST's textured garments a 2×2 or 3×3 median moves clean
 * predictions as much as adversarial ones (bench/RESULTS.md, "Inference guard", squeezer choice).
 */
export const DEFAULT_SQUEEZERS: readonly Squeezer[] = [
  { kind: "bitDepth", bits: 2 },
  { kind: "bitDepth", bits: 4 },
];

/** What to calibrate. */
export interface CalibrateOptions {
  readonly input: InputContract;
  readonly models: { readonly primary: ModelRef; readonly second?: ModelRef; readonly fallback?: ModelRef };
  readonly targetFpr: number;
  /** SHA-256 of the calibration data, recorded in the guard file. */
  readonly dataSha256: string;
  readonly squeezers?: readonly Squeezer[];
  readonly confidence?: { readonly score: "msp" | "energy"; readonly fixedThreshold?: number };
  readonly temperature?: number;
  readonly actions?: Partial<Record<"stats" | "confidence" | "ensemble" | "squeeze", StageAction>>;
  readonly query?: QueryStage | null;
}

/**
 * Calibrates a guard on clean held-out images (never test data): every stage's threshold is the quantile of its
 * clean scores at one common level p (each statistics feature two-sided, p/2 in each tail), and p is
 * the largest level at which the union of all stages flags at most `targetFpr` of the clean images — so the
 * whole guard's false-positive rate on clean data is the target, not each stage's.
 */
export async function calibrate(
  models: { readonly primary: GuardModel; readonly second?: GuardModel | undefined },
  images: readonly GuardImage[],
  options: CalibrateOptions,
): Promise<GuardConfig> {
  const { targetFpr } = options;
  if (!(targetFpr > 0 && targetFpr < 0.5) || images.length < Math.max(100, Math.ceil(10 / targetFpr))) {
    throw new EdgewardError("EW_ERR_GUARD_CALIBRATION", { detail: `${images.length} samples at target ${targetFpr}` });
  }
  const squeezers = options.squeezers ?? DEFAULT_SQUEEZERS;
  const temperature = options.temperature ?? 1;
  const scores = await scoreImages({ primary: models.primary, second: models.second, squeezers, temperature }, images);
  const build = (p: number) => stagesAt(scores, p, options, squeezers, temperature, models.second !== undefined);
  let lo = 0;
  let hi = targetFpr;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (falsePositiveRate(build(mid), scores) <= targetFpr) lo = mid;
    else hi = mid;
  }
  const stages = build(lo);
  const achievedFpr = falsePositiveRate(stages, scores);
  return {
    version: 1,
    input: options.input,
    models: options.models,
    targetFpr,
    calibration: { samples: images.length, dataSha256: options.dataSha256, achievedFpr },
    stages: {
      ...stages,
      ...(options.query === null ? {} : { query: options.query ?? DEFAULT_QUERY_STAGE }),
    },
  };
}

/** The share of `scores` that any stage flags. */
export function falsePositiveRate(stages: GuardConfig["stages"], scores: readonly ImageScores[]): number {
  let flagged = 0;
  for (const s of scores) if (evaluateStages(stages, s).length > 0) flagged++;
  return flagged / scores.length;
}

function stagesAt(
  scores: readonly ImageScores[],
  p: number,
  options: CalibrateOptions,
  squeezers: readonly Squeezer[],
  temperature: number,
  hasSecond: boolean,
): GuardConfig["stages"] {
  const actions = options.actions ?? {};
  const names = Object.keys(scores[0]?.stats ?? {});
  const tail = p / 2; // every feature gets the level p, half in each tail, like every other score
  const features: Record<string, readonly [number, number]> = {};
  for (const name of names) {
    const values = scores.map((s) => s.stats[name] ?? 0);
    features[name] = [quantile(values, tail), quantile(values, 1 - tail)];
  }
  const conf = options.confidence ?? { score: "energy" };
  const fixed = conf.fixedThreshold !== undefined;
  const confThreshold =
    conf.fixedThreshold ??
    (conf.score === "msp"
      ? quantile(
          scores.map((s) => s.msp),
          p,
        )
      : quantile(
          scores.map((s) => s.energy),
          1 - p,
        ));
  return {
    stats: { action: actions.stats ?? "reject", features },
    confidence: {
      action: actions.confidence ?? "fallback",
      score: conf.score,
      threshold: confThreshold,
      temperature,
      fixed,
    },
    ...(hasSecond
      ? {
          ensemble: {
            action: actions.ensemble ?? "review",
            threshold: quantile(
              scores.map((s) => s.ensembleL1 ?? 0),
              1 - p,
            ),
          },
        }
      : {}),
    ...(squeezers.length > 0
      ? {
          squeeze: {
            action: actions.squeeze ?? "review",
            squeezers,
            threshold: quantile(
              scores.map((s) => s.squeezeL1 ?? 0),
              1 - p,
            ),
          },
        }
      : {}),
  };
}
