// One continuous "full guard" score per image, for AUROC and FPR95: each stage's score turned into its
// calibration-set tail rank (two-sided for the statistics features), and the largest of them taken — the
// guard flags when any stage is in its tail, so the most extreme stage is the guard's evidence.
import type { GuardConfig, ImageScores } from "@edgeward/guard";
import { ecdf } from "./metrics.ts";

/** Builds the scorer from clean calibration scores. */
export function guardScorer(calibration: readonly ImageScores[], stages: GuardConfig["stages"]) {
  const features = Object.keys(stages.stats?.features ?? {});
  const statCdfs = features.map((f) => [f, ecdf(calibration.map((s) => s.stats[f] ?? 0))] as const);
  const energyCdf = ecdf(calibration.map((s) => s.energy));
  const ensCdf = ecdf(calibration.map((s) => s.ensembleL1 ?? 0));
  const sqCdf = ecdf(calibration.map((s) => s.squeezeL1 ?? 0));
  return (s: ImageScores): number => {
    const ranks = [energyCdf(s.energy)];
    for (const [f, cdf] of statCdfs) ranks.push(Math.abs(2 * cdf(s.stats[f] ?? 0) - 1));
    if (stages.ensemble !== undefined) ranks.push(ensCdf(s.ensembleL1 ?? 0));
    if (stages.squeeze !== undefined) ranks.push(sqCdf(s.squeezeL1 ?? 0));
    // Beyond every calibration value ranks tie at 1; their mean breaks the tie (more stages extreme, higher).
    return Math.max(...ranks) + 1e-3 * (ranks.reduce((a, b) => a + b, 0) / ranks.length);
  };
}
