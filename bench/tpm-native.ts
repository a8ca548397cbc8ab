// Benchmark: the TPM operations of the agent's update path over the direct transport (raw TPM commands on swtpm's
// socket) against the same operations through tpm2-tools processes — the anchor, measured side by side in the same
// run on the same swtpm: counter read (the version-floor check), counter increment (the floor raise: increment and
// read back) and quote (PCRs 0-7, AK recreated each time, as the agent attests).
//
//   node bench/tpm-native.ts [--runs 30]
//
// Rounds alternate the two paths op by op (native first on even rounds, tools first on odd ones), so a change in
// the machine's load falls on both alike. For each: median and p99 latency, the ratio tools / native, CPU seconds
// (this process, the tool processes it waited for, and swtpm), and peak RSS (this process; one tool process under
// GNU time). Prints the load average at the start: on a loaded machine the numbers are not results.
// Writes bench/out/tpm-native.json. swtpm timings are not a real TPM's.
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { parsePcrSelectionText } from "@edgeward/core";
import { startSwtpm } from "@edgeward/testkit";
import { DEFAULT_COUNTER_INDEX, Tpm2ToolsDevice } from "@edgeward/tpm";
import { median, peakRssOf } from "./lib/measure.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "30" } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs takes a whole number");
const loadAtStart = loadavg();

await using tpm = await startSwtpm();
const native = new Tpm2ToolsDevice({ tcti: tpm.tcti });
const tools = new Tpm2ToolsDevice({ tcti: tpm.tcti, native: false });
const swtpmPid = childPid("swtpm");
const boot = parsePcrSelectionText("0,1,2,3,4,5,6,7");
const ak = await tools.createAttestationKey();
await native.counterDefine(DEFAULT_COUNTER_INDEX);

type Path = "native" | "tools";
const ops: Record<string, (dev: Tpm2ToolsDevice) => Promise<unknown>> = {
  "counter read": (dev) => dev.counterRead(DEFAULT_COUNTER_INDEX),
  "counter increment": (dev) => dev.counterIncrement(DEFAULT_COUNTER_INDEX),
  "quote (PCRs 0-7)": (dev) => dev.quote(ak, boot, randomBytes(32)),
};
const devices: Record<Path, Tpm2ToolsDevice> = { native, tools };
type Samples = Record<Path, { ms: number[]; cpu: number }>;
const samples: Record<string, Samples> = {};
for (const [name, op] of Object.entries(ops)) {
  const s: Samples = { native: { ms: [], cpu: 0 }, tools: { ms: [], cpu: 0 } };
  samples[name] = s;
  for (const path of ["native", "tools"] as const) await op(devices[path]); // warm up
  for (let i = 0; i < runs; i++)
    for (const path of i % 2 === 0 ? (["native", "tools"] as const) : (["tools", "native"] as const)) {
      const cpu0 = cpuSeconds();
      const t = performance.now();
      await op(devices[path]);
      s[path].ms.push(performance.now() - t);
      s[path].cpu += cpuSeconds() - cpu0;
    }
}
const index = `0x${DEFAULT_COUNTER_INDEX.toString(16)}`;
const oneTool = await peakRssOf("tpm2_nvread", ["-T", tpm.tcti, "-C", "o", index, "-s", "8", "-o", "/dev/null"]);

const rows = Object.entries(samples).map(([name, s]) => ({
  op: name,
  nativeMedianMs: median(s.native.ms),
  nativeP99Ms: percentile(s.native.ms, 0.99),
  toolsMedianMs: median(s.tools.ms),
  toolsP99Ms: percentile(s.tools.ms, 0.99),
  ratio: median(s.tools.ms) / median(s.native.ms),
  nativeCpuSeconds: s.native.cpu,
  toolsCpuSeconds: s.tools.cpu,
}));
const result = {
  bench: "tpm-native",
  device: "swtpm (libtpms), direct socket vs tpm2-tools 5.4, no resource manager",
  runs,
  loadAverageAtStart: loadAtStart,
  rows,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  oneToolProcess: { peakRssMiB: oneTool.peakRss / 2 ** 20, cpuSeconds: oneTool.cpuSeconds },
};
mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
writeFileSync(new URL("./out/tpm-native.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);

console.log(`load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(" / ")}; ${runs} runs per path`);
console.log(
  "op                   native median  p99     tools median  p99      tools/native  CPU s native  CPU s tools",
);
for (const r of rows)
  console.log(
    `${r.op.padEnd(20)} ${ms(r.nativeMedianMs)} ${ms(r.nativeP99Ms)}   ${ms(r.toolsMedianMs)} ${ms(r.toolsP99Ms)}  ` +
      `${r.ratio.toFixed(1).padStart(6)}x      ${r.nativeCpuSeconds.toFixed(2).padStart(6)}        ${r.toolsCpuSeconds.toFixed(2).padStart(6)}`,
  );
console.log(
  `peak RSS: this process (both paths) ${result.peakRssMiB.toFixed(0)} MiB; one tpm2_nvread process ` +
    `${result.oneToolProcess.peakRssMiB.toFixed(1)} MiB`,
);

function ms(v: number): string {
  return `${v.toFixed(2).padStart(8)} ms`;
}

/** The nearest-rank percentile `q` of `xs`. */
function percentile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
}

/**
 * CPU seconds so far of this process, of the tool processes it has waited for (/proc/self/stat cutime, cstime)
 * and of swtpm (its utime, stime): both paths' whole cost, wherever it is spent.
 */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  const self = statFields("self");
  const tpmSide = swtpmPid === undefined ? [0, 0, 0, 0] : statFields(String(swtpmPid));
  const ticks = 100; // USER_HZ on Linux
  return (
    (own.user + own.system) / 1e6 + ((self[2] ?? 0) + (self[3] ?? 0) + (tpmSide[0] ?? 0) + (tpmSide[1] ?? 0)) / ticks
  );
}

/** utime, stime, cutime, cstime of /proc/PID/stat (fields 14-17; the command name may hold spaces). */
function statFields(pid: string): number[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .slice(11, 15)
    .map(Number);
}

/** The pid of this process's child named `comm` (testkit starts swtpm as a child). */
function childPid(comm: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (name === comm && ppid === process.pid) return Number(entry);
    } catch {
      // The process ended while the directory was read.
    }
  }
  return undefined;
}
