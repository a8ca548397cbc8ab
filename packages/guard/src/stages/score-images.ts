import type { GuardImage } from "../data/image.ts";
import type { GuardModel } from "../models.ts";
import type { MahalanobisStage } from "../config/types.ts";
import { imageStats, type StatsFeatures } from "./image-stats.ts";
import { mahalanobisScore } from "./mahalanobis.ts";
import { argmax, energy, l1, softmax } from "./scores.ts";
import { squeeze, type Squeezer } from "./squeeze.ts";

/** Every per-image score the guard's stages threshold; the query stage is per client and lives apart. */
export interface ImageScores {
  readonly stats: StatsFeatures;
  readonly logits: Float32Array;
  /** The second model's logits (absent without a second model). */
  readonly secondLogits?: Float32Array;
  readonly label: number;
  /** Maximum softmax probability of the primary model. */
  readonly msp: number;
  /** Energy score of the primary model at the given temperature. */
  readonly energy: number;
  /** L1 distance between the primary's and the second model's softmax outputs (absent without a second model). */
  readonly ensembleL1?: number;
  /** The second model's label (absent without a second model). */
  readonly secondLabel?: number;
  /** The largest L1 distance between original and squeezed predictions (absent without squeezers). */
  readonly squeezeL1?: number;
  /** The smallest squared Mahalanobis distance of the logits to a class mean (absent without that stage). */
  readonly mahalanobis?: number;
}

/** What {@link scoreImages} needs. */
export interface ScoreSetup {
  readonly primary: GuardModel;
  readonly second?: GuardModel | undefined;
  readonly squeezers: readonly Squeezer[];
  readonly temperature: number;
  readonly mahalanobis?: MahalanobisStage | undefined;
}

/**
 * Scores images in batches of `batchSize`: one primary-model run over the originals and their squeezed copies
 * together, one run of the second model. Used both to calibrate (over clean held-out data) and to check.
 */
export async function scoreImages(
  setup: ScoreSetup,
  images: readonly GuardImage[],
  batchSize = 256,
): Promise<ImageScores[]> {
  const out: ImageScores[] = [];
  for (let start = 0; start < images.length; start += batchSize) {
    const batch = images.slice(start, start + batchSize);
    const squeezed = setup.squeezers.flatMap((s) => batch.map((img) => squeeze(img, s)));
    const [primaryLogits, secondLogits] = await Promise.all([
      setup.primary.predict([...batch, ...squeezed]),
      setup.second?.predict(batch),
    ]);
    batch.forEach((img, n) => {
      const logits = primaryLogits[n] ?? new Float32Array(0);
      const probs = softmax(logits);
      let squeezeL1: number | undefined;
      for (let s = 0; s < setup.squeezers.length; s++) {
        const d = l1(probs, softmax(primaryLogits[batch.length * (s + 1) + n] ?? []));
        squeezeL1 = Math.max(squeezeL1 ?? 0, d);
      }
      const second = secondLogits?.[n];
      const maha = setup.mahalanobis;
      out.push({
        stats: imageStats(img),
        logits,
        label: argmax(probs),
        msp: Math.max(...probs),
        energy: energy(logits, setup.temperature),
        ...(second === undefined
          ? {}
          : { secondLogits: second, ensembleL1: l1(probs, softmax(second)), secondLabel: argmax(second) }),
        ...(squeezeL1 === undefined ? {} : { squeezeL1 }),
        ...(maha === undefined ? {} : { mahalanobis: mahalanobisScore(maha, logitFeatures(logits, second, maha)) }),
      });
    });
  }
  return out;
}

/**
 * The features the Mahalanobis stage measures: the primary's logits, followed by the second model's when the stage
 * says so (a missing second model leaves them out, and the dimension check then refuses the guard file).
 */
export function logitFeatures(
  primary: Float32Array,
  second: Float32Array | undefined,
  stage: Pick<MahalanobisStage, "withSecond">,
): Float64Array {
  const out = new Float64Array(primary.length + (stage.withSecond ? (second?.length ?? 0) : 0));
  out.set(primary);
  if (stage.withSecond && second !== undefined) out.set(second, primary.length);
  return out;
}
