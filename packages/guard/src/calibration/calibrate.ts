import { EdgewardError } from "@edgeward/core";
import type { GuardConfig, InputContract, ModelRef, QueryStage, StageAction } from "../config/types.ts";
import type { GuardImage } from "../data/image.ts";
import type { GuardModel } from "../models.ts";
import { evaluateStages } from "../stages/decision.ts";
import { fitLogitGaussian, mahalanobisScore } from "../stages/mahalanobis.ts";
import { logitFeatures, scoreImages, type ImageScores } from "../stages/score-images.ts";
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

/**
 * How much of the common level p each score gets (the rest get 1): a score's threshold sits at its clean tail
 * share w·p. Equal shares spend most of a 5% budget on scores that rarely see an attack; these weights were chosen
 * once, by hand, on FGSM/PGD examples made from the held-out *training* images (`bench/guard/attacks.py --split
 * holdout`) and on those images turned a quarter — never on test data (bench/RESULTS.md, "Inference guard").
 * Keys: `stats.<feature>`, `confidence`, `ensemble`, `squeeze`, `mahalanobis`.
 */
export const DEFAULT_LEVEL_WEIGHTS: Readonly<Record<string, number>> = {
  "stats.darkNoise": 16,
  "stats.mirrorRatio": 4,
  confidence: 4,
  mahalanobis: 4,
};

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
  readonly actions?: Partial<Record<"stats" | "confidence" | "ensemble" | "squeeze" | "mahalanobis", StageAction>>;
  readonly query?: QueryStage | null;
  /** Each score's share of the common level; defaults to {@link DEFAULT_LEVEL_WEIGHTS}. */
  readonly levelWeights?: Readonly<Record<string, number>>;
  /** The logit Mahalanobis stage: on by default (with the second model's logits when there is one); false drops it. */
  readonly mahalanobis?: boolean;
}

/**
 * Calibrates a guard on clean held-out images (never test data): every score's threshold is the quantile of its
 * clean values at its share w·p of one common level p (each statistics feature two-sided, w·p/2 in each tail, or
 * w·p in one tail when the other holds a point mass at the data's floor or ceiling and so can flag nothing), and p
 * is the largest level at which the union of all stages flags at most `targetFpr` of the clean images — so the
 * whole guard's false-positive rate on clean data is the target, not each stage's. The Mahalanobis stage's class
 * means and covariance are fitted on the same clean images.
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
  const raw = await scoreImages({ primary: models.primary, second: models.second, squeezers, temperature }, images);
  const withSecond = models.second !== undefined;
  const gaussian =
    options.mahalanobis === false
      ? undefined
      : fitLogitGaussian(
          raw.map((s) => logitFeatures(s.logits, s.secondLogits, { withSecond })),
          raw.map((s) => s.label),
        );
  const scores =
    gaussian === undefined
      ? raw
      : raw.map((s) => ({
          ...s,
          mahalanobis: mahalanobisScore(gaussian, logitFeatures(s.logits, s.secondLogits, { withSecond })),
        }));
  const weights = options.levelWeights ?? DEFAULT_LEVEL_WEIGHTS;
  const build = (p: number): GuardConfig["stages"] => {
    const stages = stagesAt(scores, (key) => Math.min(0.5, p * (weights[key] ?? 1)), options, squeezers, temperature);
    if (gaussian === undefined) return stages;
    const threshold = quantile(
      scores.map((s) => s.mahalanobis ?? 0),
      1 - Math.min(0.5, p * (weights["mahalanobis"] ?? 1)),
    );
    const action = options.actions?.mahalanobis ?? "review";
    return { ...stages, mahalanobis: { action, withSecond, ...gaussian, threshold } };
  };
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
    calibration: {
      samples: images.length,
      dataSha256: options.dataSha256,
      achievedFpr,
      level: lo,
      levelWeights: weights,
    },
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
  levelOf: (key: string) => number,
  options: CalibrateOptions,
  squeezers: readonly Squeezer[],
  temperature: number,
): GuardConfig["stages"] {
  const actions = options.actions ?? {};
  const names = Object.keys(scores[0]?.stats ?? {});
  const features: Record<string, readonly [number, number]> = {};
  for (const name of names) {
    features[name] = interval(
      scores.map((s) => s.stats[name] ?? 0),
      levelOf(`stats.${name}`),
    );
  }
  const p = levelOf("confidence");
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
    ...(scores[0]?.ensembleL1 !== undefined
      ? {
          ensemble: {
            action: actions.ensemble ?? "review",
            threshold: quantile(
              scores.map((s) => s.ensembleL1 ?? 0),
              1 - levelOf("ensemble"),
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
              1 - levelOf("squeeze"),
            ),
          },
        }
      : {}),
  };
}

/**
 * A feature's clean interval at `level`: w·p/2 in each tail, or the whole level in one tail when the other tail's
 * quantile is the data's own floor (or ceiling) — a point mass there (dark-region noise is exactly 0 on 2% of clean garments)
 * means nothing clean lies beyond it, so that tail could never flag and its half of the level would be wasted.
 */
function interval(values: readonly number[], level: number): readonly [number, number] {
  const sorted = Float64Array.from(values).sort();
  const min = sorted[0] ?? 0;
  const max = sorted[sorted.length - 1] ?? 0;
  const lo = quantile(values, level / 2);
  const hi = quantile(values, 1 - level / 2);
  if (lo <= min && hi < max) return [min, quantile(values, 1 - level)];
  if (hi >= max && lo > min) return [quantile(values, level), max];
  return [lo, hi];
}
