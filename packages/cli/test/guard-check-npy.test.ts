import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { encodeNpyFloat32 } from "@edgeward/runtime";
import { tempDir } from "@edgeward/testkit";
import { printedCode, runCli } from "./helpers/cli.ts";

// `edgeward guard check` on `.npy` tensors, against the shipped, calibrated guard file and its models.
const MODELS = fileURLToPath(new URL("../../guard/models/", import.meta.url));
const dir = tempDir("edgeward-guard-npy-");
const p = (name: string) => join(dir.path, name);
const garments = JSON.parse(readFileSync(`${MODELS}cnn.reference.json`, "utf8")) as {
  input: number[][];
  logits: number[][];
};

/** A `.npy` (NEP 1, version 1.0) of `descr` with raw little-endian `body`, written by hand so dtypes vary. */
function npy(name: string, descr: string, shape: readonly number[], body: Uint8Array): string {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")}), }`;
  header += " ".repeat((64 - ((10 + header.length + 1) % 64)) % 64) + "\n";
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  pre.writeUInt16LE(header.length, 8);
  writeFileSync(p(name), Buffer.concat([pre, Buffer.from(header, "latin1"), body]));
  return p(name);
}

interface Line {
  input: string;
  decision: string;
  label: number | null;
  reasons: { stage: string; code?: string }[];
}
const check = async (...inputs: string[]) => {
  const res = await runCli(["guard", "check", "--guard", `${MODELS}guard.yaml`, "--json", ...inputs]);
  return {
    res,
    lines: res.stdout
      .toString()
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line),
  };
};

describe("edgeward guard check with .npy tensors", () => {
  it("answers a float32 [1, 1, 28, 28] tensor of a held-out garment with the model's label", async () => {
    const input = Float32Array.from(garments.input[0]!);
    writeFileSync(p("garment.npy"), encodeNpyFloat32([1, 1, 28, 28], input));
    const { res, lines } = await check(p("garment.npy"));
    assert.equal(res.status, 0, res.stderr);
    assert.equal(lines[0]?.decision, "accept", JSON.stringify(lines[0]?.reasons));
    const logits = garments.logits[0]!;
    assert.equal(lines[0]?.label, logits.indexOf(Math.max(...logits)));
  });

  it("rejects a float64 tensor and one of the wrong shape with EW_ERR_GUARD_INPUT, and still answers the rest", async () => {
    const f64 = npy("f64.npy", "<f8", [1, 1, 28, 28], new Uint8Array(Float64Array.from(garments.input[0]!).buffer));
    const wide = npy("wide.npy", "<f4", [1, 1, 28, 27], new Uint8Array(new Float32Array(28 * 27).buffer));
    const blank = npy("blank.npy", "<f4", [1, 1, 28, 28], new Uint8Array(new Float32Array(784).buffer));
    const { res, lines } = await check(f64, wide, blank);
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(
      lines.map((l) => [l.decision, l.label, l.reasons[0]?.stage, l.reasons[0]?.code]),
      [
        ["reject", null, "input", "EW_ERR_GUARD_INPUT"],
        ["reject", null, "input", "EW_ERR_GUARD_INPUT"],
        ["reject", null, "stats", undefined],
      ],
    );
  });

  it("refuses a truncated .npy with EW_ERR_INPUT_FORMAT", async () => {
    const whole = encodeNpyFloat32([1, 1, 28, 28], new Float32Array(784));
    writeFileSync(p("cut.npy"), whole.subarray(0, whole.length - 5));
    const { res } = await check(p("cut.npy"));
    assert.equal(printedCode(res), "EW_ERR_INPUT_FORMAT");
    assert.notEqual(res.status, 0);
  });
});
