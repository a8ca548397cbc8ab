import sharp, { type Metadata } from "sharp";
import { EdgewardError } from "@edgeward/core";
import type { InputContract } from "../config/types.ts";
import type { GuardImage } from "../data/image.ts";

/** The image formats the guard decodes; anything else (SVG, PDF, raw) is refused before decoding. */
const FORMATS = new Set(["png", "jpeg", "webp", "gif", "tiff"]);

/**
 * Decodes an image into the model's input: bytes checked against `maxBytes`, the header's dimensions against
 * `maxPixels` before any pixel is decoded (a decompression bomb is refused from its header: EW_ERR_IMAGE_LIMIT),
 * EXIF orientation applied, alpha flattened, converted to the model's channels, resized as the contract says and
 * scaled to [0, 1]. Truncated or corrupt data, and unsupported types, fail with EW_ERR_IMAGE_FORMAT.
 */
export async function decodeImage(bytes: Uint8Array, contract: InputContract): Promise<GuardImage> {
  const { maxBytes, maxPixels, fit } = contract.image;
  if (bytes.length > maxBytes) {
    throw new EdgewardError("EW_ERR_IMAGE_LIMIT", { detail: `${bytes.length} bytes, limit ${maxBytes}` });
  }
  const options = { limitInputPixels: maxPixels, failOn: "warning", sequentialRead: true } as const;
  let meta: Metadata;
  try {
    // Header only, no pixels decoded: the limit is checked below, so an oversized image gets its own code.
    meta = await sharp(bytes, { ...options, limitInputPixels: false }).metadata();
  } catch (cause) {
    throw new EdgewardError("EW_ERR_IMAGE_FORMAT", { detail: "unreadable header", cause });
  }
  if (meta.format === undefined || !FORMATS.has(meta.format)) {
    throw new EdgewardError("EW_ERR_IMAGE_FORMAT", { detail: `type ${meta.format ?? "unknown"} is not accepted` });
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0) * Math.max(1, meta.pages ?? 1);
  if (pixels <= 0 || pixels > maxPixels) {
    throw new EdgewardError("EW_ERR_IMAGE_LIMIT", {
      detail: `${meta.width ?? 0}x${meta.height ?? 0}x${meta.pages ?? 1} pixels, limit ${maxPixels}`,
    });
  }
  let raw: Buffer;
  try {
    let pipeline = sharp(bytes, options).rotate().flatten({ background: "#000000" });
    pipeline = contract.channels === 1 ? pipeline.greyscale() : pipeline.toColourspace("srgb");
    raw = await pipeline
      .resize(contract.width, contract.height, { fit, background: "#000000", kernel: "lanczos3" })
      .raw()
      .toBuffer();
  } catch (cause) {
    throw new EdgewardError("EW_ERR_IMAGE_FORMAT", { detail: "decoding failed", cause });
  }
  return fromInterleaved(raw, contract);
}

/** HWC bytes (sharp's raw output; greyscale may still come with 3 channels) to CHW floats in [0, 1]. */
function fromInterleaved(raw: Uint8Array, { channels, height, width }: InputContract): GuardImage {
  const plane = height * width;
  const stride = raw.length / plane;
  if (!Number.isInteger(stride) || stride < channels) {
    throw new EdgewardError("EW_ERR_IMAGE_FORMAT", { detail: `decoder returned ${raw.length} bytes` });
  }
  const out = new Float32Array(channels * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < channels; c++) out[c * plane + i] = (raw[i * stride + c] ?? 0) / 255;
  }
  return { channels, height, width, pixels: out };
}

/**
 * Checks a tensor against the contract: float32, dims [C, H, W] or [1, C, H, W] equal to the model's, every value
 * finite and within `range`. Anything else is EW_ERR_GUARD_INPUT (ARCHITECTURE.md: parsers of untrusted input
 * fail closed).
 */
export function checkTensor(data: unknown, dims: readonly number[], contract: InputContract): GuardImage {
  const { channels, height, width, range } = contract;
  if (!(data instanceof Float32Array))
    throw new EdgewardError("EW_ERR_GUARD_INPUT", { detail: "dtype must be float32" });
  const shape = dims.length === 4 && dims[0] === 1 ? dims.slice(1) : dims;
  if (shape.length !== 3 || shape[0] !== channels || shape[1] !== height || shape[2] !== width) {
    throw new EdgewardError("EW_ERR_GUARD_INPUT", {
      detail: `shape [${dims.join(", ")}], expected [1, ${channels}, ${height}, ${width}]`,
    });
  }
  if (data.length !== channels * height * width) {
    throw new EdgewardError("EW_ERR_GUARD_INPUT", { detail: `${data.length} values for shape [${shape.join(", ")}]` });
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i] ?? Number.NaN;
    if (!(v >= range[0] && v <= range[1])) {
      throw new EdgewardError("EW_ERR_GUARD_INPUT", {
        detail: `value ${v} at ${i} outside [${range[0]}, ${range[1]}]`,
      });
    }
  }
  return { channels, height, width, pixels: data.slice() };
}
