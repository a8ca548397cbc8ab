import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { seededRandom, tempDir } from "@edgeward/testkit";
import { scanForFragments } from "../src/fleet/scan.ts";

// The fleet demo's final check: any copy of 96 bytes or more of the model, anywhere under the scanned
// directories, is found; shorter runs and unrelated bytes are not.
describe("the fleet demo's plaintext scan", () => {
  const next = seededRandom(7);
  const rand = { bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))) };
  const secret = rand.bytes(200_000);

  it("finds a 96-byte copy at any offset in a nested file, and nothing in noise or in a 63-byte copy", () => {
    using dir = tempDir("edgeward-scan-");
    mkdirSync(join(dir.path, "a", "b"), { recursive: true });
    for (const offset of [0, 1, 31, 77_777, secret.length - 96]) {
      const hit = join(dir.path, "a", "b", `hit-${offset}`);
      writeFileSync(hit, Buffer.concat([rand.bytes(513), secret.subarray(offset, offset + 96), rand.bytes(9)]));
    }
    writeFileSync(join(dir.path, "short"), Buffer.concat([rand.bytes(100), secret.subarray(1000, 1063)]));
    writeFileSync(join(dir.path, "noise"), rand.bytes(300_000));
    symlinkSync(join(dir.path, "a", "b", "hit-0"), join(dir.path, "link"));
    const r = scanForFragments([dir.path], secret);
    assert.equal(r.files, 7);
    const want = [0, 1, 31, 77_777, secret.length - 96].map((o) => `a/b/hit-${o}`).sort();
    assert.deepEqual(r.hits.map((h) => h.slice(dir.path.length + 1)).sort(), want);
  });
});
