// Score-based black-box attacks for bench/guard, run as query streams against the served model: each call of
// `query` is one request a client sends. Written from the papers:
//   Square Attack — Andriushchenko et al., ECCV 2020, Algorithm 1 (L∞, margin loss, vertical-stripe start,
//     square side from the schedule p, each square ±ε per channel)
//   SimBA — Guo et al., ICML 2019, Algorithm 1 (pixel basis, random order, step ε, keep a step that lowers the
//     true class's probability)
import { withPixels, type GuardImage } from "@edgeward/guard";

/** One query: the image sent, answered with class probabilities. */
export type Query = (image: GuardImage) => Promise<Float64Array>;

/** One stream: the image attacked, its true label, the query function, the PRNG, L∞ step ε and the query budget. */
export interface AttackSetup {
  readonly x: GuardImage;
  readonly label: number;
  readonly query: Query;
  readonly rand: () => number;
  readonly eps: number;
  readonly budget: number;
}

/** How a stream ended: queries used, and whether the model was fooled. */
export interface AttackOutcome {
  readonly queries: number;
  readonly success: boolean;
}

const margin = (p: Float64Array, label: number) => {
  let other = -Infinity;
  for (let j = 0; j < p.length; j++) if (j !== label) other = Math.max(other, Math.log(p[j]! + 1e-12));
  return Math.log(p[label]! + 1e-12) - other;
};
const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Square Attack, L∞ ε, at most `budget` queries. */
export async function squareAttack({ x, label, query, rand, eps, budget }: AttackSetup): Promise<AttackOutcome> {
  const { height: h, width: w, pixels } = x;
  // Vertical stripes: one sign per column (Andriushchenko et al. §3.1, initialisation).
  const signs = Array.from({ length: w }, () => (rand() < 0.5 ? -eps : eps));
  let best = pixels.map((v, i) => clip(v + signs[i % w]!, 0, 1));
  let bestLoss = margin(await query(withPixels(x, best)), label);
  let queries = 1;
  while (queries < budget && bestLoss > 0) {
    const p = schedule(queries, budget) * 0.1;
    const side = Math.max(1, Math.round(Math.sqrt(p * h * w)));
    const r = Math.floor(rand() * (h - side + 1));
    const c = Math.floor(rand() * (w - side + 1));
    const delta = rand() < 0.5 ? -eps : eps;
    const candidate = best.slice();
    for (let y = r; y < r + side; y++) {
      for (let xx = c; xx < c + side; xx++) candidate[y * w + xx] = clip(pixels[y * w + xx]! + delta, 0, 1);
    }
    const loss = margin(await query(withPixels(x, candidate)), label);
    queries++;
    if (loss < bestLoss) [best, bestLoss] = [candidate, loss];
  }
  return { queries, success: bestLoss <= 0 };
}

/** The paper's piecewise-constant schedule for the share p of pixels changed, halved at fixed fractions of budget. */
function schedule(i: number, budget: number): number {
  const t = (i / budget) * 10000;
  const halvings = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000].filter((k) => t > k).length;
  return 0.8 / 2 ** halvings;
}

/** SimBA with the pixel basis, step ε, at most `budget` queries. */
export async function simba({ x, label, query, rand, eps, budget }: AttackSetup): Promise<AttackOutcome> {
  const order = Array.from({ length: x.pixels.length }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let current = x.pixels.slice();
  let probs = await query(x);
  let queries = 1;
  for (const q of order) {
    if (queries >= budget || argmaxOf(probs) !== label) break;
    for (const step of [-eps, eps]) {
      if (queries >= budget) break;
      const candidate = current.slice();
      candidate[q] = clip(candidate[q]! + step, 0, 1);
      if (candidate[q] === current[q]) continue;
      const p = await query(withPixels(x, candidate));
      queries++;
      if (p[label]! < probs[label]!) {
        [current, probs] = [candidate, p];
        break;
      }
    }
  }
  return { queries, success: argmaxOf(probs) !== label };
}

function argmaxOf(p: Float64Array): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
}
