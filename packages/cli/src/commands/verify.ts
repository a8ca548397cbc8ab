import type { Command } from "commander";
import { EdgewardError, verifyModel } from "@edgeward/core";
import { loadSignatureCheck, openForRead, openSealedModelFile } from "@edgeward/io";
import { collect, loadIdentities } from "../support/keys.ts";
import { printJson, printLines } from "../support/output.ts";

interface VerifyOptions {
  sig: string;
  key: string;
  name?: string;
  identity?: string[];
  json?: boolean;
}

const AGE_MAGIC = "age-encryption.org/v1\n";

/** `edgeward verify`: check an OMS signature over a plaintext model, or over a sealed one opened in memory. */
export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description("check a model's OMS signature; a sealed model is opened in memory first (needs -i)")
    .argument("<model>", "the plaintext model, or a sealed model with -i")
    .requiredOption("--sig <file>", "the OMS signature bundle (JSON)")
    .requiredOption("--key <pub>", "the publisher's public key (NAME.pub)")
    .option("--name <name>", "the model name the signature must carry (another signed model is refused)")
    .option("-i, --identity <file>", "identity to open a sealed model (repeatable)", collect)
    .option("--json", "print the signed name and digest as JSON")
    .action(async (model: string, opts: VerifyOptions) => {
      const sealed = await looksSealed(model);
      if (sealed && (opts.identity ?? []).length === 0)
        throw new EdgewardError("EW_ERR_USAGE", {
          detail: `${model} is sealed: give -i IDENTITY to open it in memory`,
        });
      const files = {
        publicKeyPath: opts.key,
        sigPath: opts.sig,
        ...(opts.name === undefined ? {} : { name: opts.name }),
      };
      let signed: { name: string; digest: string };
      if (sealed) {
        const identities = await loadIdentities(opts.identity ?? []);
        const opened = await openSealedModelFile(model, identities, files);
        opened.plaintext.fill(0);
        if (opened.verification === undefined) throw new EdgewardError("EW_ERR_INTERNAL", { detail: "not verified" });
        signed = opened.verification;
      } else {
        signed = await verifyModel({ ...(await loadSignatureCheck(files)), path: model });
      }
      if (opts.json) printJson({ model, sealed, verified: true, name: signed.name, digest: signed.digest });
      else
        printLines(
          `OK: ${model} matches ${opts.sig} signed by ${opts.key}${sealed ? " (sealed, opened in memory)" : ""}`,
          `Signed model ${signed.name} sha256:${signed.digest}`,
        );
    });
}

async function looksSealed(path: string): Promise<boolean> {
  const fh = await openForRead(path, "model");
  try {
    const head = Buffer.alloc(AGE_MAGIC.length);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.toString("latin1") === AGE_MAGIC;
  } finally {
    await fh.close();
  }
}
