import type { Command } from "commander";
import { generateSigningKey } from "@edgeward/core";
import { prepareKeyOutput } from "../support/key-output.ts";
import { printJson, printLines } from "../support/output.ts";

/** `edgeward sign-keygen -o NAME`: a P-256 publisher key pair for OMS model signatures. */
export function registerSignKeygen(program: Command): void {
  program
    .command("sign-keygen")
    .description("create a model-signing key pair: NAME.key (PKCS#8 PEM, 0600) and NAME.pub (SPKI PEM)")
    .requiredOption("-o, --output <name>", "path prefix for NAME.key and NAME.pub")
    .option("--force", "replace existing NAME.key and NAME.pub (the old key is lost)")
    .option("--json", "print the written paths as JSON")
    .action(async (opts: { output: string; force?: boolean; json?: boolean }) => {
      const keyOut = await prepareKeyOutput(`${opts.output}.key`, "signing key", opts.force);
      const pubOut = await prepareKeyOutput(`${opts.output}.pub`, "public key", opts.force, 0o644);
      const { privateKeyPem, publicKeyPem } = generateSigningKey();
      await keyOut.write(async (out) => void (await out.writeFile(privateKeyPem)));
      await pubOut.write(async (out) => void (await out.writeFile(publicKeyPem)));
      if (opts.json) printJson({ privateKey: keyOut.path, publicKey: pubOut.path });
      else printLines(`Private key: ${keyOut.path} (keep it secret)`, `Public key:  ${pubOut.path}`);
    });
}
