// The user's view of sealing: the whole `edgeward seal` command vs the whole `age -r` command on the same 1 GiB
// file, writing to the same directory (outputs removed before each run), interleaved, medians, peak RSS (target:
// "seal a 1 GiB file (no signature) … at least 1.0x the speed of age -r, peak RSS at most 128 MiB").
// bench/age-stream.ts measures the payload engine alone; this adds what the CLI costs on top.
//   node bench/seal-cli.ts [--size MiB (1024)] [--runs N (7)] [--dir DIR]
// Writes bench/out/seal-cli.json.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median, peakRssOf } from "./lib/measure.ts";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "1024" },
    runs: { type: "string", default: "7" },
    dir: { type: "string", default: tmpdir() },
  },
});
const edgeward = fileURLToPath(new URL("../packages/cli/bin/edgeward.js", import.meta.url));
const work = mkdtempSync(join(values.dir, "edgeward-seal-cli-"));
try {
  const input = join(work, "model.bin");
  execFileSync("sh", ["-c", `head -c ${Number(values.size) * 2 ** 20} /dev/urandom > ${input}`]);
  execFileSync("age-keygen", ["-o", join(work, "key.txt")], { stdio: "ignore" });
  const recipient = /public key: (age1\w+)/.exec(readFileSync(join(work, "key.txt"), "utf8"))![1]!;
  const out = join(work, "out.age");
  const sides = {
    age: () => peakRssOf("age", ["-r", recipient, "-o", out, input]),
    edgeward: () => peakRssOf(process.execPath, [edgeward, "seal", input, "-r", recipient, "-o", out]),
  };
  await sides.edgeward(); // warm the page cache and Node's compile cache
  const samples: Record<string, { seconds: number[]; cpu: number[]; rss: number[] }> = {
    age: { seconds: [], cpu: [], rss: [] },
    edgeward: { seconds: [], cpu: [], rss: [] },
  };
  for (let i = 0; i < Number(values.runs); i++) {
    for (const name of i % 2 === 0 ? ["age", "edgeward"] : ["edgeward", "age"]) {
      rmSync(out, { force: true });
      const r = await sides[name as keyof typeof sides]();
      samples[name]!.seconds.push(r.seconds);
      samples[name]!.cpu.push(r.cpuSeconds);
      samples[name]!.rss.push(r.peakRss / 2 ** 20);
    }
  }
  const age = median(samples["age"]!.seconds);
  const ours = median(samples["edgeward"]!.seconds);
  const rss = Math.max(...samples["edgeward"]!.rss);
  console.log(
    `seal ${values.size} MiB, whole commands, median of ${values.runs}: age -r ${age.toFixed(3)} s, edgeward seal ` +
      `${ours.toFixed(3)} s -> ${(age / ours).toFixed(2)}x (target >= 1.0x); edgeward peak RSS ${rss.toFixed(0)} MiB ` +
      `(target <= 128), age ${Math.max(...samples["age"]!.rss).toFixed(0)} MiB; CPU s age ` +
      `${median(samples["age"]!.cpu).toFixed(2)}, edgeward ${median(samples["edgeward"]!.cpu).toFixed(2)}; ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
  );
  const dir = new URL("./out/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    new URL("seal-cli.json", dir),
    `${JSON.stringify({ sizeMiB: Number(values.size), samples }, null, 2)}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
