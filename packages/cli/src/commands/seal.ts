import { basename } from "node:path";
import type { Command } from "commander";
import { loadPrivateKey, sealFile, serializeBundle, signModel } from "@edgeward/core";
import { openForRead, prepareOutput, readTextFile } from "@edgeward/io";
import { collect, loadRecipients } from "../support/keys.ts";
import { printJson, printLines } from "../support/output.ts";
import { progressBar } from "../support/progress.ts";

interface SealOptions {
  recipient?: string[];
  recipientsFile?: string[];
  sign?: string;
  output: string;
  json?: boolean;
}

/** `edgeward seal`: encrypt a model once as an age file to every recipient; optionally sign it (OMS). */
export function registerSeal(program: Command): void {
  program
    .command("seal")
    .description("encrypt MODEL as a standard age file for the recipients; with --sign, also write OUT.sig (OMS)")
    .argument("<model>", "the plaintext model file")
    .option("-r, --recipient <recipient>", "age1…, age1pq1… or age1tag1… recipient (repeatable)", collect)
    .option("-R, --recipients-file <file>", "file of recipients, one per line (repeatable)", collect)
    .option("--sign <key>", "publisher key (NAME.key from sign-keygen): write an OMS signature to OUT.sig")
    .requiredOption("-o, --output <file>", "the sealed file to write")
    .option("--json", "print a JSON summary")
    .action(async (model: string, opts: SealOptions) => {
      const recipients = await loadRecipients(opts.recipient ?? [], opts.recipientsFile ?? []);
      const privateKey =
        opts.sign === undefined ? undefined : loadPrivateKey(await readTextFile(opts.sign, "signing key"));
      // Both outputs are checked before any work: a directory, the model itself, a device written through.
      const output = await prepareOutput(opts.output, { what: "sealed file", inputs: [model] });
      const sigOutput =
        privateKey === undefined
          ? undefined
          : await prepareOutput(`${opts.output}.sig`, { what: "signature", inputs: [model], durable: true });
      const started = performance.now();
      const input = await openForRead(model, "model");
      try {
        const { size } = await input.stat();
        const bar = progressBar("sealing", size);
        await output.write(async (out) => {
          await sealFile(input, out, recipients, { onProgress: (done) => bar.update(done) });
        });
        bar.end();
        let sigPath: string | undefined;
        if (privateKey !== undefined && sigOutput !== undefined) {
          const bundle = await signModel({ path: model, name: basename(model), privateKey });
          sigPath = sigOutput.path;
          await sigOutput.write(async (out) => void (await out.writeFile(serializeBundle(bundle))));
        }
        const seconds = (performance.now() - started) / 1000;
        if (opts.json)
          printJson({ output: opts.output, signature: sigPath ?? null, recipients: recipients.length, size, seconds });
        else
          printLines(
            `Sealed ${model} (${size} bytes) for ${recipients.length} recipient(s) -> ${opts.output}`,
            ...(sigPath === undefined ? [] : [`Signature (OMS bundle) -> ${sigPath}`]),
          );
      } finally {
        await input.close();
      }
    });
}
