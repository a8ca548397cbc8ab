import type { Command } from "commander";
import { EdgewardError, verifyModel } from "@edgeward/core";
import { openForRead } from "../support/files.ts";
import { collect, loadIdentities } from "../support/keys.ts";
import { printJson, printLines } from "../support/output.ts";
import { loadCheck, openVerified } from "../support/verified-open.ts";

interface VerifyOptions {
  sig: string;
  key: string;
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
    .option("-i, --identity <file>", "identity to open a sealed model (repeatable)", collect)
    .option("--json", "print the verified digest as JSON")
    .action(async (model: string, opts: VerifyOptions) => {
      const sealed = await looksSealed(model);
      if (sealed && (opts.identity ?? []).length === 0)
        throw new EdgewardError("EW_ERR_USAGE", {
          detail: `${model} is sealed: give -i IDENTITY to open it in memory`,
        });
      let digest: string;
      if (sealed) {
        const identities = await loadIdentities(opts.identity ?? []);
        const opened = await openVerified(model, identities, { publicKeyPath: opts.key, sigPath: opts.sig });
        opened.plaintext.fill(0);
        if (opened.verification === undefined) throw new EdgewardError("EW_ERR_INTERNAL", { detail: "not verified" });
        digest = opened.verification.digest;
      } else {
        const { publicKey, bundle } = await loadCheck(opts.key, opts.sig);
        digest = (await verifyModel({ bundle, publicKey, path: model })).digest;
      }
      if (opts.json) printJson({ model, sealed, verified: true, digest });
      else
        printLines(
          `OK: ${model} matches ${opts.sig} signed by ${opts.key}${sealed ? " (sealed, opened in memory)" : ""}`,
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
