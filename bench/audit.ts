// Benchmark: a full `edgeward audit` (goal: under 2 s). Measured twice: on this machine as it is (the real /proc,
// /sys, /etc, /tmp; no agent state, so the state checks return early) and on the tests' fake device, where every
// check does its whole work (event log replay, nft JSON, certificate chain, the audit log verified end to end).
// Each in process (`runAudit`, median, slowest check named) and as the CLI process (`edgeward audit --format
// json`, wall time and peak RSS under GNU time), beside the anchor of a bare Node start (`node -e 0`) in the same
// run, which bounds how much of the CLI's time is start-up.
//
//   node bench/audit.ts [--runs 5]
//
// Writes bench/out/audit.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CHECKS, runAudit } from "@edgeward/audit";
import { buildFakeDevice } from "@edgeward/testkit";
import { median, peakRssOf } from "./lib/measure.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const runs = Number(values.runs);
const CLI = new URL("../packages/cli/src/bin.ts", import.meta.url).pathname;

async function measure(root: string | undefined): Promise<Record<string, unknown>> {
  const options = root === undefined ? {} : { root };
  const rootArgs = root === undefined ? "" : ` --root "${root}"`;
  const inProcess: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await runAudit(options);
    inProcess.push(performance.now() - t);
  }
  const perCheck: { id: string; ms: number }[] = [];
  for (const check of CHECKS) {
    const t = performance.now();
    await runAudit({ ...options, checks: [check] });
    perCheck.push({ id: check.id, ms: performance.now() - t });
  }
  const slowestCheck = perCheck.reduce((a, b) => (b.ms > a.ms ? b : a));
  const cli: number[] = [];
  const anchor: number[] = [];
  let peakRss = 0;
  for (let i = 0; i < runs; i++) {
    // The audit exits 1 where checks fail, so it runs under sh to keep GNU time's status 0.
    const cmd = `"${process.execPath}" "${CLI}" audit --format json${rootArgs} >/dev/null 2>&1; true`;
    const r = await peakRssOf("sh", ["-c", cmd]);
    cli.push(r.seconds * 1000);
    peakRss = Math.max(peakRss, r.peakRss);
    anchor.push((await peakRssOf(process.execPath, ["-e", "0"])).seconds * 1000);
  }
  return {
    where: root === undefined ? "this machine" : "fake device",
    inProcessMedianMs: median(inProcess),
    slowestCheck,
    cliMedianMs: median(cli),
    cliPeakRssMiB: peakRss / 1024 / 1024,
    nodeStartMedianMs: median(anchor),
  };
}

const fake = mkdtempSync(join(tmpdir(), "edgeward-bench-audit-"));
const cases: Record<string, unknown>[] = [];
try {
  await buildFakeDevice(join(fake, "root"));
  cases.push(await measure(undefined), await measure(join(fake, "root")));
} finally {
  rmSync(fake, { recursive: true, force: true });
}

const result = { bench: "audit", node: process.version, target: { fullAuditMs: 2000 }, runs, cases };
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/audit.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
for (const c of cases as {
  where: string;
  inProcessMedianMs: number;
  slowestCheck: { id: string; ms: number };
  cliMedianMs: number;
  cliPeakRssMiB: number;
  nodeStartMedianMs: number;
}[])
  console.log(
    `${c.where}: full audit in process ${c.inProcessMedianMs.toFixed(0)} ms median (slowest check ` +
      `${c.slowestCheck.id} ${c.slowestCheck.ms.toFixed(0)} ms); edgeward audit as a process ${c.cliMedianMs.toFixed(0)} ms ` +
      `median, peak RSS ${c.cliPeakRssMiB.toFixed(0)} MiB (target < 2000 ms); node -e 0: ${c.nodeStartMedianMs.toFixed(0)} ms`,
  );
