import type { GuardImage } from "../data/image.ts";

/** The input-statistics features, by name: `mean.0`, `std.0` per channel, then the whole-image features. */
export type StatsFeatures = Record<string, number>;

const HISTOGRAM_BINS = 256;

/**
 * Computes the features the statistics gate checks: per-channel mean and standard deviation (brightness and
 * contrast), the Shannon entropy of the 256-bin intensity histogram (noise raises it, blank frames lower it), the
 * variance of the 4-neighbour Laplacian (sharpness: blur lowers it, noise raises it; Pech-Pacheco et al., ICPR
 * 2000), the shares of pixels clipped at black and at white (covered lens, over-exposure), and the dark-region
 * noise: the mean brightness of pixels whose 3×3 neighbourhood median is black. A camera's dark background is flat;
 * sensor noise and adversarial perturbations (which spread small ±ε steps over every pixel) light it up. Every one
 * of those is blind to a quarter turn of the camera, so one feature is not: `mirrorRatio` (see {@link mirrorRatio}).
 */
export function imageStats(image: GuardImage): StatsFeatures {
  const { channels, height, width, pixels } = image;
  const plane = height * width;
  const features: StatsFeatures = {};
  const histogram = new Float64Array(HISTOGRAM_BINS);
  let clippedLow = 0;
  let clippedHigh = 0;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    let sumSq = 0;
    for (let i = c * plane; i < (c + 1) * plane; i++) {
      const v = pixels[i] ?? 0;
      sum += v;
      sumSq += v * v;
      const bin = Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.round(v * (HISTOGRAM_BINS - 1))));
      histogram[bin] = (histogram[bin] ?? 0) + 1;
      if (v <= 0) clippedLow++;
      else if (v >= 1) clippedHigh++;
    }
    const mean = sum / plane;
    features[`mean.${c}`] = mean;
    features[`std.${c}`] = Math.sqrt(Math.max(0, sumSq / plane - mean * mean));
  }
  const total = channels * plane;
  let entropy = 0;
  for (const n of histogram) if (n > 0) entropy -= (n / total) * Math.log2(n / total);
  features["entropy"] = entropy;
  const grey = greyPlane(image);
  features["laplacianVar"] = laplacianVariance(grey, height, width);
  features["darkNoise"] = darkNoise(grey, height, width);
  features["mirrorRatio"] = mirrorRatio(grey, height, width);
  features["clippedLow"] = clippedLow / total;
  features["clippedHigh"] = clippedHigh / total;
  return features;
}

/** The channel-averaged image. */
function greyPlane({ channels, height, width, pixels }: GuardImage): Float32Array {
  const plane = height * width;
  if (channels === 1) return pixels;
  const grey = new Float32Array(plane);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < plane; i++) grey[i] = (grey[i] ?? 0) + (pixels[c * plane + i] ?? 0) / channels;
  }
  return grey;
}

/**
 * Orientation: log of the left–right mirror asymmetry over the top–bottom one, Σ|x − flipLR(x)| / Σ|x − flipTB(x)|
 * (a small constant keeps blank frames finite). Upright objects and scenes are far closer to left–right symmetric
 * than to top–bottom symmetric (gravity), so upright inputs sit low; turned a quarter, the two swap and the ratio's
 * sign flips, which no mean, spread, histogram or Laplacian statistic can see.
 */
function mirrorRatio(grey: Float32Array, height: number, width: number): number {
  let lr = 0;
  let tb = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = grey[y * width + x] ?? 0;
      lr += Math.abs(v - (grey[y * width + (width - 1 - x)] ?? 0));
      tb += Math.abs(v - (grey[(height - 1 - y) * width + x] ?? 0));
    }
  }
  return Math.log((lr + 1e-3) / (tb + 1e-3));
}

/** Mean of the pixels whose 3×3 neighbourhood (edges repeated) has a median below 5/255; 0 when there are none. */
function darkNoise(grey: Float32Array, height: number, width: number): number {
  const window = new Float32Array(9);
  let sum = 0;
  let n = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let k = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = Math.min(height - 1, Math.max(0, y + dy));
        for (let dx = -1; dx <= 1; dx++) window[k++] = grey[yy * width + Math.min(width - 1, Math.max(0, x + dx))] ?? 0;
      }
      if (median9(window) < 5 / 255) {
        sum += grey[y * width + x] ?? 0;
        n++;
      }
    }
  }
  return n === 0 ? 0 : sum / n;
}

/** The median of nine values, by partial selection (no allocation, no full sort). */
function median9(v: Float32Array): number {
  for (let i = 0; i <= 4; i++) {
    let min = i;
    for (let j = i + 1; j < 9; j++) if ((v[j] ?? 0) < (v[min] ?? 0)) min = j;
    const t = v[i] ?? 0;
    v[i] = v[min] ?? 0;
    v[min] = t;
  }
  return v[4] ?? 0;
}

/** Variance of the 4-neighbour Laplacian over the interior of the channel-averaged image. */
function laplacianVariance(grey: Float32Array, height: number, width: number): number {
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const l =
        (grey[i - 1] ?? 0) + (grey[i + 1] ?? 0) + (grey[i - width] ?? 0) + (grey[i + width] ?? 0) - 4 * (grey[i] ?? 0);
      sum += l;
      sumSq += l * l;
      n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return Math.max(0, sumSq / n - mean * mean);
}
