// One continuous "full guard" score per image, for AUROC and FPR95, made from the guard file's own thresholds:
// each score's tail share on the clean calibration images is divided into the tail share its threshold sits at
// (w·p, bench/RESULTS.md), and the largest ratio taken. The guard flags exactly when some ratio passes 1, so
// thresholding this score at 1 is the calibrated guard, and sliding the threshold moves every stage's level
// together, in the proportions calibration gave them.
import type { GuardConfig, ImageScores } from "@edgeward/guard";
import { ecdf } from "./metrics.ts";

type Column = { value: (s: ImageScores) => number; lo?: number; hi: number };

/** Builds the scorer from clean calibration scores and the calibrated stages. */
export function guardScorer(calibration: readonly ImageScores[], stages: GuardConfig["stages"]) {
  const columns: Column[] = [];
  for (const [f, [lo, hi]] of Object.entries(stages.stats?.features ?? {})) {
    columns.push({ value: (s) => s.stats[f] ?? 0, lo, hi });
  }
  const conf = stages.confidence;
  if (conf !== undefined) {
    columns.push(
      conf.score === "energy"
        ? { value: (s) => s.energy, hi: conf.threshold }
        : { value: (s) => -s.msp, hi: -conf.threshold },
    );
  }
  if (stages.ensemble !== undefined) columns.push({ value: (s) => s.ensembleL1 ?? 0, hi: stages.ensemble.threshold });
  if (stages.squeeze !== undefined) columns.push({ value: (s) => s.squeezeL1 ?? 0, hi: stages.squeeze.threshold });
  if (stages.mahalanobis !== undefined) {
    columns.push({ value: (s) => s.mahalanobis ?? 0, hi: stages.mahalanobis.threshold });
  }
  const floor = 0.5 / calibration.length;
  const sides = columns.flatMap(({ value, lo, hi }) => {
    const values = calibration.map(value);
    const cdf = ecdf(values);
    const min = Math.min(...values);
    const upper = { value, tail: (v: number) => 1 - cdf(v), at: Math.max(floor, 1 - cdf(hi)) };
    // A lower bound at the calibration minimum is a one-sided feature: its lower tail never flags.
    return lo === undefined || lo <= min ? [upper] : [upper, { value, tail: cdf, at: Math.max(floor, cdf(lo)) }];
  });
  return (s: ImageScores): number => {
    const ratios = sides.map(({ value, tail, at }) => at / Math.max(floor, tail(value(s))));
    // Beyond every calibration value ratios saturate; the mean log ratio breaks the tie (more stages extreme, higher).
    const meanLog = ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length;
    return Math.max(...ratios) * (1 + 1e-3 * Math.tanh(meanLog));
  };
}
