// The encoding shift: clean test images saved as JPEG and decoded by the guard's own image path (sharp), as a
// camera that compresses would deliver them. Calibration saw lossless IDX pixels; this measures what the guard's
// false-positive rate becomes when the deployment encodes differently (docs/guard.md, "Limits").
import sharp from "sharp";
import { decodeImage, type GuardImage, type InputContract } from "@edgeward/guard";

/** `images` (greyscale 28×28) round-tripped through JPEG at `quality` and the guard's decoder. */
export async function throughJpeg(
  images: readonly GuardImage[],
  quality: number,
  contract: InputContract,
): Promise<GuardImage[]> {
  const out: GuardImage[] = [];
  for (const img of images) {
    const raw = Buffer.from(Array.from(img.pixels, (v) => Math.round(v * 255)));
    const jpeg = await sharp(raw, { raw: { width: img.width, height: img.height, channels: 1 } })
      .jpeg({ quality })
      .toBuffer();
    out.push(await decodeImage(jpeg, contract));
  }
  return out;
}
