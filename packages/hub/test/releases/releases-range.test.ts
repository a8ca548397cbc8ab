// HTTP Range for target downloads (RFC 9110 §14): one range served, others ignored, outside the file is 416.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isEdgewardError } from "@edgeward/core";
import { seededRandom, throwsWithCode } from "@edgeward/testkit";
import { resolveRange } from "../../src/releases/index.ts";

describe("resolveRange", () => {
  it("serves one byte range, a suffix, or an open end; clamps the end to the file", () => {
    assert.deepEqual(resolveRange("bytes=0-9", 100), { start: 0, end: 9, partial: true });
    assert.deepEqual(resolveRange("bytes=90-", 100), { start: 90, end: 99, partial: true });
    assert.deepEqual(resolveRange("bytes=-10", 100), { start: 90, end: 99, partial: true });
    assert.deepEqual(resolveRange("bytes=-1000", 100), { start: 0, end: 99, partial: true });
    assert.deepEqual(resolveRange("bytes=50-5000", 100), { start: 50, end: 99, partial: true });
  });

  it("ignores what it does not serve (no header, several ranges, other units, a reversed range)", () => {
    const whole = { start: 0, end: 99, partial: false };
    for (const header of [undefined, "bytes=0-1,5-6", "items=0-1", "bytes=9-2", "bytes=-", "bytes=abc", ""]) {
      assert.deepEqual(resolveRange(header, 100), whole, String(header));
    }
  });

  it("when the range starts at or past the end, or asks for a zero suffix, refuses with EW_ERR_RANGE_NOT_SATISFIABLE", () => {
    throwsWithCode(() => resolveRange("bytes=100-", 100), "EW_ERR_RANGE_NOT_SATISFIABLE");
    throwsWithCode(() => resolveRange("bytes=100-200", 100), "EW_ERR_RANGE_NOT_SATISFIABLE");
    throwsWithCode(() => resolveRange("bytes=-0", 100), "EW_ERR_RANGE_NOT_SATISFIABLE");
    throwsWithCode(() => resolveRange("bytes=0-", 0), "EW_ERR_RANGE_NOT_SATISFIABLE");
  });

  it("fuzzed headers (seeded) give a range inside the file or the one code, never anything else", () => {
    const random = seededRandom(11);
    const alphabet = "bytes=-0123456789, x";
    for (let i = 0; i < 5000; i++) {
      const length = Math.floor(random() * 1000);
      const header = Array.from(
        { length: Math.floor(random() * 16) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join("");
      try {
        const r = resolveRange(random() < 0.5 ? `bytes=${header}` : header, length);
        assert.ok(r.start >= 0 && r.end <= length - 1 && (r.start <= r.end || length === 0), `${header} ${length}`);
      } catch (err) {
        assert.ok(isEdgewardError(err, "EW_ERR_RANGE_NOT_SATISFIABLE"), String(err));
      }
    }
  });
});
