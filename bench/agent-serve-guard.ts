// Benchmark: one guarded image request through the agent's local API (POST /v1/infer, image/png over a Unix socket,
// a keep-alive client) against the bare model in the same process (the anchor: session.run of the same CNN on the
// same image already as a tensor), with the guard called in process between the two to split HTTP and decoding
// from the guard's stages. Two more anchors make the split fair: the unguarded path a caller would write for a PNG
// (sharp decode to 28×28 grey, scale to [0, 1], session.run), and the guard on the tensor (its stages without the
// decode). The release is the guard's shipped CNN and calibrated guard.yaml (packages/guard/models).
// Each request names its own client so the query-attack stage sees no repeated stream; decisions are counted.
// Alternates the five, --runs each after a warm-up; prints p50/p99, overheads, CPU seconds and peak RSS of this
// process (client and agent share it) and the load average.
//
//   node bench/agent-serve-guard.ts [--runs 200]
//
// Writes bench/out/agent-serve-guard.json.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent as HttpAgent, request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ort from "onnxruntime-node";
import sharp from "sharp";
import { loadModel } from "@edgeward/runtime";
import { activateServing, buildApp, GuardSlot, ModelSlot, type GuardedAnswer } from "@edgeward/agent";
import { median } from "./lib/measure.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "200" } } });
const runs = Number(values.runs);
const models = fileURLToPath(new URL("../packages/guard/models/", import.meta.url));
const guardPath = join(models, "guard.yaml");
const model = readFileSync(join(models, "cnn.onnx"));
const reference = JSON.parse(readFileSync(join(models, "cnn.reference.json"), "utf8")) as { input: number[][] };
const pngs = await Promise.all(
  reference.input.map((px) =>
    sharp(Buffer.from(px.map((v) => Math.round(v * 255))), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer(),
  ),
);
const tensors = reference.input.map((px) => Float32Array.from(px));

const dir = mkdtempSync(join(tmpdir(), "edgeward-agent-serve-guard-"));
const sock = join(dir, "agent.sock");
const slot = new ModelSlot(loadModel);
const guards = new GuardSlot();
const digest = createHash("sha256").update(readFileSync(guardPath)).digest("hex");
await activateServing({ slot, guards }, { name: "fashion", version: "1", releaseId: "bench" }, new Uint8Array(model), {
  path: guardPath,
  digest,
});
const app = buildApp({ slot, guards });
await app.listen({ path: sock });
const direct = await ort.InferenceSession.create(new Uint8Array(model));
const inputName = direct.inputNames[0] ?? "input";
const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 1 });
const decisions: Record<string, number> = {};

const viaApi = (i: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const headers = { "content-type": "image/png", "x-edgeward-client": `bench-${i}` };
    const req = request({ socketPath: sock, path: "/v1/infer", method: "POST", agent: keepAlive, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const ms = performance.now() - t0;
        if (res.statusCode !== 200) return reject(new Error(`${res.statusCode} ${Buffer.concat(chunks).toString()}`));
        const { decision } = JSON.parse(Buffer.concat(chunks).toString()) as GuardedAnswer;
        decisions[decision] = (decisions[decision] ?? 0) + 1;
        resolve(ms);
      });
    });
    req.on("error", reject);
    req.end(pngs[i % pngs.length]);
  });
const inGuard = async (i: number): Promise<number> => {
  const t0 = performance.now();
  await guards.current()!.guard.check({ kind: "image", bytes: pngs[i % pngs.length]! }, { clientId: `in-${i}` });
  return performance.now() - t0;
};
const inGuardTensor = async (i: number): Promise<number> => {
  const t0 = performance.now();
  const data = tensors[i % tensors.length]!;
  await guards.current()!.guard.check({ kind: "tensor", data, dims: [1, 1, 28, 28] }, { clientId: `t-${i}` });
  return performance.now() - t0;
};
const decodeBare = async (i: number): Promise<number> => {
  const t0 = performance.now();
  const { data } = await sharp(pngs[i % pngs.length])
    .greyscale()
    .resize(28, 28, { fit: "fill" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const x = Float32Array.from(data, (v) => v / 255);
  await direct.run({ [inputName]: new ort.Tensor("float32", x, [1, 1, 28, 28]) });
  return performance.now() - t0;
};
const bare = async (i: number): Promise<number> => {
  const t0 = performance.now();
  await direct.run({ [inputName]: new ort.Tensor("float32", tensors[i % tensors.length]!, [1, 1, 28, 28]) });
  return performance.now() - t0;
};

for (let i = 0; i < 20; i++) await Promise.all([viaApi(i), inGuard(i), inGuardTensor(i), decodeBare(i), bare(i)]);
for (const k of Object.keys(decisions)) delete decisions[k];
const api: number[] = [];
const guard: number[] = [];
const anchor: number[] = [];
const guardTensor: number[] = [];
const decoded: number[] = [];
const cpu0 = process.cpuUsage();
for (let i = 0; i < runs; i++) {
  api.push(await viaApi(1000 + i));
  guard.push(await inGuard(1000 + i));
  anchor.push(await bare(1000 + i));
  guardTensor.push(await inGuardTensor(1000 + i));
  decoded.push(await decodeBare(1000 + i));
}
const cpu = process.cpuUsage(cpu0);
const p = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
const stat = (xs: number[]) => ({ p50: median(xs), p99: p(xs, 0.99) });
const result = {
  model: "packages/guard/models/cnn.onnx with guard.yaml (second and fallback: mlp.onnx)",
  runs,
  apiGuardedPngMs: stat(api),
  guardInProcessMs: stat(guard),
  bareModelMs: stat(anchor),
  guardTensorMs: stat(guardTensor),
  decodeAndBareMs: stat(decoded),
  overheadApiMs: { p50: median(api) - median(anchor), p99: p(api, 0.99) - p(anchor, 0.99) },
  overheadGuardMs: { p50: median(guard) - median(anchor), p99: p(guard, 0.99) - p(anchor, 0.99) },
  /** The guard's stages alone: the guard on a tensor against the bare model on it. */
  overheadStagesMs: { p50: median(guardTensor) - median(anchor), p99: p(guardTensor, 0.99) - p(anchor, 0.99) },
  /** The guard on a PNG against the unguarded PNG path (decode, scale, run). */
  overheadGuardOverDecodeMs: { p50: median(guard) - median(decoded), p99: p(guard, 0.99) - p(decoded, 0.99) },
  ratioP50Api: median(api) / median(anchor),
  ratioP50Guard: median(guard) / median(anchor),
  apiDecisions: decisions,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  loadAverage: loadavg(),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/agent-serve-guard.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
keepAlive.destroy();
await direct.release();
await app.close();
rmSync(dir, { recursive: true, force: true });
