// Benchmark: the agent's peak resident set against model size. For each size a fresh `edgeward agent run` process
// (swtpm device, real hub process) takes a published synthetic model of that size through its whole update path and
// serves it; its peak RSS is VmHWM in /proc/PID/status once it serves (and, for the idle row, after start, serving
// nothing). Anchor, in the same run: a fresh Node process that reads the plaintext model into memory and loads it
// into onnxruntime-node, its peak RSS by GNU time. What the agent adds over the anchor is the price of its update
// path (download, streaming decryption into one buffer, the signature check, the TLS client).
//
// Models: syntheticMatMulModel(n, n) from @edgeward/testkit (one MatMul over an n x n random float32 initializer).
//
//   node bench/agent-rss.ts [--sizes 16,64,256]
//
// Writes bench/out/agent-rss.json.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { servingRelease, syntheticMatMulModel } from "@edgeward/testkit";
import { residentOf, startBenchFleet } from "./lib/agent-fleet.ts";
import { peakRssOf } from "./lib/measure.ts";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "16,64,256" } } });
const sizes = values.sizes.split(",").map(Number);
const load0 = loadavg();
const fleet = await startBenchFleet();
const MiB = 2 ** 20;
interface Row {
  readonly mib: number;
  readonly bytes: number;
  readonly idlePeak: number;
  readonly agentPeak: number;
  readonly agentNow: number;
  readonly anchorPeak: number;
}
const rows: Row[] = [];
const loader = [
  'const ort = (await import("onnxruntime-node")).default;',
  'const m = (await import("node:fs")).readFileSync(process.argv[1]);',
  "const s = await ort.InferenceSession.create(m); m.fill(0); await s.release();",
].join(" ");
try {
  for (const mib of sizes) {
    const n = Math.round(Math.sqrt(mib * 2 ** 18));
    const path = join(fleet.dir, `m${mib}.onnx`);
    const model = syntheticMatMulModel(n, n);
    writeFileSync(path, model);
    // Each size starts from an agent that serves nothing, so its idle peak is the daemon's own.
    rmSync(join(fleet.state, "current.json"), { force: true });
    const agent = await fleet.agent([`m${mib}/1`], 200);
    try {
      const idlePeak = residentOf(agent.pid).peak;
      await fleet.publish(path, `m${mib}`, "1");
      await agent.until(`m${mib}/1 to serve`, async () => (await servingRelease(agent)) === `m${mib}/1`, 600_000, 20);
      const { peak, now } = residentOf(agent.pid);
      const anchor = await peakRssOf(process.execPath, ["--input-type=module", "-e", loader, path]);
      rows.push({ mib, bytes: model.length, idlePeak, agentPeak: peak, agentNow: now, anchorPeak: anchor.peakRss });
    } finally {
      await agent.stop();
    }
  }
} finally {
  await fleet.close();
}
const load1 = loadavg();
const m = (b: number) => `${(b / MiB).toFixed(0)} MiB`;
console.log(`load average ${load0.map((l) => l.toFixed(2)).join(" / ")} at start, ${load1[0]?.toFixed(2)} at end`);
console.log(
  "| model | agent peak RSS | agent RSS serving | agent peak − idle agent | anchor: load from memory | agent / anchor |",
);
console.log("| --- | --- | --- | --- | --- | --- |");
for (const r of rows)
  console.log(
    `| ${m(r.bytes)} | ${m(r.agentPeak)} | ${m(r.agentNow)} | ${m(r.agentPeak - r.idlePeak)} | ${m(r.anchorPeak)} | ` +
      `${(r.agentPeak / r.anchorPeak).toFixed(2)}x |`,
  );
console.log(`idle agent (enrolled, serving nothing): ${rows.map((r) => m(r.idlePeak)).join(", ")} peak`);
mkdirSync(join(import.meta.dirname, "out"), { recursive: true });
writeFileSync(
  join(import.meta.dirname, "out", "agent-rss.json"),
  JSON.stringify({ loadavg: { start: load0, end: load1 }, rows }, null, 2),
);
