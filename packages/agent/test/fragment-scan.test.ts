import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { filesHolding, filesHoldingFragments, seededRandom, tempDir } from "@edgeward/testkit";

describe("filesHoldingFragments finds what filesHolding finds, in one pass", () => {
  it("agrees with filesHolding on planted copies of every length around the window, at every alignment", () => {
    const next = seededRandom(7);
    const random = { bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))) };
    using dir = tempDir("edgeward-scan-");
    const secret = random.bytes(4096);
    const cases: string[] = [];
    for (const length of [40, 63, 64, 95, 96, 97, 200]) {
      for (const start of [0, 1, 17, 31, 32, 1000, 4096 - length]) {
        const name = `l${length}-s${start}`;
        writeFileSync(
          join(dir.path, name),
          Buffer.concat([random.bytes(300), secret.subarray(start, start + length), random.bytes(300)]),
        );
        cases.push(name);
      }
    }
    writeFileSync(join(dir.path, "none"), random.bytes(100_000));
    const slow = filesHolding([dir.path], secret).sort();
    const fast = filesHoldingFragments([dir.path], secret).sort();
    assert.deepEqual(fast, slow);
    assert.ok(fast.includes(join(dir.path, "l96-s17")), "a 96-byte copy is always found");
    assert.ok(!fast.includes(join(dir.path, "none")));
    assert.ok(!fast.includes(join(dir.path, "l40-s0")), "a copy shorter than the window is not a fragment");
  });

  it("finds a secret no longer than the window only whole, as filesHolding does", () => {
    using dir = tempDir("edgeward-scan-");
    const secret = Buffer.from("a short inference input, 48 bytes long.........");
    writeFileSync(join(dir.path, "whole"), Buffer.concat([Buffer.from("xx"), secret]));
    writeFileSync(join(dir.path, "part"), secret.subarray(1));
    assert.deepEqual(filesHoldingFragments([dir.path], secret), filesHolding([dir.path], secret));
    assert.deepEqual(filesHoldingFragments([dir.path], secret), [join(dir.path, "whole")]);
  });
});
