import type { Command } from "commander";
import { EdgewardError, openStream, openToFile } from "@edgeward/core";
import { openForRead, writeAtomically } from "../support/files.ts";
import { collect, loadIdentities } from "../support/keys.ts";
import { printJson } from "../support/output.ts";
import { openVerified } from "../support/verified-open.ts";

interface OpenOptions {
  identity?: string[];
  verify?: string;
  sig?: string;
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
    .requiredOption("-o, --output <file>", "output file, or - for stdout")
    .option("--json", "print a JSON summary (only with -o FILE)")
    .action(async (sealed: string, opts: OpenOptions) => {
      const identities = await loadIdentities(opts.identity ?? []);
      if (opts.verify !== undefined) {
        // With a signature to check, the model is opened into memory, verified, and only then written.
        const { plaintext } = await openVerified(sealed, identities, {
          publicKeyPath: opts.verify,
          sigPath: opts.sig ?? `${sealed}.sig`,
        });
        await emit(opts.output, async (write) => write(plaintext));
        if (opts.json && opts.output !== "-")
          printJson({ output: opts.output, size: plaintext.length, verified: true });
        return;
      }
      if (opts.sig !== undefined) throw new EdgewardError("EW_ERR_USAGE", { detail: "--sig needs --verify KEY" });
      const input = await openForRead(sealed, "sealed file");
      try {
        if (opts.output === "-") {
          // stdout cannot be taken back: stream only authenticated chunks; a late failure still exits non-zero.
          const source = input.createReadStream({ highWaterMark: 1 << 20, autoClose: false });
          for await (const chunk of openStream(source, identities)) await writeStdout(chunk);
          return;
        }
        let size = 0;
        await writeAtomically(opts.output, async (out) => {
          size = (await openToFile(input, out, identities)).plaintextSize;
        });
        if (opts.json) printJson({ output: opts.output, size, verified: false });
      } finally {
        await input.close();
      }
    });
}

async function emit(output: string, body: (write: (b: Uint8Array) => Promise<void>) => Promise<void>): Promise<void> {
  if (output === "-") return body(writeStdout);
  await writeAtomically(output, (out) => body(async (b) => void (await out.write(b))));
}

function writeStdout(chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(chunk, (err) => (err ? reject(err) : resolve())));
}
