import type { Command } from "commander";
import { printJson, printLines } from "../support/output.ts";
import { deviceFrom } from "./tpm-common.ts";

/** `edgeward tpm status`: what TPM is there, its manufacturer, PCR banks, and whether EK certificates exist. */
export function registerTpmStatus(tpm: Command): void {
  tpm
    .command("status")
    .description("show the TPM: manufacturer, firmware, active PCR banks, EK certificates")
    .option("--json", "print the status as JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const device = deviceFrom(cmd);
      const s = await device.status();
      if (opts.json) return printJson(s);
      const yes = (b: boolean): string => (b ? "yes" : "no");
      printLines(
        `device:           ${device.description}`,
        `hardware-backed:  ${s.hardwareBacked ? "yes" : "NO (software keystore: keys can be copied with the disk)"}`,
        `manufacturer:     ${s.manufacturer}${s.vendor ? ` (${s.vendor})` : ""}`,
        `firmware:         ${s.firmwareVersion}`,
        `specification:    ${s.specification}`,
        `PCR banks:        ${s.pcrBanks.join(", ") || "none"}`,
        `EK certificate:   RSA ${yes(s.ekCertificates.rsa)}, ECC ${yes(s.ekCertificates.ecc)}`,
      );
    });
}
