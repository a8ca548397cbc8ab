import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { EdgewardError, parsePcrSelectionText } from "@edgeward/core";
import { printJson, printLines } from "../support/output.ts";
import { deviceFrom, parseHex } from "./tpm.ts";

/**
 * `edgeward tpm quote`: a quote over PCRs with the caller's nonce, written as `tpm2_quote -m -s -o` writes it
 * (quote.msg, quote.sig, quote.pcrs), with the AK's public key (ak.pem, ak.pub) and qualified name (ak.name).
 */
export function registerTpmQuote(tpm: Command): void {
  tpm
    .command("quote")
    .description("quote PCRs with a nonce; writes quote.msg, quote.sig, quote.pcrs, ak.pem, ak.pub, ak.name to DIR")
    .option("--pcrs <list>", "PCRs to quote (0,1,2,3,4,5,6,7 or sha256:0,7)", "0,1,2,3,4,5,6,7")
    .requiredOption("--nonce <hex>", "the verifier's nonce, hex (at most 64 bytes)")
    .requiredOption("-o, --output <dir>", "directory for the evidence files")
    .option("--json", "print the file paths and the AK's qualified name as JSON")
    .action(async (opts: { pcrs: string; nonce: string; output: string; json?: boolean }, cmd: Command) => {
      const nonce = parseHex(opts.nonce, "--nonce");
      const pcrs = parsePcrSelectionText(opts.pcrs);
      const device = deviceFrom(cmd);
      const ak = await device.createAttestationKey();
      const q = await device.quote(ak, pcrs, nonce);
      try {
        await mkdir(opts.output, { recursive: true });
        const files: Record<string, Uint8Array | string> = {
          "quote.msg": q.message,
          "quote.sig": q.signature,
          "quote.pcrs": q.pcrsFile,
          "ak.pem": ak.publicKeyPem,
          "ak.pub": ak.public,
          "ak.name": `${Buffer.from(ak.qualifiedName).toString("hex")}\n`,
        };
        for (const [name, data] of Object.entries(files)) await writeFile(join(opts.output, name), data);
      } catch (err) {
        throw new EdgewardError("EW_ERR_IO", { detail: `writing the quote to ${opts.output}`, cause: err });
      }
      const signer = Buffer.from(ak.qualifiedName).toString("hex");
      if (opts.json) return printJson({ dir: opts.output, pcrs: opts.pcrs, qualifiedSigner: signer });
      printLines(`quote over ${opts.pcrs} written to ${opts.output}`, `AK qualified name: ${signer}`);
    });
}
