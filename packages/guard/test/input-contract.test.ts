import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { describe, it } from "node:test";
import sharp from "sharp";
import { isEdgewardError } from "@edgeward/core";
import { rejectsWithCode, seededRandom, tempDir, throwsWithCode } from "@edgeward/testkit";
import { checkTensor, decodeImage, loadCalibrationData } from "../src/index.ts";
import { sampleConfig } from "./helpers.ts";

const contract = sampleConfig().input;

/** A greyscale PNG, left half white and right half black. */
async function halves(width: number, height: number, format: "png" | "jpeg" = "png", orientation?: number) {
  const raw = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width / 2; x++) raw[y * width + x] = 255;
  const img = sharp(raw, { raw: { width, height, channels: 1 } });
  const withMeta = orientation === undefined ? img : img.withMetadata({ orientation });
  return format === "png" ? withMeta.png().toBuffer() : withMeta.jpeg({ quality: 95 }).toBuffer();
}

/** Mean of the pixels of a 28×28 image where `pick(x, y)` holds. */
function meanWhere(pixels: Float32Array, pick: (x: number, y: number) => boolean): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < pixels.length; i++) {
    if (pick(i % 28, Math.floor(i / 28))) {
      sum += pixels[i] ?? 0;
      n++;
    }
  }
  return sum / n;
}

/** `png` with its IHDR width and height replaced and the chunk's CRC fixed (PNG §11.2.2). */
function withDimensions(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

describe("input contract: images", () => {
  it("decodes and resizes a PNG to the model's 28×28 greyscale input in [0, 1]", async () => {
    const img = await decodeImage(await halves(56, 56), contract);
    assert.deepEqual([img.channels, img.height, img.width, img.pixels.length], [1, 28, 28, 784]);
    assert.ok(meanWhere(img.pixels, (x) => x < 13) > 0.99);
    assert.ok(meanWhere(img.pixels, (x) => x > 14) < 0.01);
  });

  it("applies EXIF orientation: a JPEG tagged 'rotate 90° clockwise' arrives with its white half on top", async () => {
    const img = await decodeImage(await halves(40, 40, "jpeg", 6), contract);
    assert.ok(meanWhere(img.pixels, (_x, y) => y < 12) > 0.9, "top is white");
    assert.ok(meanWhere(img.pixels, (_x, y) => y > 16) < 0.1, "bottom is black");
  });

  it("when the header claims 100000×100000 pixels, rejects with EW_ERR_IMAGE_LIMIT before decoding", async () => {
    const bomb = withDimensions(await halves(28, 28), 100_000, 100_000);
    await rejectsWithCode(decodeImage(bomb, contract), "EW_ERR_IMAGE_LIMIT");
  });

  it("when the file is larger than maxBytes, rejects with EW_ERR_IMAGE_LIMIT", async () => {
    const small = { ...contract, image: { ...contract.image, maxBytes: 100 } };
    await rejectsWithCode(decodeImage(await halves(56, 56), small), "EW_ERR_IMAGE_LIMIT");
  });

  it("when the PNG is truncated, rejects with EW_ERR_IMAGE_FORMAT", async () => {
    const png = await halves(56, 56);
    for (const cut of [10, 40, png.length - 20]) {
      await rejectsWithCode(decodeImage(png.subarray(0, cut), contract), "EW_ERR_IMAGE_FORMAT");
    }
  });

  it("when the bytes are an SVG, text, or nothing, rejects with EW_ERR_IMAGE_FORMAT", async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><rect width="28" height="28"/></svg>';
    for (const bytes of [Buffer.from(svg), Buffer.from("hello, model"), Buffer.alloc(0)]) {
      await rejectsWithCode(decodeImage(bytes, contract), "EW_ERR_IMAGE_FORMAT");
    }
  });

  it("fuzz: mutated PNGs decode or fail with an image code, never anything else (seed 23)", async () => {
    const rand = seededRandom(23);
    const png = await halves(28, 28);
    for (let n = 0; n < 150; n++) {
      const bytes = Buffer.from(png.subarray(0, 8 + Math.floor(rand() * (png.length - 8))));
      for (let k = 0; k < 4; k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      try {
        const img = await decodeImage(bytes, contract);
        assert.equal(img.pixels.length, 784);
      } catch (err) {
        const ok = isEdgewardError(err, "EW_ERR_IMAGE_FORMAT") || isEdgewardError(err, "EW_ERR_IMAGE_LIMIT");
        assert.ok(ok, `iteration ${n}: ${String(err)}`);
      }
    }
  });
});

describe("input contract: tensors", () => {
  const good = new Float32Array(784).fill(0.5);
  it("accepts float32 [1, 1, 28, 28] and [1, 28, 28] in range", () => {
    assert.equal(checkTensor(good, [1, 1, 28, 28], contract).pixels.length, 784);
    assert.equal(checkTensor(good, [1, 28, 28], contract).pixels.length, 784);
  });

  it("when the dtype, shape or range is wrong, or a value is NaN, rejects with EW_ERR_GUARD_INPUT", () => {
    throwsWithCode(() => checkTensor(new Float64Array(784), [1, 1, 28, 28], contract), "EW_ERR_GUARD_INPUT");
    throwsWithCode(() => checkTensor(good, [1, 3, 28, 28], contract), "EW_ERR_GUARD_INPUT");
    throwsWithCode(() => checkTensor(good.subarray(1), [1, 1, 28, 28], contract), "EW_ERR_GUARD_INPUT");
    const out = good.slice();
    out[100] = 1.5;
    throwsWithCode(() => checkTensor(out, [1, 1, 28, 28], contract), "EW_ERR_GUARD_INPUT");
    out[100] = Number.NaN;
    throwsWithCode(() => checkTensor(out, [1, 1, 28, 28], contract), "EW_ERR_GUARD_INPUT");
  });
});

describe("calibration data", () => {
  it("reads a folder of images in name order, and its digest changes when one image does", async () => {
    using dir = tempDir("edgeward-guard-data-");
    writeFileSync(join(dir.path, "b.png"), await halves(28, 28));
    writeFileSync(join(dir.path, "a.png"), await halves(56, 28));
    writeFileSync(join(dir.path, "notes.txt"), "ignored");
    const first = await loadCalibrationData(dir.path, contract);
    assert.equal(first.images.length, 2);
    writeFileSync(join(dir.path, "b.png"), await halves(28, 56));
    assert.notEqual((await loadCalibrationData(dir.path, contract)).sha256, first.sha256);
    assert.equal((await loadCalibrationData(dir.path, contract, [1])).images.length, 1);
    await rejectsWithCode(loadCalibrationData(dir.path, contract, [2]), "EW_ERR_GUARD_DATA");
    await rejectsWithCode(loadCalibrationData(join(dir.path, "missing"), contract), "EW_ERR_GUARD_DATA");
  });
});
