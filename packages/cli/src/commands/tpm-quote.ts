import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { EdgewardError, parsePcrSelectionText } from "@edgeward/core";
import { ioError, prepareOutput, type OutputFile } from "@edgeward/io";
import { printJson, printLines } from "../support/output.ts";
import { deviceFrom, parseHex } from "./tpm-common.ts";

/** The evidence files, as `tpm2_quote -m -s -o` and `tpm2_readpublic` name them. */
const FILES = ["quote.msg", "quote.sig", "quote.pcrs", "ak.pem", "ak.pub", "ak.name"] as const;

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
      const outputs = await prepareDirectory(opts.output);
      const device = deviceFrom(cmd);
      const ak = await device.createAttestationKey();
      const q = await device.quote(ak, pcrs, nonce);
      const data: Record<(typeof FILES)[number], Uint8Array | string> = {
        "quote.msg": q.message,
        "quote.sig": q.signature,
        "quote.pcrs": q.pcrsFile,
        "ak.pem": ak.publicKeyPem,
        "ak.pub": ak.public,
        "ak.name": `${Buffer.from(ak.qualifiedName).toString("hex")}\n`,
      };
      // Each file is made beside its name and renamed over it: a symbolic link planted in DIR is replaced,
      // never followed, so the quote cannot be steered onto another file.
      for (const out of outputs) await out.file.write(async (fh) => void (await fh.writeFile(data[out.name])));
      const signer = Buffer.from(ak.qualifiedName).toString("hex");
      if (opts.json) return printJson({ dir: opts.output, pcrs: opts.pcrs, qualifiedSigner: signer });
      printLines(`quote over ${opts.pcrs} written to ${opts.output}`, `AK qualified name: ${signer}`);
    });
}

/** Makes DIR and checks every evidence file's name in it before the TPM does any work. */
async function prepareDirectory(dir: string): Promise<{ name: (typeof FILES)[number]; file: OutputFile }[]> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "EEXIST")
      throw new EdgewardError("EW_ERR_USAGE", { detail: `${dir} exists and is not a directory` });
    throw ioError(err, `cannot make the directory ${dir}`);
  }
  const outputs = [];
  for (const name of FILES)
    outputs.push({ name, file: await prepareOutput(join(dir, name), { what: "quote file", replaceLinks: true }) });
  return outputs;
}
