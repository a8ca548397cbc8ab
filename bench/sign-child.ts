// One sign or verify of a model file, as its own process, so bench/sign-verify.ts can measure it whole (start-up,
// module loading, worker start, hashing, ECDSA) like the `openssl dgst` it is compared with.
//   node bench/sign-child.ts sign   MODEL PRIVATE.pem OUT.sig
//   node bench/sign-child.ts verify MODEL PUBLIC.pem  IN.sig
// Prints one JSON line: { workMs, processMs } — the sign/verify call alone, and since the process started.
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { serializeBundle, signModel, verifyModel } from "../packages/core/src/oms/index.ts";

const [mode, model, key, sig] = process.argv.slice(2);
if ((mode !== "sign" && mode !== "verify") || model === undefined || key === undefined || sig === undefined) {
  process.stderr.write("usage: node bench/sign-child.ts sign|verify MODEL KEY.pem SIG\n");
  process.exit(2);
}
const started = performance.now();
if (mode === "sign") {
  const bundle = await signModel({ path: model, name: basename(model), privateKey: readFileSync(key, "utf8") });
  writeFileSync(sig, serializeBundle(bundle));
} else {
  const bundle: unknown = JSON.parse(readFileSync(sig, "utf8"));
  await verifyModel({ bundle, publicKey: readFileSync(key, "utf8"), path: model });
}
const done = performance.now();
process.stdout.write(`${JSON.stringify({ workMs: done - started, processMs: done })}\n`);
