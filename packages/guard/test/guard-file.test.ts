import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isEdgewardError } from "@edgeward/core";
import { seededRandom, throwsWithCode } from "@edgeward/testkit";
import { guardDigest, loadGuardFile, serializeGuardFile } from "../src/index.ts";
import { sampleConfig } from "./helpers.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const bytesOf = (value: unknown) => encode(JSON.stringify(value));

describe("guard file", () => {
  it("round-trips through YAML, and its digest is SHA-256 of its exact bytes", () => {
    const bytes = encode(serializeGuardFile(sampleConfig()));
    assert.deepEqual(loadGuardFile(bytes), sampleConfig());
    assert.equal(guardDigest(encode("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.deepEqual(loadGuardFile(bytes, { expectedDigest: guardDigest(bytes) }), sampleConfig());
  });

  it("when one byte changed (a threshold raised), rejects with EW_ERR_GUARD_DIGEST before parsing", () => {
    const bytes = encode(serializeGuardFile(sampleConfig()));
    const expectedDigest = guardDigest(bytes);
    const text = serializeGuardFile(sampleConfig()).replace("threshold: 0.85", "threshold: 0.05");
    throwsWithCode(() => loadGuardFile(encode(text), { expectedDigest }), "EW_ERR_GUARD_DIGEST");
    throwsWithCode(() => loadGuardFile(encode("not: [yaml"), { expectedDigest }), "EW_ERR_GUARD_DIGEST");
  });

  it("when a stage is misspelt, a field is missing or of the wrong type, rejects with EW_ERR_GUARD_FILE", () => {
    const c = sampleConfig();
    const cases: unknown[] = [
      { ...c, stages: { ...c.stages, squeze: c.stages.squeeze } },
      { ...c, version: 2 },
      { ...c, targetFpr: 0.7 },
      { ...c, stages: { ...c.stages, confidence: { ...c.stages.confidence, action: "ignore" } } },
      { ...c, stages: { ...c.stages, squeeze: { ...c.stages.squeeze, squeezers: [{ kind: "bitDepth", bits: 0 }] } } },
      { ...c, models: { primary: { path: "m.onnx", sha256: "XYZ" } } },
      { ...c, input: { ...c.input, image: { maxBytes: 10, maxPixels: 10 } } },
    ];
    for (const doc of cases) throwsWithCode(() => loadGuardFile(bytesOf(doc)), "EW_ERR_GUARD_FILE");
  });

  it("when fields contradict each other, rejects with EW_ERR_GUARD_FILE", () => {
    const c = sampleConfig();
    const { second: _second, ...noSecond } = c.models;
    const cases: unknown[] = [
      { ...c, models: noSecond },
      { ...c, input: { ...c.input, mean: [0, 0] } },
      { ...c, input: { ...c.input, range: [1, 0] } },
      { ...c, stages: { ...c.stages, stats: { action: "reject", features: { entropy: [3, 1] } } } },
      { ...c, stages: { ...c.stages, query: { ...c.stages.query, matchThreshold: 99 } } },
    ];
    for (const doc of cases) throwsWithCode(() => loadGuardFile(bytesOf(doc)), "EW_ERR_GUARD_FILE");
  });

  it("refuses YAML aliases (billion laughs), duplicate keys, non-UTF-8 and oversized files with EW_ERR_GUARD_FILE", () => {
    const laughs = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n";
    throwsWithCode(() => loadGuardFile(encode(laughs)), "EW_ERR_GUARD_FILE");
    throwsWithCode(() => loadGuardFile(encode("version: 1\nversion: 1\n")), "EW_ERR_GUARD_FILE");
    throwsWithCode(() => loadGuardFile(Uint8Array.of(0xff, 0xfe, 0x00)), "EW_ERR_GUARD_FILE");
    throwsWithCode(() => loadGuardFile(new Uint8Array(2 * 1024 * 1024).fill(0x20)), "EW_ERR_GUARD_FILE");
  });

  it("fuzz: mutated guard files load or fail with EW_ERR_GUARD_FILE, never anything else (seed 17)", () => {
    const rand = seededRandom(17);
    const base = encode(serializeGuardFile(sampleConfig()));
    for (let n = 0; n < 500; n++) {
      const bytes = base.slice();
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++)
        bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 128);
      try {
        loadGuardFile(bytes);
      } catch (err) {
        assert.ok(isEdgewardError(err, "EW_ERR_GUARD_FILE"), `iteration ${n}: ${String(err)}`);
      }
    }
  });
});
