import type { GuardImage } from "../data/image.ts";

/** The input-statistics features, by name: `mean.0`, `std.0` per channel, then the whole-image features. */
export type StatsFeatures = Record<string, number>;

const HISTOGRAM_BINS = 256;

/**
 * Computes the features the statistics gate checks: per-channel mean and standard deviation (brightness and
 * contrast), the Shannon entropy of the 256-bin intensity histogram (noise raises it, blank frames lower it), the
 * variance of the 4-neighbour Laplacian (sharpness: blur lowers it, noise raises it; Pech-Pacheco et al., ICPR
 * 2000) and the shares of pixels clipped at black and at white (covered lens, over-exposure).
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
  features["laplacianVar"] = laplacianVariance(image);
  features["clippedLow"] = clippedLow / total;
  features["clippedHigh"] = clippedHigh / total;
  return features;
}

/** Variance of the 4-neighbour Laplacian over the interior of the channel-averaged image. */
function laplacianVariance({ channels, height, width, pixels }: GuardImage): number {
  const plane = height * width;
  const grey = new Float32Array(plane);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < plane; i++) grey[i] = (grey[i] ?? 0) + (pixels[c * plane + i] ?? 0) / channels;
  }
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
