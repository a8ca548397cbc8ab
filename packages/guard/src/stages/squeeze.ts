import type { GuardImage } from "../data/image.ts";
import { withPixels } from "../data/image.ts";

/** One squeezer of Feature Squeezing (Xu et al., NDSS 2018, §III). */
export type Squeezer =
  | { readonly kind: "bitDepth"; readonly bits: number }
  | { readonly kind: "median"; readonly size: number };

/** Applies `squeezer` to `image`, returning a new image. */
export function squeeze(image: GuardImage, squeezer: Squeezer): GuardImage {
  return squeezer.kind === "bitDepth" ? reduceBitDepth(image, squeezer.bits) : medianSmooth(image, squeezer.size);
}

/** Bit-depth reduction to `bits` bits per value (Xu et al. §III-A): round(x · (2^bits − 1)) / (2^bits − 1). */
export function reduceBitDepth(image: GuardImage, bits: number): GuardImage {
  const levels = 2 ** bits - 1;
  const out = new Float32Array(image.pixels.length);
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(Math.min(1, Math.max(0, image.pixels[i] ?? 0)) * levels) / levels;
  return withPixels(image, out);
}

/**
 * Median smoothing with a `size × size` window per channel (Xu et al. §III-B). An even size (the paper's 2×2)
 * puts the extra row and column before the centre and takes the upper median, as a rank filter does; edges
 * repeat the border pixel.
 */
export function medianSmooth(image: GuardImage, size: number): GuardImage {
  const { channels, height, width, pixels } = image;
  const out = new Float32Array(pixels.length);
  const before = Math.floor(size / 2);
  const window = new Float32Array(size * size);
  const mid = Math.floor((size * size) / 2);
  for (let c = 0; c < channels; c++) {
    const base = c * height * width;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let k = 0;
        for (let dy = 0; dy < size; dy++) {
          const yy = Math.min(height - 1, Math.max(0, y - before + dy));
          for (let dx = 0; dx < size; dx++) {
            const xx = Math.min(width - 1, Math.max(0, x - before + dx));
            window[k++] = pixels[base + yy * width + xx] ?? 0;
          }
        }
        window.sort();
        out[base + y * width + x] = window[mid] ?? 0;
      }
    }
  }
  return withPixels(image, out);
}
