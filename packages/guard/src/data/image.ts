/**
 * One image as the guard sees it: `pixels` holds `channels × height × width` values in [0, 1], planar (CHW, the
 * layout ONNX image models take), before the model's own normalisation.
 */
export interface GuardImage {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly pixels: Float32Array;
}

/** Builds images from an unsigned-byte array of `count × height × width` greyscale pixels (an IDX image file). */
export function imagesFromBytes(data: Uint8Array, height: number, width: number): GuardImage[] {
  const size = height * width;
  const images: GuardImage[] = [];
  for (let off = 0; off + size <= data.length; off += size) {
    const pixels = new Float32Array(size);
    for (let i = 0; i < size; i++) pixels[i] = (data[off + i] ?? 0) / 255;
    images.push({ channels: 1, height, width, pixels });
  }
  return images;
}

/** A copy of `image` with `pixels` replaced. */
export function withPixels(image: GuardImage, pixels: Float32Array): GuardImage {
  return { channels: image.channels, height: image.height, width: image.width, pixels };
}
