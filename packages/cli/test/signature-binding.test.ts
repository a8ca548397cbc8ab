import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { encodeNpyFloat32 } from "@edgeward/runtime";
import { syntheticMatMulModel, tempDir } from "@edgeward/testkit";
import { printedCode, runCli } from "./helpers/cli.ts";

// A signature binds the model's name, not only its bytes: open, run and verify print the signed name and digest,
// and --name refuses any other model the publisher signed. A forged bundle gets one code on every path, because
// the DSSE signature is checked before the statement is read (DSSE protocol.md, verifier steps).
const dir = tempDir("edgeward-binding-");
const p = (name: string): string => join(dir.path, name);
const N = 16;

async function ok(args: string[]): Promise<string> {
  const res = await runCli(args);
  assert.equal(res.status, 0, `edgeward ${args.join(" ")}: ${res.stderr}`);
  return res.stdout.toString();
}

/** Every path that checks a signature, with the bundle at `sig` and an optional expected name. */
function paths(sig: string, name?: string): Record<string, string[]> {
  const key = ["--key", p("pub.pub")];
  const named = name === undefined ? [] : ["--name", name];
  const opening = ["-i", p("device.key"), "--verify", p("pub.pub"), "--sig", sig, ...named];
  return {
    "verify (plaintext)": ["verify", p("detector.onnx"), "--sig", sig, ...key, ...named, "--json"],
    "verify (sealed)": ["verify", p("detector.age"), "-i", p("device.key"), "--sig", sig, ...key, ...named, "--json"],
    "open --verify": ["open", p("detector.age"), ...opening, "-o", p("out.onnx"), "--json"],
    "run --verify": ["run", p("detector.age"), ...opening, "--input", p("x.npy"), "--json"],
  };
}

before(async () => {
  writeFileSync(p("detector.onnx"), syntheticMatMulModel(N, 4));
  writeFileSync(p("x.npy"), encodeNpyFloat32([1, N], new Float32Array(N).fill(0.5)));
  const { recipient } = JSON.parse(await ok(["keygen", "-o", p("device.key"), "--json"])) as { recipient: string };
  await ok(["sign-keygen", "-o", p("pub")]);
  await ok(["seal", p("detector.onnx"), "-r", recipient, "--sign", p("pub.key"), "-o", p("detector.age")]);
  // A forgery: the statement swapped for one with another predicate, the signature left as it was.
  const bundle = JSON.parse(readFileSync(p("detector.age.sig"), "utf8")) as { dsseEnvelope: { payload: string } };
  const statement = Buffer.from(bundle.dsseEnvelope.payload, "base64").toString("utf8");
  const forged = statement.replace("https://model_signing/signature/v1.0", "https://example.com/not-oms");
  bundle.dsseEnvelope.payload = Buffer.from(forged).toString("base64");
  writeFileSync(p("forged.sig"), JSON.stringify(bundle));
});
after(() => dir[Symbol.dispose]());

describe("signatures bind the model's name", () => {
  for (const [path, args] of Object.entries(paths(p("detector.age.sig"), "detector.onnx")))
    it(`${path} prints the signed name and digest, and --name with that name passes`, async () => {
      const out = JSON.parse(await ok(args)) as Record<string, unknown>;
      assert.equal(out["name"], "detector.onnx");
      assert.match(String(out["digest"]), /^[0-9a-f]{64}$/);
    });

  for (const [path, args] of Object.entries(paths(p("detector.age.sig"), "camera-v2.onnx")))
    it(`${path} --name of another model fails with EW_ERR_SIG_NAME_MISMATCH`, async () => {
      const res = await runCli(args);
      assert.equal(printedCode(res), "EW_ERR_SIG_NAME_MISMATCH", res.stderr);
      assert.equal(res.status, 6);
    });

  it("open --name without --verify fails with EW_ERR_USAGE", async () => {
    const res = await runCli(["open", p("detector.age"), "-i", p("device.key"), "--name", "x", "-o", p("o")]);
    assert.equal(printedCode(res), "EW_ERR_USAGE");
  });
});

describe("a forged bundle gets the same code on every path", () => {
  for (const [path, args] of Object.entries(paths(p("forged.sig"))))
    it(`${path}: EW_ERR_SIG_INVALID`, async () => {
      const res = await runCli(args);
      assert.equal(printedCode(res), "EW_ERR_SIG_INVALID", res.stderr);
    });
});
