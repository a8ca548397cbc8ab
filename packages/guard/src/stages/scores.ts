/** Softmax of `logits` (max-subtracted, so large logits do not overflow). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] ?? 0);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i] ?? 0) - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) / sum;
  return out;
}

/** The maximum softmax probability (Hendrycks and Gimpel, ICLR 2017): low means unsure. */
export function maxSoftmax(logits: ArrayLike<number>): number {
  return Math.max(...softmax(logits));
}

/**
 * The free energy score E(x) = −T · log Σ exp(fᵢ(x)/T) (Liu et al., "Energy-based Out-of-distribution
 * Detection", NeurIPS 2020, eq. 7): in-distribution inputs get lower energy; higher means out-of-distribution.
 */
export function energy(logits: ArrayLike<number>, temperature = 1): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, (logits[i] ?? 0) / temperature);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] ?? 0) / temperature - max);
  return -temperature * (max + Math.log(sum));
}

/** The index of the largest value. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? -Infinity) > (values[best] ?? -Infinity)) best = i;
  return best;
}

/** The L1 distance between two probability vectors (Xu et al., NDSS 2018, §IV: the squeezing score). */
export function l1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return d;
}
