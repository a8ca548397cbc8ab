import type { Command } from "commander";
import { parsePcrSelectionText } from "@edgeward/core";
import { APPLICATION_PCR, createTpmDecryptionKey } from "@edgeward/tpm";
import { writeTextAtomically } from "../support/files.ts";
import { printJson, printLines } from "../support/output.ts";
import { deviceFrom } from "./tpm.ts";

/**
 * `edgeward tpm keygen`: the TPM decryption key under a PCR policy. The key file holds the wrapped blobs and the
 * policy (useless on any other TPM); the printed `age1tag1…` recipient is what models are sealed to.
 */
export function registerTpmKeygen(tpm: Command): void {
  tpm
    .command("keygen")
    .description("create the TPM decryption key bound to PCRs; print its age1tag1 recipient")
    .option(
      "--pcrs <list>",
      "PCRs the key is bound to, at their current values (e.g. sha256:7,14)",
      `7,${APPLICATION_PCR}`,
    )
    .requiredOption("-o, --output <file>", "write the key file here (mode 0600)")
    .option("--json", "print {recipient, file, pcrs, hardwareBacked} as JSON")
    .action(async (opts: { pcrs: string; output: string; json?: boolean }, cmd: Command) => {
      const pcrs = parsePcrSelectionText(opts.pcrs);
      const device = deviceFrom(cmd);
      const created = await createTpmDecryptionKey(device, { pcrs });
      await writeTextAtomically(opts.output, created.keyFile, 0o600);
      if (opts.json)
        return printJson({
          recipient: created.recipient,
          file: opts.output,
          pcrs: opts.pcrs,
          hardwareBacked: device.hardwareBacked,
        });
      if (!device.hardwareBacked)
        process.stderr.write("warning: no TPM; this key is in the software keystore and NOT hardware-backed\n");
      printLines(created.recipient);
    });
}
