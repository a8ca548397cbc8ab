// The release manifest is untrusted input: every bad field is EW_ERR_RELEASE_INVALID, never a crash.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isEdgewardError } from "@edgeward/core";
import { seededRandom, throwsWithCode } from "@edgeward/testkit";
import { parseManifest } from "../../src/releases/index.ts";
import { manifestFor } from "./helpers.ts";

const PAYLOAD = new Uint8Array(10);
const HEADER = new TextEncoder().encode("age-encryption.org/v1\n");

describe("release manifest", () => {
  it("accepts a model manifest, defaults the floor to the version and drops repeated groups", () => {
    const m = parseManifest(manifestFor(PAYLOAD, HEADER, { groups: ["a", "b", "a"] }));
    assert.equal(m.floor, "1.0.0");
    assert.deepEqual(m.groups, ["a", "b"]);
    assert.match(m.bundleSha256, /^[0-9a-f]{64}$/);
  });

  it("when a field is wrong, names it with EW_ERR_RELEASE_INVALID", () => {
    const cases: Record<string, unknown>[] = [
      { name: "../etc" },
      { name: "" },
      { version: "1.0/2" },
      { kind: "firmware" },
      { floor: 3 },
      { groups: "shop" },
      { groups: ["ok", "no way"] },
      { groups: Array.from({ length: 257 }, (_, i) => `g${i}`) },
      { length: -1 },
      { length: 2 ** 60 },
      { sha256: "AB".repeat(32) },
      { header: "not base64!" },
      { header: "" },
      { bundle: undefined },
      { bundle: "A".repeat(200_000) },
    ];
    for (const fields of cases) {
      throwsWithCode(() => parseManifest(manifestFor(PAYLOAD, HEADER, fields)), "EW_ERR_RELEASE_INVALID");
    }
    // A model must be sealed; a package need not be.
    throwsWithCode(() => parseManifest(manifestFor(PAYLOAD, undefined)), "EW_ERR_RELEASE_INVALID");
    assert.equal(parseManifest(manifestFor(PAYLOAD, undefined, { kind: "package" })).header, undefined);
    for (const input of [null, [], "x", 7]) throwsWithCode(() => parseManifest(input), "EW_ERR_RELEASE_INVALID");
  });

  it("fuzzed manifests (seeded) either parse or fail with EW_ERR_RELEASE_INVALID", () => {
    const random = seededRandom(7);
    const base = manifestFor(PAYLOAD, HEADER);
    const keys = Object.keys(base);
    const values = [null, 0, -1, 1.5, "", "x".repeat(300), [], {}, ["a"], true, "AAAA", "1.0.0", "model"];
    let parsed = 0;
    for (let i = 0; i < 2000; i++) {
      const m: Record<string, unknown> = { ...base };
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
        const key = keys[Math.floor(random() * keys.length)]!;
        m[key] = random() < 0.2 ? undefined : values[Math.floor(random() * values.length)];
      }
      try {
        parseManifest(m);
        parsed++;
      } catch (err) {
        assert.ok(isEdgewardError(err, "EW_ERR_RELEASE_INVALID"), String(err));
      }
    }
    assert.ok(parsed < 2000);
  });
});
