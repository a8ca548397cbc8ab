import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "@edgeward/testkit";
import { DEFAULT_QUERY_STAGE, fingerprint, QueryDetector, withPixels, type GuardImage } from "../src/index.ts";
import { picture } from "./helpers.ts";

/** A random textured 28×28 image: a sum of three random plane waves, like fabric under light. */
function texture(rand: () => number): GuardImage {
  const waves = Array.from({ length: 3 }, () => [rand() * 1.5, rand() * 1.5, rand() * 6]);
  return picture((x, y) => {
    let v = 0;
    for (const [a = 0, b = 0, c = 0] of waves) v += Math.sin(a * x + b * y + c);
    return 0.5 + v / 6;
  });
}

/** `image` with ±eps noise on `share` of its pixels, as a black-box attack's next query. */
function perturb(image: GuardImage, rand: () => number, eps: number, share: number): GuardImage {
  return withPixels(
    image,
    image.pixels.map((v) => (rand() < share ? Math.min(1, Math.max(0, v + (rand() < 0.5 ? -eps : eps))) : v)),
  );
}

describe("query-attack detection (Blacklight-style fingerprints)", () => {
  it("a fingerprint keeps at most topHashes sorted hashes, and the same image gives the same fingerprint", () => {
    const img = texture(seededRandom(1));
    const fp = fingerprint(img, DEFAULT_QUERY_STAGE);
    assert.ok(fp.length <= DEFAULT_QUERY_STAGE.topHashes && fp.length > 10);
    assert.deepEqual(fp, fingerprint(withPixels(img, img.pixels.slice()), DEFAULT_QUERY_STAGE));
    assert.ok(fp.every((v, i) => i === 0 || v > (fp[i - 1] ?? 0)));
  });

  it("flags a client whose second query is the first with a few pixels nudged", () => {
    const rand = seededRandom(2);
    const detector = new QueryDetector(DEFAULT_QUERY_STAGE);
    const start = texture(rand);
    assert.equal(detector.observe("attacker", start).flagged, false);
    const verdict = detector.observe("attacker", perturb(start, rand, 0.05, 0.05));
    assert.equal(verdict.flagged, true);
    assert.ok(verdict.maxOverlap >= DEFAULT_QUERY_STAGE.matchThreshold);
  });

  it("does not flag a client sending 200 distinct images, nor one client because of another's queries", () => {
    const rand = seededRandom(4);
    const detector = new QueryDetector(DEFAULT_QUERY_STAGE);
    const first = texture(rand);
    detector.observe("a", first);
    assert.equal(detector.observe("b", first).flagged, false);
    let flagged = 0;
    for (let i = 0; i < 200; i++) if (detector.observe("c", texture(rand)).flagged) flagged++;
    assert.equal(flagged, 0);
  });

  it("keeps memory bounded: at most `history` fingerprints per client and `maxClients` clients", () => {
    const rand = seededRandom(5);
    const detector = new QueryDetector({ ...DEFAULT_QUERY_STAGE, history: 3, maxClients: 2 });
    for (let i = 0; i < 10; i++) detector.observe("one", texture(rand));
    assert.equal(detector.fingerprints, 3);
    detector.observe("two", texture(rand));
    detector.observe("three", texture(rand));
    assert.equal(detector.clients, 2);
    assert.equal(detector.fingerprints, 2, "the least recently seen client ('one') was forgotten");
  });
});
