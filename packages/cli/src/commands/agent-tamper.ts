import type { Command } from "commander";
import { respondToTamper } from "@edgeward/agent";
import { printJson, printLines } from "../support/output.ts";
import { agentState, agentTpm } from "./agent-common.ts";

/**
 * `edgeward agent tamper`: the manual tamper trigger (promise 9). Deletes the stored device headers, extends the
 * policy PCR and writes tamper.json; a running agent sees tamper.json, zeroizes its memory and tells the hub.
 */
export function registerAgentTamper(agent: Command): void {
  agent
    .command("tamper")
    .description("trigger the tamper response by hand: headers deleted, policy PCR extended, agent zeroized")
    .requiredOption("--state <dir>", "the agent's state directory")
    .option("--reason <text>", "why, for the log and the hub", "manual trigger")
    .option("--json", "print the record and timings as JSON")
    .action(async (opts: { state: string; reason: string; json?: boolean }, cmd: Command) => {
      const { record, timings } = await respondToTamper(
        { source: "manual", details: opts.reason.slice(0, 1024) },
        { tpm: agentTpm(cmd), layout: agentState(opts.state) },
      );
      if (opts.json) return printJson({ record, timings });
      printLines(
        `tamper response done in ${timings.doneMs.toFixed(1)} ms: device headers deleted, policy PCR extended`,
        `the unwrap key and the mTLS key stay refused until the device is re-provisioned (${record.at})`,
      );
    });
}
