// Benchmark: a full `edgeward audit` (goal: under 2 s). Measured on this machine as it is (the real /proc, /sys,
// /etc, /tmp; no agent state) in process (`runAudit`, median, with the slowest check named) and as the CLI process
// (`edgeward audit --format json`, wall time and peak RSS under GNU time), beside the anchor of a bare Node start
// (`node -e 0`) in the same run, which bounds how much of the CLI's time is start-up.
//
//   node bench/audit.ts [--runs 5]
//
// Writes bench/out/audit.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CHECKS, runAudit } from "@edgeward/audit";
import { median, peakRssOf } from "./lib/measure.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const runs = Number(values.runs);
const CLI = new URL("../packages/cli/src/bin.ts", import.meta.url).pathname;

const inProcess: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  await runAudit();
  inProcess.push(performance.now() - t);
}
const perCheck: { id: string; ms: number }[] = [];
for (const check of CHECKS) {
  const t = performance.now();
  await runAudit({ checks: [check] });
  perCheck.push({ id: check.id, ms: performance.now() - t });
}
const slowest = perCheck.reduce((a, b) => (b.ms > a.ms ? b : a));

const cli: number[] = [];
const anchor: number[] = [];
let peakRss = 0;
for (let i = 0; i < runs; i++) {
  // The audit exits 1 on this machine (checks fail), so it runs under sh to keep GNU time's status 0.
  const r = await peakRssOf("sh", ["-c", `"${process.execPath}" "${CLI}" audit --format json >/dev/null 2>&1; true`]);
  cli.push(r.seconds * 1000);
  peakRss = Math.max(peakRss, r.peakRss);
  anchor.push((await peakRssOf(process.execPath, ["-e", "0"])).seconds * 1000);
}

const result = {
  bench: "audit",
  node: process.version,
  target: { fullAuditMs: 2000 },
  runs,
  inProcessMedianMs: median(inProcess),
  slowestCheck: slowest,
  cliMedianMs: median(cli),
  cliPeakRssMiB: peakRss / 1024 / 1024,
  nodeStartMedianMs: median(anchor),
};
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/audit.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `full audit in process: ${result.inProcessMedianMs.toFixed(0)} ms median (slowest check ${slowest.id} ` +
    `${slowest.ms.toFixed(0)} ms); edgeward audit as a process: ${result.cliMedianMs.toFixed(0)} ms median, ` +
    `peak RSS ${result.cliPeakRssMiB.toFixed(0)} MiB (target < 2000 ms); node -e 0: ${result.nodeStartMedianMs.toFixed(0)} ms`,
);
