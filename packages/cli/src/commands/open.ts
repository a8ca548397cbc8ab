import type { Command } from "commander";
import { EdgewardError, openStream, openToFile } from "@edgeward/core";
import { openForRead, openSealedModelFile, prepareOutput } from "@edgeward/io";
import { collect, loadIdentities } from "../support/keys.ts";
import { printJson, printLines, writeStdout } from "../support/output.ts";

interface OpenOptions {
  identity?: string[];
  verify?: string;
  sig?: string;
  name?: string;
  output: string;
  json?: boolean;
}

/** `edgeward open`: decrypt a sealed model; a file output appears only after full authentication. */
export function registerOpen(program: Command): void {
  program
    .command("open")
    .description("decrypt a sealed model; -o FILE appears only after every chunk authenticated (and --verify passed)")
    .argument("<sealed>", "the sealed (age) file")
    .option(
      "-i, --identity <file>",
      "identity file: age-keygen/edgeward keygen, or a TPM key file (repeatable)",
      collect,
    )
    .option("--verify <pub>", "publisher public key (NAME.pub): check the OMS signature before writing")
    .option("--sig <file>", "the OMS signature (default: SEALED.sig)")
    .option("--name <name>", "with --verify: the model name the signature must carry")
    .requiredOption("-o, --output <file>", "output file (written 0600), or - for stdout")
    .option("--json", "print a JSON summary (only with -o FILE)")
    .action(async (sealed: string, opts: OpenOptions) => {
      if (opts.verify === undefined && (opts.sig !== undefined || opts.name !== undefined))
        throw new EdgewardError("EW_ERR_USAGE", { detail: "--sig and --name need --verify KEY" });
      // Decrypted models are as secret as keys: 0600. The output is checked before anything is decrypted, and
      // may be none of the files read (an identity file overwritten with the model would lose the key).
      const read = [sealed, ...(opts.identity ?? []), ...[opts.verify, opts.sig].filter((f) => f !== undefined)];
      const output =
        opts.output === "-"
          ? undefined
          : await prepareOutput(opts.output, { what: "decrypted model", mode: 0o600, inputs: read });
      const identities = await loadIdentities(opts.identity ?? []);
      if (opts.verify !== undefined) {
        // With a signature to check, the model is opened into memory, verified, and only then written.
        const { plaintext, verification } = await openSealedModelFile(sealed, identities, {
          publicKeyPath: opts.verify,
          sigPath: opts.sig ?? `${sealed}.sig`,
          ...(opts.name === undefined ? {} : { name: opts.name }),
        });
        try {
          if (output === undefined) await writeStdout(plaintext);
          else await output.write(async (out) => void (await out.writeFile(plaintext)));
        } finally {
          plaintext.fill(0);
        }
        const signed = { name: verification?.name ?? null, digest: verification?.digest ?? null };
        if (output === undefined) process.stderr.write(`Signed model ${signed.name} sha256:${signed.digest}\n`);
        else if (opts.json) printJson({ output: opts.output, size: plaintext.length, verified: true, ...signed });
        else printLines(`Opened ${sealed} -> ${opts.output}`, `Signed model ${signed.name} sha256:${signed.digest}`);
        return;
      }
      const input = await openForRead(sealed, "sealed file");
      try {
        if (output === undefined) {
          // stdout cannot be taken back: stream only authenticated chunks; a late failure still exits non-zero.
          const source = input.createReadStream({ highWaterMark: 1 << 20, autoClose: false });
          for await (const chunk of openStream(source, identities)) await writeStdout(chunk);
          return;
        }
        let size = 0;
        await output.write(async (out) => {
          size = (await openToFile(input, out, identities)).plaintextSize;
        });
        if (opts.json) printJson({ output: opts.output, size, verified: false });
      } finally {
        await input.close();
      }
    });
}
