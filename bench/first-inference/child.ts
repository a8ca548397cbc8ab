// One measured start of a model, in a fresh process so every mode pays ONNX Runtime's start-up alike.
// Usage: node child.ts MODE MODEL SEALED IDENTITY PUBKEY SIG INPUT_DIMS
//   MODE: sealed     open the sealed model into memory, verify its OMS signature, load from memory, infer
//         checked    hash and verify the plaintext model against its signature, load it, infer
//         plain      load the plaintext model unchecked, infer
// Prints one JSON line: {"mode", "ms", "openMs", "loadMs", "inferMs"}.
import { open, readFile } from "node:fs/promises";
import ort from "onnxruntime-node";
import { bundleShardSize, loadPublicKey, openToMemory, parseIdentities, verifyModel } from "@edgeward/core";

const [mode, model, sealed, identityPath, pubPath, sigPath, dimsText] = process.argv.slice(2);
if (!mode || !model || !sealed || !identityPath || !pubPath || !sigPath || !dimsText) throw new Error("usage");
const dims = dimsText.split("x").map(Number);
const size = dims.reduce((a, b) => a * b, 1);
const feeds = (s: ort.InferenceSession) => ({
  [s.inputNames[0] ?? "x"]: new ort.Tensor("float32", new Float32Array(size).fill(0.5), dims),
});

const t0 = performance.now();
let session: ort.InferenceSession;
let t1: number;
if (mode === "sealed") {
  const identities = parseIdentities(await readFile(identityPath, "utf8"));
  const publicKey = loadPublicKey(await readFile(pubPath, "utf8"));
  const bundle = JSON.parse(await readFile(sigPath, "utf8")) as unknown;
  const shardSize = bundleShardSize(bundle);
  const fh = await open(sealed);
  const plaintext = await openToMemory(fh, identities, {
    ...(shardSize === undefined ? {} : { shardSize }),
    verify: async (data, shardDigests) => {
      await verifyModel({ bundle, publicKey, data, ...(shardDigests === undefined ? {} : { shardDigests }) });
    },
  });
  await fh.close();
  t1 = performance.now();
  // onnxruntime-node takes only a non-shared ArrayBuffer, which openToMemory returns: no copy.
  if (!(plaintext.buffer instanceof ArrayBuffer)) throw new Error("openToMemory returned shared memory");
  session = await ort.InferenceSession.create(plaintext);
} else if (mode === "checked") {
  const publicKey = loadPublicKey(await readFile(pubPath, "utf8"));
  const bundle = JSON.parse(await readFile(sigPath, "utf8")) as unknown;
  await verifyModel({ bundle, publicKey, path: model });
  t1 = performance.now();
  session = await ort.InferenceSession.create(model);
} else {
  t1 = performance.now();
  session = await ort.InferenceSession.create(model);
}
const t2 = performance.now();
await session.run(feeds(session));
const t3 = performance.now();
process.stdout.write(`${JSON.stringify({ mode, ms: t3 - t0, openMs: t1 - t0, loadMs: t2 - t1, inferMs: t3 - t2 })}\n`);
process.exit(0);
