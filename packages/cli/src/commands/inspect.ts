import type { Command } from "commander";
// Subpaths, not the package roots: inspecting a header needs neither OMS, the TPM structures nor file writing.
import { inspect } from "@edgeward/core/age/inspect";
import { openForRead } from "@edgeward/io/read";
import { printJson, printLines } from "../support/output.ts";

/** `edgeward inspect`: what a sealed file says about itself; decrypts nothing, prints no secret. */
export function registerInspect(program: Command): void {
  program
    .command("inspect")
    .description("show what a sealed file says about itself (recipient types, sizes, chunks); needs no key")
    .argument("<sealed>", "the sealed (age) file")
    .option("--json", "print as JSON")
    .action(async (sealed: string, opts: { json?: boolean }) => {
      const fh = await openForRead(sealed, "sealed file");
      try {
        const info = await inspect(fh);
        if (opts.json) return printJson(info);
        printLines(
          `${sealed}: age v1${info.armored ? " (armored)" : ""}`,
          `  recipients: ${info.recipients.length} (${info.recipients.map((r) => r.type).join(", ")})`,
          `  header ${info.headerSize} bytes, payload ${info.payloadSize} bytes in ${info.chunkCount} chunk(s) of 64 KiB`,
          `  plaintext ${info.plaintextSize} bytes`,
        );
      } finally {
        await fh.close();
      }
    });
}
