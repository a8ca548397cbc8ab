// Detection metrics for bench/guard: AUROC, FPR at 95% TPR (as Liu et al. 2020 report OOD detection) and
// percentiles, on scores where higher means "more likely out-of-distribution or adversarial".

/** Area under the ROC curve: the probability that a random positive outscores a random negative (ties half). */
export function auroc(negatives: readonly number[], positives: readonly number[]): number {
  const all = [...negatives.map((s) => ({ s, pos: false })), ...positives.map((s) => ({ s, pos: true }))];
  all.sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const rank = (i + j + 1) / 2; // average 1-based rank of the tie block
    for (let k = i; k < j; k++) if (all[k]!.pos) rankSum += rank;
    i = j;
  }
  const p = positives.length;
  return (rankSum - (p * (p + 1)) / 2) / (p * negatives.length);
}

/**
 * FPR95 (Liu et al. 2020, §4.1): with the threshold that keeps 95% of in-distribution inputs, the share of
 * out-of-distribution inputs that are kept too. Lower is better.
 */
export function fpr95(inDist: readonly number[], outDist: readonly number[]): number {
  const sorted = [...inDist].sort((a, b) => a - b);
  const t = sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
  return outDist.filter((s) => s <= t).length / outDist.length;
}

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Empirical CDF of `reference`: the share of reference values below `v` (ties count half). */
export function ecdf(reference: readonly number[]): (v: number) => number {
  const s = Float64Array.from(reference).sort();
  const lowerBound = (v: number, strict: boolean) => {
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (strict ? s[mid]! < v : s[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return (v) => (lowerBound(v, true) + lowerBound(v, false)) / 2 / s.length;
}
