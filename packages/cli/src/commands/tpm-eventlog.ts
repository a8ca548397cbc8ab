import type { Command } from "commander";
import { parseEventLog, summarizeEventLog, type EventLogSummary } from "@edgeward/core/tpm/eventlog";
import { readSmallFile } from "@edgeward/io/read";
import { printJson, printLines } from "../support/output.ts";

/** Where Linux exposes the firmware event log (the default FILE). */
export const KERNEL_EVENT_LOG = "/sys/kernel/security/tpm0/binary_bios_measurements";

/**
 * `edgeward tpm eventlog FILE`: what a TCG firmware event log says (ARCHITECTURE.md promise 2; docs/audit.md):
 * the PCR values it replays to per bank, whether it shows Secure Boot enabled, and its events. Needs no TPM; the
 * log is parsed as untrusted bytes and a malformed one fails with its EW_ERR_EVENTLOG_* code.
 */
export function registerTpmEventlog(tpm: Command): void {
  tpm
    .command("eventlog")
    .description("parse and replay a TCG firmware event log: PCR values per bank, Secure Boot state, events")
    .argument("[file]", "the binary event log", KERNEL_EVENT_LOG)
    .option("--json", 'print {"pcrs": {bank: {index: hex}}, "secureBoot": true|false|null, "events": [...]}')
    .action(async (file: string, opts: { json?: boolean }) => {
      const summary = summarizeEventLog(parseEventLog(await readSmallFile(file, "event log")));
      if (opts.json) return printJson(summary);
      printLines(...describe(summary));
    });
}

function describe(s: EventLogSummary): string[] {
  const lines = [
    `events:       ${s.events.length}`,
    `secure boot:  ${s.secureBoot === null ? "not measured" : s.secureBoot ? "enabled" : "DISABLED"}`,
  ];
  for (const [name, db] of Object.entries(s.databases)) {
    const counts = Object.entries(db.entries).map(([kind, n]) => `${n} ${kind}`);
    lines.push(`  ${name.padEnd(4)} ${counts.join(", ") || "empty"}`);
  }
  for (const [bank, pcrs] of Object.entries(s.pcrs)) {
    lines.push(`${bank}:`);
    for (const [i, v] of Object.entries(pcrs)) lines.push(`  ${i.padStart(2)}: ${v}`);
  }
  return lines;
}
