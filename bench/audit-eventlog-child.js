// The least a Node process can do for `edgeward tpm eventlog FILE --json`: the compile cache on, the event log
// parser alone (no CLI, no option parsing), the summary printed as JSON. JavaScript, as the CLI's own entry
// (packages/cli/bin/edgeward.js) is, so that a cached run never loads Node's TypeScript stripper. Run by
// bench/audit-eventlog-startup.ts as the floor for a Node process doing this work.
import module from "node:module";
import { readFileSync } from "node:fs";

module.enableCompileCache?.();
const { parseEventLog, summarizeEventLog } = await import("@edgeward/core/tpm/eventlog");
const file = process.argv[2];
if (file === undefined) throw new Error("audit-eventlog-child: expected FILE");
process.stdout.write(`${JSON.stringify(summarizeEventLog(parseEventLog(readFileSync(file))))}\n`);
