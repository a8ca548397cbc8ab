import type { Command } from "commander";
import { EdgewardError, isEdgewardError, parsePcrSelectionText } from "@edgeward/core";
import { APPLICATION_PCR, checkKeyPolicyPcrs, createTpmDecryptionKey } from "@edgeward/tpm";
import { prepareKeyOutput } from "../support/key-output.ts";
import { printJson, printLines } from "../support/output.ts";
import { deviceFrom } from "./tpm-common.ts";

interface KeygenOptions {
  pcrs: string;
  output: string;
  force?: boolean;
  json?: boolean;
  allowResettablePcrs?: boolean;
  allowSha1?: boolean;
}

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
    .option("--allow-resettable-pcrs", "allow PCRs 16 and 20-23, which software can reset (the policy can be undone)")
    .option("--allow-sha1", "allow the SHA-1 bank (its values can be forged by collision)")
    .action(async (opts: KeygenOptions, cmd: Command) => {
      const pcrs = parsePcrSelectionText(opts.pcrs);
      // Refused before the TPM is touched: a policy that can be undone is no policy.
      const allow = { resettablePcrs: opts.allowResettablePcrs === true, sha1: opts.allowSha1 === true };
      try {
        checkKeyPolicyPcrs(pcrs, allow);
      } catch (err) {
        if (!isEdgewardError(err)) throw err;
        const flag = err.code === "EW_ERR_TPM_PCR_SHA1" ? "--allow-sha1" : "--allow-resettable-pcrs";
        throw new EdgewardError(err.code, { detail: `${err.detail ?? ""}; give ${flag} to bind the key anyway` });
      }
      const output = await prepareKeyOutput(opts.output, "TPM key file", opts.force);
      const device = deviceFrom(cmd);
      const created = await createTpmDecryptionKey(device, { pcrs, allow });
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
