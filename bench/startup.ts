// Start-up: what each short `edgeward` command costs over a bare `node -e 0` and next to `age --version`, the
// anchors run interleaved in the same run. A device runs the CLI from scripts and a hub per request, so each
// command should add at most 0.1 s over Node itself. Prints, per command, the median wall time, the median CPU
// seconds, the peak RSS, the difference to `node -e 0` and the ratio to `age --version`, with the load average.
//   node bench/startup.ts [--runs N (15)]
// Writes bench/out/startup.json.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { interleaved, median } from "./lib/measure.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
const runs = Number(values.runs);
const edgeward = fileURLToPath(new URL("../packages/cli/bin/edgeward.js", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "edgeward-startup-"));
try {
  execFileSync("age-keygen", ["-o", join(work, "key.txt")], { stdio: "ignore" });
  const recipient = /public key: (age1\w+)/.exec(readFileSync(join(work, "key.txt"), "utf8"))![1]!;
  writeFileSync(join(work, "model.bin"), Buffer.alloc(4096, 1));
  execFileSync("age", ["-r", recipient, "-o", join(work, "model.age"), join(work, "model.bin")]);

  const ew = (...args: string[]): [string, string[]] => [process.execPath, [edgeward, ...args]];
  const cases: Record<string, [string, string[]]> = {
    "node -e 0": [process.execPath, ["-e", "0"]],
    "age --version": ["age", ["--version"]],
    "edgeward --version": ew("--version"),
    "edgeward --help": ew("--help"),
    "edgeward inspect FILE": ew("inspect", join(work, "model.age")),
    "edgeward seal --help": ew("seal", "--help"),
    "edgeward log --help": ew("log", "--help"),
    "edgeward tpm --help": ew("tpm", "--help"),
  };
  // The system Node (20) re-runs the shim on the repository's Node 24: that hop costs a second start-up.
  if (existsSync("/usr/bin/node")) cases["edgeward --help (system node)"] = ["/usr/bin/node", [edgeward, "--help"]];

  const samples = await interleaved(cases, runs);
  const node = median(samples["node -e 0"]!.wall);
  const age = median(samples["age --version"]!.wall);
  const load = loadavg().map((l) => l.toFixed(2));
  console.log(`start-up, median of ${runs} interleaved runs; load average ${load.join(" ")}`);
  console.log("command                              wall ms  cpu s  rss MiB  +ms over node  x age --version");
  const rows = Object.entries(samples).map(([name, s]) => {
    const wall = median(s.wall);
    const row = { name, wallMs: wall * 1000, cpuSeconds: median(s.cpu), peakRssMiB: Math.max(...s.rss) };
    console.log(
      `${name.padEnd(36)} ${row.wallMs.toFixed(0).padStart(7)}  ${row.cpuSeconds.toFixed(2).padStart(5)}  ` +
        `${row.peakRssMiB.toFixed(0).padStart(7)}  ${((wall - node) * 1000).toFixed(0).padStart(13)}  ` +
        `${(wall / age).toFixed(1).padStart(15)}`,
    );
    return row;
  });
  const dir = new URL("./out/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    new URL("startup.json", dir),
    `${JSON.stringify({ runs, loadAverage: loadavg(), rows, samples }, null, 2)}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
