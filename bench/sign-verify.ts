// Benchmark: OMS sign and verify of a large model against `openssl dgst -sha256` of the same file, in one run
// (target: "sign and verify a 1 GiB model: at least 1.7x the speed of openssl dgst -sha256 … by hashing shards
// on both cores"). Every side runs as its own process under GNU time, so wall time and peak RSS are measured
// alike; the page cache is warmed first and runs are interleaved so drift hits every side equally.
//
//   node bench/sign-verify.ts [--size-mib 1024] [--runs 5]
//
// Our processes run once with Node's compile cache (NODE_COMPILE_CACHE: TypeScript is stripped once, as an
// installed CLI that calls module.enableCompileCache() would) and once without it. Writes bench/out/sign-verify.json.
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomFillSync } from "node:crypto";
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { "size-mib": { type: "string", default: "1024" }, runs: { type: "string", default: "5" } },
});
const sizeMiB = Number(values["size-mib"]);
const runs = Math.max(3, Number(values.runs));
const repo = new URL("..", import.meta.url);
const outDir = new URL("bench/out/", repo);
mkdirSync(outDir, { recursive: true });
const compileCache = new URL("bench/out/compile-cache/", repo).pathname;

interface Sample {
  readonly seconds: number;
  /** User plus system CPU seconds of the whole process (all threads). */
  readonly cpuSeconds: number;
  readonly peakRss: number;
  readonly workMs?: number;
}

const dir = mkdtempSync(join(tmpdir(), "edgeward-sign-bench-"));
try {
  const model = join(dir, "model.bin");
  writeRandomFile(model, sizeMiB * 1024 * 1024);
  const { privateKey, publicKey } = generateKeyPairSync("ec", {
    namedCurve: "P-256",
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const keyFile = join(dir, "signer.key");
  const pubFile = join(dir, "signer.pub");
  const sigFile = join(dir, "model.sig");
  writeFileSync(keyFile, privateKey, { mode: 0o600 });
  writeFileSync(pubFile, publicKey);

  const child = (mode: "sign" | "verify", cached: boolean) => (): Promise<Sample> => {
    const env = { ...process.env };
    if (cached) env.NODE_COMPILE_CACHE = compileCache;
    else delete env.NODE_COMPILE_CACHE;
    const args = ["bench/sign-child.ts", mode, model, mode === "sign" ? keyFile : pubFile, sigFile];
    return measure(process.execPath, args, env);
  };
  const sides: Record<string, () => Promise<Sample>> = {
    openssl: () => measure("openssl", ["dgst", "-sha256", model]),
    sign: child("sign", true),
    verify: child("verify", true),
    "sign (no compile cache)": child("sign", false),
    "verify (no compile cache)": child("verify", false),
  };
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  // Warm-up: the page cache holds the file and the compile cache holds our modules before anything is timed.
  for (const run of Object.values(sides)) await run();
  for (let i = 0; i < runs; i++) for (const [name, run] of Object.entries(sides)) samples[name]!.push(await run());

  const openssl = median(samples.openssl!.map((s) => s.seconds));
  const opensslCpu = median(samples.openssl!.map((s) => s.cpuSeconds));
  const cores = availableParallelism();
  const rows = Object.entries(samples).map(([name, list]) => {
    const seconds = median(list.map((s) => s.seconds));
    const work = list.every((s) => s.workMs !== undefined) ? median(list.map((s) => s.workMs!)) / 1000 : undefined;
    return {
      name,
      medianSeconds: seconds,
      speedVsOpenssl: openssl / seconds,
      medianWorkSeconds: work,
      workSpeedVsOpenssl: work === undefined ? undefined : openssl / work,
      peakRssMiB: Math.max(...list.map((s) => s.peakRss)) / 2 ** 20,
      medianCpuSeconds: median(list.map((s) => s.cpuSeconds)),
      // What the wall ratio would be on an otherwise idle machine if our CPU time spread evenly over every core
      // (openssl uses one): a check on the measurement when other work shares the machine, not a result.
      idleEstimateVsOpenssl: opensslCpu / (median(list.map((s) => s.cpuSeconds)) / (name === "openssl" ? 1 : cores)),
      seconds: list.map((s) => s.seconds),
    };
  });
  console.log(`OMS sign/verify of a ${sizeMiB} MiB model vs openssl dgst -sha256, median of ${runs} runs`);
  console.log(
    "side                        wall s   vs openssl   in-process s  vs openssl   peak RSS MiB   CPU s   idle est.",
  );
  for (const r of rows)
    console.log(
      [
        r.name.padEnd(26),
        r.medianSeconds.toFixed(3).padStart(8),
        `${r.speedVsOpenssl.toFixed(2)}x`.padStart(12),
        (r.medianWorkSeconds?.toFixed(3) ?? "-").padStart(14),
        (r.workSpeedVsOpenssl === undefined ? "-" : `${r.workSpeedVsOpenssl.toFixed(2)}x`).padStart(11),
        r.peakRssMiB.toFixed(1).padStart(14),
        r.medianCpuSeconds.toFixed(2).padStart(8),
        `${r.idleEstimateVsOpenssl.toFixed(2)}x`.padStart(12),
      ].join(""),
    );
  console.log("target: sign and verify at least 1.70x openssl");
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} on ${cores} cores`,
  );
  const result = {
    bench: "sign-verify",
    sizeMiB,
    runs,
    cores,
    loadAverage: loadavg(),
    node: process.version,
    date: new Date().toISOString(),
    rows,
  };
  writeFileSync(new URL("sign-verify.json", outDir), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `cmd args` under GNU time: wall seconds (ours, to the millisecond), peak RSS, and the child's JSON line. */
function measure(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Sample> {
  const report = join(dir, "time.txt");
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const proc = spawn("/usr/bin/time", ["-o", report, "-f", "%M %U %S", cmd, ...args], {
      cwd: repo,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const out: Buffer[] = [];
    proc.stdout.on("data", (c: Buffer) => out.push(c));
    proc.on("error", reject);
    proc.on("close", (status) => {
      const seconds = (performance.now() - started) / 1000;
      if (status !== 0) return reject(new Error(`${cmd} ${args.join(" ")} exited with ${status}`));
      const [kib, user, sys] = (readFileSync(report, "utf8").trim().split("\n").at(-1) ?? "").split(" ").map(Number);
      const base = { seconds, cpuSeconds: (user ?? NaN) + (sys ?? NaN), peakRss: (kib ?? NaN) * 1024 };
      const line = Buffer.concat(out).toString("utf8").trim();
      const workMs = line.startsWith("{") ? (JSON.parse(line) as { workMs: number }).workMs : undefined;
      resolve(workMs === undefined ? base : { ...base, workMs });
    });
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function writeRandomFile(path: string, size: number): void {
  const fd = openSync(path, "w");
  try {
    const block = Buffer.allocUnsafe(16 * 1024 * 1024);
    for (let left = size; left > 0; left -= block.length) {
      randomFillSync(block);
      writeSync(fd, block, 0, Math.min(block.length, left));
    }
  } finally {
    closeSync(fd);
  }
}
