import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { isEdgewardError } from "@edgeward/core";
import { seededRandom, throwsWithCode } from "@edgeward/testkit";
import { imagesFromBytes, parseIdx } from "../src/index.ts";

/** An unsigned-byte IDX file (the MNIST format) of `dims`, filled with `fill(i)`. */
function idx(dims: number[], fill = (i: number) => i % 256): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + count);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) out[4 + 4 * dims.length + i] = fill(i);
  return out;
}

describe("IDX parser", () => {
  it("reads dims and bytes, gzip-compressed or not", () => {
    const raw = idx([3, 2, 2]);
    for (const bytes of [raw, gzipSync(raw)]) {
      const parsed = parseIdx(bytes);
      assert.deepEqual(parsed.dims, [3, 2, 2]);
      assert.deepEqual([...parsed.data], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    }
  });

  it("turns image bytes into [0, 1] greyscale images", () => {
    const images = imagesFromBytes(new Uint8Array([0, 255, 51, 102, 0, 0, 0, 0]), 2, 2);
    assert.equal(images.length, 2);
    assert.deepEqual([...(images[0]?.pixels ?? [])], [0, 1, 0.20000000298023224, 0.4000000059604645]);
  });

  it("when the magic is wrong, the type is not bytes, or the header is truncated, rejects with EW_ERR_GUARD_DATA", () => {
    const good = idx([2, 2]);
    throwsWithCode(() => parseIdx(Uint8Array.of(1, 0, 8, 1, 0, 0, 0, 0)), "EW_ERR_GUARD_DATA");
    const float = good.slice();
    float[2] = 0x0d;
    throwsWithCode(() => parseIdx(float), "EW_ERR_GUARD_DATA");
    throwsWithCode(() => parseIdx(good.subarray(0, 9)), "EW_ERR_GUARD_DATA");
  });

  it("when the header promises more or fewer bytes than follow, rejects with EW_ERR_GUARD_DATA", () => {
    const good = idx([4, 4]);
    throwsWithCode(() => parseIdx(good.subarray(0, good.length - 1)), "EW_ERR_GUARD_DATA");
    throwsWithCode(() => parseIdx(Uint8Array.of(...good, 0)), "EW_ERR_GUARD_DATA");
    throwsWithCode(() => parseIdx(gzipSync(good).subarray(0, 20)), "EW_ERR_GUARD_DATA");
  });

  it("fuzz: mutated files parse or fail with EW_ERR_GUARD_DATA, never anything else (seed 9)", () => {
    const rand = seededRandom(9);
    const base = idx([5, 3, 3]);
    for (let n = 0; n < 2000; n++) {
      const bytes = base.slice(0, Math.floor(rand() * (base.length + 1)));
      for (let k = 0; k < 3; k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      try {
        const parsed = parseIdx(rand() < 0.3 ? gzipSync(bytes) : bytes);
        assert.equal(
          parsed.data.length,
          parsed.dims.reduce((a, b) => a * b, 1),
        );
      } catch (err) {
        assert.ok(isEdgewardError(err, "EW_ERR_GUARD_DATA"), `iteration ${n}: ${String(err)}`);
      }
    }
  });
});
