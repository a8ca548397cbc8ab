/**
 * The q-quantile of `values` (0 ≤ q ≤ 1), by linear interpolation between order statistics (Hyndman and Fan's
 * type 7, numpy's default). Empty input gives NaN.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const below = Math.floor(pos);
  const a = sorted[below] ?? 0;
  const b = sorted[Math.min(sorted.length - 1, below + 1)] ?? a;
  return a + (b - a) * (pos - below);
}
