import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { DEFAULT_EVENT_LOG_PATH, enrolDevice } from "@edgeward/agent";
import { readTextFile } from "@edgeward/io";
import { printJson, printLines } from "../support/output.ts";
import { agentState, agentTpm } from "./agent-common.ts";

interface EnrolOptions {
  hub: string;
  ca: string;
  token?: string;
  ekCert?: boolean;
  state: string;
  eventLog: string;
  json?: boolean;
}

/**
 * `edgeward agent enrol`: makes the device's keys in the TPM, enrols with the hub (EK certificate or one-time
 * token, ActivateCredential, certify evidence), attests, and stores the device certificate.
 */
export function registerAgentEnrol(agent: Command): void {
  agent
    .command("enrol")
    .description("create the device's keys in the TPM, enrol with the hub, attest, and store the certificate")
    .requiredOption("--hub <url>", "the hub's URL (https://…)")
    .requiredOption("--ca <file>", "the hub's CA certificate (PEM)")
    .option("--token <token>", "a one-time enrolment token from the operator")
    .option("--ek-cert", "prove the TPM with its EK certificate instead of a token")
    .requiredOption("--state <dir>", "the agent's state directory")
    .option(
      "--event-log <file>",
      "the firmware event log sent with the first attestation (skipped when the file is missing)",
      DEFAULT_EVENT_LOG_PATH,
    )
    .option("--json", "print {deviceId, state, attestation} as JSON")
    .action(async (opts: EnrolOptions, cmd: Command) => {
      if ((opts.token === undefined) === (opts.ekCert !== true))
        throw new EdgewardError("EW_ERR_USAGE", { detail: "give exactly one of --token and --ek-cert" });
      const result = await enrolDevice({
        tpm: agentTpm(cmd),
        layout: agentState(opts.state),
        hubUrl: opts.hub,
        caPem: await readTextFile(opts.ca, "hub CA certificate"),
        proof: opts.token === undefined ? { ekCertificate: true } : { token: opts.token },
        eventLogPath: opts.eventLog,
        onRefusal: (url, reason) => process.stderr.write(`edgeward agent: refused to connect to ${url}: ${reason}\n`),
      });
      if (opts.json) return printJson(result);
      printLines(
        `enrolled as ${result.deviceId} (${result.state})`,
        result.attestation === undefined
          ? "waiting for an operator to approve the device; `edgeward agent run` attests once it is trusted"
          : `attestation ${result.attestation.result}${result.attestation.certificate ? ", device certificate stored" : ""}`,
      );
    });
}
