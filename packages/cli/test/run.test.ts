import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import ort from "onnxruntime-node";
import { syntheticMatMulModel, tempDir } from "@edgeward/testkit";
import { CLI_BIN, printedCode, runCli } from "./helpers/cli.ts";
import { encodeNpyFloat32 } from "@edgeward/runtime";

// `edgeward run`: a sealed, signed model opened into memory and run with ONNX Runtime gives exactly the
// plaintext model's outputs, and the plaintext never reaches a file (checked with strace, a second observer).
const dir = tempDir("edgeward-run-");
const p = (name: string) => join(dir.path, name);
const N = 256;
const M = 64;
/** `edgeward run` of the sealed, signed model with its signature checked. */
const RUN_VERIFIED = ["run", p("model.age"), "-i", p("device.key"), "--verify", p("pub.pub"), "--input", p("x.npy")];
const x = Float32Array.from({ length: N }, (_, i) => Math.sin(i) / 4);

async function ok(args: string[]): Promise<Buffer> {
  const res = await runCli(args);
  assert.equal(res.status, 0, `edgeward ${args.join(" ")} failed: ${res.stderr}`);
  return res.stdout;
}

before(async () => {
  writeFileSync(p("model.onnx"), syntheticMatMulModel(N, M));
  writeFileSync(p("x.npy"), encodeNpyFloat32([1, N], x));
  const { recipient } = JSON.parse((await ok(["keygen", "-o", p("device.key"), "--json"])).toString()) as {
    recipient: string;
  };
  await ok(["sign-keygen", "-o", p("pub")]);
  await ok(["seal", p("model.onnx"), "-r", recipient, "--sign", p("pub.key"), "-o", p("model.age")]);
});
after(() => dir[Symbol.dispose]());

describe("edgeward run", () => {
  it("gives the same outputs as the plaintext model run directly by ONNX Runtime", async () => {
    const out = JSON.parse((await ok([...RUN_VERIFIED, "--json"])).toString()) as {
      verified: boolean;
      outputs: Record<string, { sha256: string; dims: number[] }>;
    };
    assert.equal(out.verified, true);
    const session = await ort.InferenceSession.create(readFileSync(p("model.onnx")));
    const direct = (await session.run({ x: new ort.Tensor("float32", x, [1, N]) }))["y"];
    assert.ok(direct);
    const data = direct.data as Float32Array;
    const sha = (await import("node:crypto"))
      .createHash("sha256")
      .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      .digest("hex");
    assert.deepEqual(out.outputs["y"]?.dims, [1, M]);
    assert.equal(out.outputs["y"]?.sha256, sha);
  });

  it("never opens a file for writing while it runs (strace of the whole process tree)", () => {
    const trace = p("trace.txt");
    const res = spawnSync(
      "strace",
      [
        "-f",
        "-qq",
        "-e",
        "trace=open,openat,openat2,creat,memfd_create",
        "-o",
        trace,
        process.execPath,
        CLI_BIN,
        ...RUN_VERIFIED,
      ],
      { encoding: "utf8" },
    );
    assert.equal(res.status, 0, res.stderr);
    const writes = readFileSync(trace, "utf8")
      .split("\n")
      .filter((l) => /O_WRONLY|O_RDWR|O_CREAT|creat\(|memfd_create/.test(l))
      .filter((l) => !/"\/dev\/(null|tty|pts\/\d+|urandom)"/.test(l));
    assert.deepEqual(writes, [], "files opened for writing");
    assert.ok(readFileSync(trace, "utf8").includes("model.age"), "the trace saw the sealed model opened");
  });

  it("when the input tensor is not .npy, fails with EW_ERR_INPUT_FORMAT", async () => {
    writeFileSync(p("bad.npy"), "hello");
    const res = await runCli(["run", p("model.age"), "-i", p("device.key"), "--input", p("bad.npy")]);
    assert.equal(printedCode(res), "EW_ERR_INPUT_FORMAT");
  });

  it("when the input has the wrong shape, fails with EW_ERR_INFERENCE", async () => {
    writeFileSync(p("wrong.npy"), encodeNpyFloat32([1, 3], new Float32Array(3)));
    const res = await runCli(["run", p("model.age"), "-i", p("device.key"), "--input", p("wrong.npy")]);
    assert.equal(printedCode(res), "EW_ERR_INFERENCE");
  });

  it("when the sealed file is not an ONNX model, fails with EW_ERR_MODEL_LOAD", async () => {
    writeFileSync(p("junk.bin"), "not a model at all");
    const recipient = /# public key: (\S+)/.exec(readFileSync(p("device.key"), "utf8"))?.[1] ?? "";
    await ok(["seal", p("junk.bin"), "-r", recipient, "-o", p("junk.age")]);
    const res = await runCli(["run", p("junk.age"), "-i", p("device.key"), "--input", p("x.npy")]);
    assert.equal(printedCode(res), "EW_ERR_MODEL_LOAD");
  });

  it("the strace check is able to see a write (it is not blind)", () => {
    const trace = p("trace-open.txt");
    execFileSync("strace", [
      "-f",
      "-qq",
      "-e",
      "trace=open,openat",
      "-o",
      trace,
      process.execPath,
      CLI_BIN,
      "open",
      p("model.age"),
      "-i",
      p("device.key"),
      "-o",
      p("plain.onnx"),
    ]);
    assert.match(readFileSync(trace, "utf8"), /"[^"]*plain\.onnx[^"]*", O_(WRONLY|RDWR)\|O_CREAT/);
  });
});
