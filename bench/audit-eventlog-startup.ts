// Where the time of `edgeward tpm eventlog FILE --json` as a process goes, against `tpm2_eventlog FILE` (the
// anchor) in the same run, interleaved: Node alone (`node -e 0`), the least Node process that parses the log
// (bench/audit-eventlog-child.js: the parser module, no CLI), the CLI's own start (`edgeward --version`: commander
// and the error registry), and the command itself. Also counts the modules the command loads. The in-process
// parse + replay (bench/audit-eventlog.ts) is the comparison the event-log goal is about: the hub parses in
// process; this one says what a person pays who runs the command.
//   node bench/audit-eventlog-startup.ts [--runs N (15)] [--log NAME]
// Writes bench/out/audit-eventlog-startup.json.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { EVENTLOG_FIXTURES } from "@edgeward/testkit";
import { interleaved, median } from "./lib/measure.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "15" },
    log: { type: "string", default: "keylime-binary_bios_measurements-secureboot.bin" },
  },
});
const runs = Number(values.runs);
const file = join(EVENTLOG_FIXTURES, values.log);
const edgeward = fileURLToPath(new URL("../packages/cli/bin/edgeward.js", import.meta.url));
const child = fileURLToPath(new URL("./audit-eventlog-child.js", import.meta.url));
const node = process.execPath;

const cases: Record<string, [string, string[]]> = {
  "tpm2_eventlog FILE (anchor)": ["tpm2_eventlog", [file]],
  "node -e 0": [node, ["-e", "0"]],
  "node: parser only, no CLI": [node, [child, file]],
  "edgeward --version": [node, [edgeward, "--version"]],
  "edgeward tpm eventlog FILE --json": [node, [edgeward, "tpm", "eventlog", file, "--json"]],
};

// How many modules the command loads (a load hook counts them; run once, outside the timings).
const counter =
  "data:text/javascript,import m from 'node:module';let n=0;m.registerHooks({load(u,c,x){n++;return x(u,c)}});" +
  "process.on('exit',()=>process.stderr.write('modules '+n+'\\n'))";
const counted = spawnSync(node, ["--import", counter, edgeward, "tpm", "eventlog", file, "--json"], {
  encoding: "utf8",
}).stderr;
const modules = Number(/modules (\d+)/.exec(counted)?.[1]);

const samples = await interleaved(cases, runs);
const anchor = median(samples["tpm2_eventlog FILE (anchor)"]!.wall) * 1000;
const bare = median(samples["node -e 0"]!.wall) * 1000;
console.log(
  `${values.log}: median of ${runs} interleaved runs; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(`edgeward tpm eventlog loads ${modules} modules`);
console.log("process                               wall ms  cpu s  rss MiB  +ms over node  anchor/this");
const rows = Object.entries(samples).map(([name, s]) => {
  const wallMs = median(s.wall) * 1000;
  const row = { name, wallMs, cpuSeconds: median(s.cpu), peakRssMiB: Math.max(...s.rss), ratio: anchor / wallMs };
  console.log(
    `${name.padEnd(37)} ${wallMs.toFixed(1).padStart(7)}  ${row.cpuSeconds.toFixed(2).padStart(5)}  ` +
      `${row.peakRssMiB.toFixed(0).padStart(7)}  ${(wallMs - bare).toFixed(1).padStart(13)}  ` +
      `${row.ratio.toFixed(2).padStart(11)}x`,
  );
  return row;
});
const out = new URL("./out/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL("audit-eventlog-startup.json", out),
  `${JSON.stringify({ bench: "audit-eventlog-startup", log: values.log, runs, loadAverage: loadavg(), modules, rows, samples }, null, 2)}\n`,
);
