import type { Command } from "commander";
import { readAgentStatus } from "@edgeward/agent";
import { printJson, printLines } from "../support/output.ts";
import { agentState, agentTpm } from "./agent-common.ts";

/** `edgeward agent status`: enrolment, attestation, certificate, release, TPM floor and tamper state. */
export function registerAgentStatus(agent: Command): void {
  agent
    .command("status")
    .description("show enrolment, last attestation, certificate expiry, model and version, floor, tamper state")
    .requiredOption("--state <dir>", "the agent's state directory")
    .option("--no-tpm", "do not ask the TPM for the version floor")
    .option("--json", "print the status as JSON")
    .action(async (opts: { state: string; tpm: boolean; json?: boolean }, cmd: Command) => {
      const s = await readAgentStatus(agentState(opts.state), opts.tpm ? agentTpm(cmd) : undefined);
      if (opts.json) return printJson(s);
      const r = s.runtime;
      printLines(
        `state        ${s.stateDir}`,
        `enrolled     ${s.enrolled ? `yes, device ${s.deviceId ?? "?"} at ${s.hubUrl ?? "?"}` : "no"}`,
        `attestation  ${r.lastAttestation === undefined ? "never" : `${r.lastAttestation.result} at ${r.lastAttestation.at}`}`,
        `certificate  ${s.certificate === null ? "none" : `${s.certificate.expired ? "EXPIRED" : "valid"} until ${s.certificate.notAfter}`}`,
        `model        ${r.serving === undefined ? "none" : `${r.serving.name} ${r.serving.version} (${r.serving.releaseId})`}`,
        `floor        ${s.floor ?? "unknown"}`,
        `tamper       ${s.tamper === null ? "none" : `${s.tamper.source} at ${s.tamper.at}: ${s.tamper.details}`}`,
      );
    });
}
