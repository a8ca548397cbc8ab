import type { Command } from "commander";
import { parsePcrSelectionText } from "@edgeward/core";
import { APPLICATION_PCR, createTpmDecryptionKey } from "@edgeward/tpm";
import { prepareKeyOutput } from "../support/key-output.ts";
import { printJson, printLines } from "../support/output.ts";
import { deviceFrom } from "./tpm-common.ts";

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
    .option("--force", "replace an existing key file (models sealed to its key no longer open)")
    .option("--json", "print {recipient, file, pcrs, hardwareBacked} as JSON")
    .action(async (opts: { pcrs: string; output: string; force?: boolean; json?: boolean }, cmd: Command) => {
      const pcrs = parsePcrSelectionText(opts.pcrs);
      const output = await prepareKeyOutput(opts.output, "TPM key file", opts.force);
      const device = deviceFrom(cmd);
      const created = await createTpmDecryptionKey(device, { pcrs });
      await output.write(async (out) => void (await out.writeFile(created.keyFile)));
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
