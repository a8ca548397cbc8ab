import assert from "node:assert/strict";

import { join } from "node:path";
import { describe, it } from "node:test";
import { readFileSync, writeFileSync } from "node:fs";
import { filesHolding, filesUnder, seededRandom, tempDir } from "@edgeward/testkit";

/** The scan's rule written the plain way (one search per fragment): the oracle the indexed scan must agree with. */
function naiveFilesHolding(dirs: readonly string[], secret: Uint8Array, window = 64): string[] {
  const s = Buffer.from(secret);
  const probes: Buffer[] = [];
  if (s.length <= window) probes.push(s);
  else for (let i = 0; i + window <= s.length; i += window / 2) probes.push(s.subarray(i, i + window));
  return dirs.flatMap((dir) => filesUnder(dir)).filter((f) => probes.some((p) => readFileSync(f).includes(p)));
}

describe("filesHolding (indexed, one pass per file) finds what one search per fragment finds", () => {
  it("agrees with the plain search on planted copies of every length around the window, at every alignment", () => {
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
    const slow = naiveFilesHolding([dir.path], secret).sort();
    const fast = filesHolding([dir.path], secret).sort();
    assert.deepEqual(fast, slow);
    assert.ok(fast.includes(join(dir.path, "l96-s17")), "a 96-byte copy is always found");
    assert.ok(!fast.includes(join(dir.path, "none")));
    assert.ok(!fast.includes(join(dir.path, "l40-s0")), "a copy shorter than the window is not a fragment");
  });

  it("finds a secret no longer than the window only whole, as the plain search does", () => {
    using dir = tempDir("edgeward-scan-");
    const secret = Buffer.from("a short inference input, 48 bytes long.........");
    writeFileSync(join(dir.path, "whole"), Buffer.concat([Buffer.from("xx"), secret]));
    writeFileSync(join(dir.path, "part"), secret.subarray(1));
    assert.deepEqual(filesHolding([dir.path], secret), naiveFilesHolding([dir.path], secret));
    assert.deepEqual(filesHolding([dir.path], secret), [join(dir.path, "whole")]);
  });
});

describe("filesHolding with several secrets", () => {
  it("names a file holding a fragment of any one of them, once", () => {
    const next = seededRandom(11);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
    using dir = tempDir("edgeward-scan-");
    const [a, b] = [bytes(2048), bytes(2048)];
    writeFileSync(join(dir.path, "a"), Buffer.concat([bytes(10), a.subarray(500, 700)]));
    writeFileSync(join(dir.path, "both"), Buffer.concat([a.subarray(0, 200), b.subarray(900, 1100)]));
    writeFileSync(join(dir.path, "neither"), bytes(50_000));
    assert.deepEqual(filesHolding([dir.path], [a, b]).sort(), [join(dir.path, "a"), join(dir.path, "both")]);
    assert.deepEqual(filesHolding([dir.path], [b]), [join(dir.path, "both")]);
  });
});
