// Runs every benchmark in turn (npm run bench), each against the anchor it names, on an otherwise idle machine.
// Results print as they come and land as JSON in bench/out/; bench/RESULTS.md records a run and its commands.
//   node bench/run.ts [NAME …]     e.g. node bench/run.ts age-stream first-inference
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ALL = [
  "startup",
  "age-stream",
  "seal-cli",
  "sign-verify",
  "first-inference",
  "tpm-quote-verify",
  "tpm-ops",
  "tpm-open",
  "tlog-append",
  "tlog-proof",
  "audit",
  "audit-eventlog",
  "hub-attest",
  "hub-soak",
  "hub-release",
  "hub-audit-replicas",
  "guard",
  "agent-serve",
  "agent-serve-guard",
  "agent-tamper",
  "agent-publish",
  "agent-rss",
];
const chosen = process.argv.slice(2);
const unknown = chosen.filter((n) => !ALL.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(", ")}; choose from ${ALL.join(", ")}\n`);
  process.exit(2);
}
let failed = 0;
for (const name of chosen.length > 0 ? chosen : ALL) {
  process.stdout.write(`\n== ${name}\n`);
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const res = spawnSync(process.execPath, [file], { stdio: "inherit" });
  if (res.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
