// Run inside a network namespace by audit-egress.test.ts: runs the audit's egress check (promise 3) with
// `--root` ROOT (`/` reads the namespace's loaded ruleset with `nft -j list ruleset`) and the state directory
// STATE, and prints the check's result as one JSON line.
import { CHECKS, runAudit } from "@edgeward/audit";

const [root, stateDir] = process.argv.slice(2);
if (root === undefined || stateDir === undefined) throw new Error("audit-egress: expected ROOT STATE");
const checks = CHECKS.filter((c) => c.id === "promise-3-egress");
const report = await runAudit({ root, stateDir, checks });
process.stdout.write(`${JSON.stringify(report.checks[0])}\n`);
