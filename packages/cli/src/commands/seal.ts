import { basename } from "node:path";
import type { Command } from "commander";
import { loadPrivateKey } from "@edgeward/core";
import { readTextFile, sealModelFile } from "@edgeward/io";
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
      const started = performance.now();
      let bar: ReturnType<typeof progressBar> | undefined;
      const sealed = await sealModelFile(model, opts.output, {
        recipients,
        ...(privateKey === undefined ? {} : { sign: { privateKey, name: basename(model) } }),
        onProgress: (done, total) => (bar ??= progressBar("sealing", total)).update(done),
        inputs: [...(opts.recipientsFile ?? []), ...(opts.sign === undefined ? [] : [opts.sign])],
      });
      bar?.end();
      const seconds = (performance.now() - started) / 1000;
      const { size, signature } = sealed;
      if (opts.json)
        printJson({ output: opts.output, signature: signature ?? null, recipients: recipients.length, size, seconds });
      else
        printLines(
          `Sealed ${model} (${size} bytes) for ${recipients.length} recipient(s) -> ${opts.output}`,
          ...(signature === undefined ? [] : [`Signature (OMS bundle) -> ${signature}`]),
        );
    });
}
