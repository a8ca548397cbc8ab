import type { Command } from "commander";
import { generateSigningKey } from "@edgeward/core";
import { writeTextAtomically } from "../support/files.ts";
import { printJson, printLines } from "../support/output.ts";

/** `edgeward sign-keygen -o NAME`: a P-256 publisher key pair for OMS model signatures. */
export function registerSignKeygen(program: Command): void {
  program
    .command("sign-keygen")
    .description("create a model-signing key pair: NAME.key (PKCS#8 PEM, 0600) and NAME.pub (SPKI PEM)")
    .requiredOption("-o, --output <name>", "path prefix for NAME.key and NAME.pub")
    .option("--json", "print the written paths as JSON")
    .action(async (opts: { output: string; json?: boolean }) => {
      const { privateKeyPem, publicKeyPem } = generateSigningKey();
      const keyPath = `${opts.output}.key`;
      const pubPath = `${opts.output}.pub`;
      await writeTextAtomically(keyPath, privateKeyPem, 0o600);
      await writeTextAtomically(pubPath, publicKeyPem, 0o644);
      if (opts.json) printJson({ privateKey: keyPath, publicKey: pubPath });
      else printLines(`Private key: ${keyPath} (keep it secret)`, `Public key:  ${pubPath}`);
    });
}
