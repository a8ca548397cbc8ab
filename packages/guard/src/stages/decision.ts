import type { GuardConfig, StageAction } from "../config/types.ts";
import type { ImageScores } from "./score-images.ts";

/** The guard's answer for one input (ARCHITECTURE.md, flow 5). */
export type Decision = "accept" | "review" | "fallback" | "reject";

/** The stages that can flag an input. */
export type StageName = "input" | "stats" | "confidence" | "ensemble" | "squeeze" | "mahalanobis" | "query";

/** Why a stage flagged an input: its score against its threshold, and the action it asks for. */
export interface Reason {
  readonly stage: StageName;
  readonly action: StageAction;
  readonly detail: string;
  /** The error code, when the input stage refused the input. */
  readonly code?: string;
  readonly score?: number;
  readonly threshold?: number;
}

const SEVERITY: Readonly<Record<Decision, number>> = { accept: 0, review: 1, fallback: 2, reject: 3 };

/**
 * The decision for a set of reasons: the most severe action any flagged stage asks for (reject > fallback >
 * review), `accept` when none flagged. `fallback` becomes `review` when there is no fallback model to answer.
 */
export function decide(reasons: readonly Reason[], hasFallback: boolean): Decision {
  let decision: Decision = "accept";
  for (const r of reasons) {
    const asked: Decision = r.action === "fallback" && !hasFallback ? "review" : r.action;
    if (SEVERITY[asked] > SEVERITY[decision]) decision = asked;
  }
  return decision;
}

/** Checks an image's scores against every per-image stage of the guard file; returns a reason per flag. */
export function evaluateStages(stages: GuardConfig["stages"], scores: ImageScores): Reason[] {
  const reasons: Reason[] = [];
  if (stages.stats !== undefined) {
    for (const [name, [lo, hi]] of Object.entries(stages.stats.features)) {
      const v = scores.stats[name];
      if (v === undefined) continue;
      if (v < lo || v > hi) {
        reasons.push({
          stage: "stats",
          action: stages.stats.action,
          detail: `${name} ${v < lo ? "below" : "above"} its calibrated range`,
          score: v,
          threshold: v < lo ? lo : hi,
        });
      }
    }
  }
  const conf = stages.confidence;
  if (conf !== undefined) {
    const flagged = conf.score === "msp" ? scores.msp < conf.threshold : scores.energy > conf.threshold;
    if (flagged) {
      reasons.push({
        stage: "confidence",
        action: conf.action,
        detail: conf.score === "msp" ? "maximum softmax probability below threshold" : "energy score above threshold",
        score: conf.score === "msp" ? scores.msp : scores.energy,
        threshold: conf.threshold,
      });
    }
  }
  const ens = stages.ensemble;
  const disagree = `the second model disagrees (labels ${scores.label} and ${scores.secondLabel ?? "?"})`;
  if (ens !== undefined) flagAbove(reasons, "ensemble", ens, scores.ensembleL1, disagree);
  const sq = stages.squeeze;
  if (sq !== undefined)
    flagAbove(reasons, "squeeze", sq, scores.squeezeL1, "prediction changes under feature squeezing");
  const maha = stages.mahalanobis;
  if (maha !== undefined) {
    flagAbove(reasons, "mahalanobis", maha, scores.mahalanobis, "logits far from every class seen in calibration");
  }
  return reasons;
}

/** Adds a reason when `score` is above the stage's threshold. */
function flagAbove(
  reasons: Reason[],
  stage: StageName,
  config: { readonly action: StageAction; readonly threshold: number },
  score: number | undefined,
  detail: string,
): void {
  if (score !== undefined && score > config.threshold) {
    reasons.push({ stage, action: config.action, detail, score, threshold: config.threshold });
  }
}
