import { createHash } from "node:crypto";
import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core";
import { printJson, printLines } from "../support/output.ts";
import { deviceFrom } from "./tpm-common.ts";

/**
 * `edgeward tpm extend`: extends a PCR with an event (TPM2_PCR_Event: each bank gets H_bank(data)). Extending a
 * policy PCR makes every key bound to it unusable until the next reboot: the tamper response.
 */
export function registerTpmExtend(tpm: Command): void {
  tpm
    .command("extend")
    .description("extend a PCR with H(data) in every bank (keys bound to it stop working until reboot)")
    .requiredOption("--pcr <n>", "PCR index 0-23")
    .requiredOption("--data <text>", "event text (at most 1024 bytes)")
    .option("--json", "print the PCR's new SHA-256 value as JSON")
    .action(async (opts: { pcr: string; data: string; json?: boolean }, cmd: Command) => {
      if (!/^(0|[1-9][0-9]?)$/.test(opts.pcr) || Number(opts.pcr) > 23)
        throw new EdgewardError("EW_ERR_TPM_PCR_SELECTION", { detail: `--pcr ${opts.pcr}` });
      const index = Number(opts.pcr);
      const device = deviceFrom(cmd);
      await device.pcrExtend(index, new TextEncoder().encode(opts.data));
      const value = (await device.pcrRead([{ bank: "sha256", pcrs: [index] }])).sha256?.[index];
      const hex = value === undefined ? null : Buffer.from(value).toString("hex");
      const event = createHash("sha256").update(opts.data).digest("hex");
      if (opts.json) return printJson({ pcr: index, event, sha256: hex });
      printLines(`extended PCR ${index} with sha256 ${event}`, `PCR ${index} (sha256) is now ${hex ?? "unknown"}`);
    });
}
