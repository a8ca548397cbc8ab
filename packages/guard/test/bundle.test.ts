import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { seededRandom, throwsWithCode } from "@edgeward/testkit";
import { GUARD_BUNDLE_LIMITS, loadGuardFile, packGuardBundle, unpackGuardBundle } from "../src/index.ts";

const MODELS = new URL("../models/", import.meta.url);
const encode = (s: string) => new TextEncoder().encode(s);

/** A small valid bundle: a guard file and two "models". */
function sample(): Map<string, Uint8Array> {
  return new Map([
    ["guard.yaml", encode("version: 1\n")],
    ["mlp.onnx", Uint8Array.of(1, 2, 3)],
    ["cnn.onnx", new Uint8Array(0)],
  ]);
}

/** Hand-builds a bundle from raw entries, so malformed ones can be made. */
function raw(entries: Array<[string, Uint8Array, number?]>, head = { magic: "EWGB", version: 1 }): Uint8Array {
  const parts: number[] = [...encode(head.magic), head.version, entries.length >> 8, entries.length & 0xff];
  for (const [name, bytes, declared] of entries) {
    const n = encode(name);
    const size = declared ?? bytes.length;
    parts.push(n.length, ...n, size >>> 24, (size >>> 16) & 0xff, (size >>> 8) & 0xff, size & 0xff, ...bytes);
  }
  return Uint8Array.from(parts);
}

describe("guard bundle", () => {
  it("round-trips the shipped guard file and its models byte for byte, and the guard file still parses", async () => {
    const files = new Map<string, Uint8Array>();
    for (const name of ["guard.yaml", "cnn.onnx", "mlp.onnx"]) files.set(name, await readFile(new URL(name, MODELS)));
    const bundle = packGuardBundle(files);
    const back = unpackGuardBundle(bundle);
    assert.deepEqual([...back.keys()], ["cnn.onnx", "guard.yaml", "mlp.onnx"]);
    for (const [name, bytes] of files) assert.deepEqual(back.get(name), new Uint8Array(bytes), name);
    assert.equal(loadGuardFile(back.get("guard.yaml") as Uint8Array).models.primary.path, "cnn.onnx");
  });

  it("writes the same bytes whatever the map's order, and returns copies the caller may zero", () => {
    const a = packGuardBundle(sample());
    const b = packGuardBundle(new Map([...sample()].reverse()));
    assert.deepEqual(a, b);
    assert.deepEqual(a.subarray(0, 7), Uint8Array.of(0x45, 0x57, 0x47, 0x42, 1, 0, 3));
    const back = unpackGuardBundle(a);
    a.fill(0);
    assert.deepEqual(back.get("mlp.onnx"), Uint8Array.of(1, 2, 3));
  });

  it("refuses to pack without guard.yaml, or with a name holding `/`, `..`, a leading dot, or too long", () => {
    const y = encode("version: 1\n");
    throwsWithCode(() => packGuardBundle(new Map([["cnn.onnx", y]])), "EW_ERR_GUARD_BUNDLE");
    throwsWithCode(() => packGuardBundle(new Map()), "EW_ERR_GUARD_BUNDLE");
    for (const bad of ["models/cnn.onnx", "../cnn.onnx", "a..b", ".hidden", "", "é.onnx", "x".repeat(101)]) {
      throwsWithCode(
        () =>
          packGuardBundle(
            new Map([
              ["guard.yaml", y],
              [bad, y],
            ]),
          ),
        "EW_ERR_GUARD_BUNDLE",
      );
    }
    const many = new Map([["guard.yaml", y]]);
    for (let i = 0; i < GUARD_BUNDLE_LIMITS.maxFiles; i++) many.set(`m${i}.onnx`, y);
    throwsWithCode(() => packGuardBundle(many), "EW_ERR_GUARD_BUNDLE");
    const bigGuard = new Uint8Array(1024 * 1024 + 1);
    throwsWithCode(() => packGuardBundle(new Map([["guard.yaml", bigGuard]])), "EW_ERR_GUARD_BUNDLE");
  });

  it("when the header, a name, the order, a size or the length is wrong, rejects with EW_ERR_GUARD_BUNDLE", () => {
    const y = encode("version: 1\n");
    const m = Uint8Array.of(9, 9);
    assert.equal(
      unpackGuardBundle(
        raw([
          ["guard.yaml", y],
          ["m.onnx", m],
        ]),
      ).size,
      2,
    );
    const cases: Array<[string, Uint8Array]> = [
      ["empty", new Uint8Array(0)],
      ["magic", raw([["guard.yaml", y]], { magic: "EWGC", version: 1 })],
      ["version", raw([["guard.yaml", y]], { magic: "EWGB", version: 2 })],
      ["no files", raw([])],
      ["no guard.yaml", raw([["m.onnx", m]])],
      [
        "duplicate",
        raw([
          ["guard.yaml", y],
          ["m.onnx", m],
          ["m.onnx", m],
        ]),
      ],
      [
        "unsorted",
        raw([
          ["m.onnx", m],
          ["guard.yaml", y],
        ]),
      ],
      [
        "slash",
        raw([
          ["guard.yaml", y],
          ["m/x.onnx", m],
        ]),
      ],
      [
        "dot-dot",
        raw([
          ["..", m],
          ["guard.yaml", y],
        ]),
      ],
      [
        "empty name",
        raw([
          ["", m],
          ["guard.yaml", y],
        ]),
      ],
      [
        "non-ASCII name",
        raw([
          ["guard.yaml", y],
          ["mé", m],
        ]),
      ],
      ["size past the end", raw([["guard.yaml", y, y.length + 1]])],
      ["size over the limit", raw([["guard.yaml", y, 0xffffffff]])],
      ["trailing", Uint8Array.from([...raw([["guard.yaml", y]]), 0])],
      [
        "truncated",
        raw([
          ["guard.yaml", y],
          ["m.onnx", m],
        ]).subarray(0, 20),
      ],
    ];
    for (const [label, bytes] of cases) {
      assert.throws(
        () => unpackGuardBundle(bytes),
        (err: { code?: string }) => err.code === "EW_ERR_GUARD_BUNDLE",
        label,
      );
    }
    const tooMany = raw([["guard.yaml", y]]);
    tooMany[5] = 0xff;
    throwsWithCode(() => unpackGuardBundle(tooMany), "EW_ERR_GUARD_BUNDLE");
  });

  it("fuzzed: mutated, truncated and extended bundles either unpack within the limits or fail with the code", () => {
    const good = packGuardBundle(sample());
    const random = seededRandom(0x6b0d1e);
    let unpacked = 0;
    for (let run = 0; run < 5000; run++) {
      let bytes = good.slice();
      const mode = Math.floor(random() * 3);
      if (mode === 0) {
        for (let k = 0; k < 1 + Math.floor(random() * 4); k++) {
          bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        }
      } else if (mode === 1) {
        bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
      } else {
        const extra = Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 256));
        bytes = Uint8Array.from([...bytes, ...extra]);
      }
      try {
        const files = unpackGuardBundle(bytes);
        unpacked++;
        assert.ok(files.has("guard.yaml") && files.size <= GUARD_BUNDLE_LIMITS.maxFiles, `run ${run}`);
        for (const name of files.keys()) assert.match(name, /^[A-Za-z0-9_][A-Za-z0-9._-]*$/, `run ${run}`);
      } catch (err) {
        assert.equal((err as { code?: string }).code, "EW_ERR_GUARD_BUNDLE", `run ${run}: ${String(err)}`);
      }
    }
    // Mutations inside file contents still unpack; the fuzz must have reached both outcomes.
    assert.ok(unpacked > 0 && unpacked < 5000, `${unpacked} unpacked`);
  });
});
