import { EdgewardError } from "@edgeward/core";
import type { MahalanobisStage } from "../config/types.ts";

/**
 * A class-conditional Gaussian over logits with one shared covariance (Lee et al., "A Simple Unified Framework for
 * Detecting Out-of-Distribution Samples and Adversarial Attacks", NeurIPS 2018, §2): the score of an input is its
 * smallest Mahalanobis distance to a class mean. Lee et al. use penultimate-layer features; the guard's models
 * expose only logits, so the features are the primary's logits followed by the second model's (when it has one).
 * Clean inputs sit near their class's mean; out-of-distribution and adversarial inputs land in places clean data
 * never does (confident but with an unusual pattern across the other classes, or the two models at odds).
 */
export interface LogitGaussian {
  readonly means: readonly (readonly number[])[];
  /** The inverse of the shared covariance (d × d). */
  readonly precision: readonly (readonly number[])[];
}

/** A small ridge added to the covariance's diagonal, so it is always invertible. */
const RIDGE = 1e-3;

/**
 * Fits the class means (by the label the primary model gives: no ground truth is needed) and the shared
 * covariance's inverse from clean calibration features. Classes that never occur are left out.
 */
export function fitLogitGaussian(features: readonly Float64Array[], labels: readonly number[]): LogitGaussian {
  const d = features[0]?.length ?? 0;
  const byClass = new Map<number, { sum: Float64Array; n: number }>();
  features.forEach((f, i) => {
    const c = labels[i] ?? 0;
    const acc = byClass.get(c) ?? { sum: new Float64Array(d), n: 0 };
    for (let k = 0; k < d; k++) acc.sum[k] = (acc.sum[k] ?? 0) + (f[k] ?? 0);
    acc.n++;
    byClass.set(c, acc);
  });
  const means = new Map([...byClass].map(([c, { sum, n }]) => [c, Array.from(sum, (v) => v / n)]));
  const cov = Array.from({ length: d }, () => new Float64Array(d));
  features.forEach((f, i) => {
    const m = means.get(labels[i] ?? 0) ?? [];
    for (let a = 0; a < d; a++) {
      const da = (f[a] ?? 0) - (m[a] ?? 0);
      const row = cov[a] as Float64Array;
      for (let b = 0; b < d; b++) row[b] = (row[b] ?? 0) + da * ((f[b] ?? 0) - (m[b] ?? 0));
    }
  });
  cov.forEach((row, a) => {
    for (let b = 0; b < d; b++) row[b] = (row[b] ?? 0) / features.length + (a === b ? RIDGE : 0);
  });
  const sorted = [...means.keys()].sort((a, b) => a - b);
  return { means: sorted.map((c) => means.get(c) ?? []), precision: invert(cov) };
}

/** The smallest squared Mahalanobis distance from `features` to a class mean. */
export function mahalanobisScore(stage: Pick<MahalanobisStage, "means" | "precision">, features: Float64Array): number {
  const d = stage.precision.length;
  if (features.length !== d) {
    throw new EdgewardError("EW_ERR_GUARD_FILE", {
      detail: `stages.mahalanobis has ${d} dimensions, the models give ${features.length} logits`,
    });
  }
  const diff = new Float64Array(d);
  let best = Infinity;
  for (const mean of stage.means) {
    for (let k = 0; k < d; k++) diff[k] = (features[k] ?? 0) - (mean[k] ?? 0);
    let q = 0;
    for (let a = 0; a < d; a++) {
      const row = stage.precision[a] ?? [];
      let t = 0;
      for (let b = 0; b < d; b++) t += (row[b] ?? 0) * (diff[b] ?? 0);
      q += (diff[a] ?? 0) * t;
    }
    best = Math.min(best, q);
  }
  return best;
}

/** Gauss–Jordan inversion with partial pivoting of a symmetric positive-definite matrix. */
function invert(m: readonly Float64Array[]): number[][] {
  const n = m.length;
  const a: Float64Array[] = m.map((row, i) => {
    const r = new Float64Array(2 * n);
    r.set(row);
    r[n + i] = 1;
    return r;
  });
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]?.[c] ?? 0) > Math.abs(a[pivot]?.[c] ?? 0)) pivot = r;
    const top = a[pivot] ?? new Float64Array(2 * n);
    a[pivot] = a[c] ?? top;
    a[c] = top;
    const p = top[c] ?? 1;
    for (let k = 0; k < 2 * n; k++) top[k] = (top[k] ?? 0) / p;
    for (let r = 0; r < n; r++) {
      const row = a[r] as Float64Array;
      const f = row[c] ?? 0;
      if (r === c || f === 0) continue;
      for (let k = 0; k < 2 * n; k++) row[k] = (row[k] ?? 0) - f * (top[k] ?? 0);
    }
  }
  return a.map((row) => Array.from(row.subarray(n)));
}
