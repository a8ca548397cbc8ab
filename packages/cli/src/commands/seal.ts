import { unlink } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import {
  DEFAULT_SHARD_SIZE,
  EdgewardError,
  loadPrivateKey,
  sealFile,
  serializeBundle,
  signShardDigests,
} from "@edgeward/core";
import { openDiscard, openForRead, prepareOutput, readTextFile } from "@edgeward/io";
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
      if (sigOutput !== undefined && output.kind === "device")
        throw new EdgewardError("EW_ERR_USAGE", { detail: "--sign needs -o to name a file, not a device" });
      const started = performance.now();
      const input = await openForRead(model, "model");
      let size = 0;
      let sigWritten = false;
      try {
        size = (await input.stat()).size;
        const bar = progressBar("sealing", size);
        await output.write(async (out) => {
          if (privateKey === undefined || sigOutput === undefined) {
            await sealFile(input, out, recipients, { onProgress: (done) => bar.update(done) });
            return;
          }
          // The signature is over the plaintext read back from the sealed file (authenticated chunk by chunk),
          // not over a second read of the model: it covers exactly the bytes sealed, and the model is read once.
          const discard = await openDiscard();
          try {
            const shardSize = DEFAULT_SHARD_SIZE;
            const sealed = await sealFile(input, out, recipients, {
              onProgress: (done) => bar.update(done),
              digest: { shardSize, discard },
            });
            const bundle = signShardDigests({
              name: basename(model),
              privateKey,
              shardSize,
              size: sealed.plaintextSize,
              shardDigests: sealed.shardDigests ?? [],
            });
            // Written before the sealed file is renamed into place; removed again below if that fails.
            await sigOutput.write(async (fh) => void (await fh.writeFile(serializeBundle(bundle))));
            sigWritten = true;
          } finally {
            await discard.close();
          }
        });
        bar.end();
      } catch (err) {
        // A signature whose sealed file never appeared would sit beside the old one: remove it.
        if (sigWritten && sigOutput !== undefined) await unlink(sigOutput.path).catch(() => undefined);
        throw err;
      } finally {
        await input.close();
      }
      const seconds = (performance.now() - started) / 1000;
      const sigPath = sigOutput?.path ?? null;
      if (opts.json)
        printJson({ output: opts.output, signature: sigPath, recipients: recipients.length, size, seconds });
      else
        printLines(
          `Sealed ${model} (${size} bytes) for ${recipients.length} recipient(s) -> ${opts.output}`,
          ...(sigPath === null ? [] : [`Signature (OMS bundle) -> ${sigPath}`]),
        );
    });
}
