import type { Command } from "commander";
import { EdgewardError, generateIdentity } from "@edgeward/core";
import { prepareKeyOutput } from "../support/key-output.ts";
import { printJson, printLines } from "../support/output.ts";

const TYPES = ["x25519", "pq", "p256"] as const;
type KeyType = (typeof TYPES)[number];

/** `edgeward keygen`: a new age identity (software key); prints its recipient. */
export function registerKeygen(program: Command): void {
  program
    .command("keygen")
    .description("create an age identity (x25519: age1…, pq: hybrid ML-KEM-768+X25519 age1pq1…, p256: age1tag1…)")
    .option("--type <type>", `key type: ${TYPES.join(", ")}`, "x25519")
    .option("-o, --output <file>", "write the identity here (mode 0600) instead of stdout")
    .option("--force", "replace an existing file at -o (its key is lost)")
    .option("--json", "print {type, recipient, file} as JSON")
    .action(async (opts: { type: string; output?: string; force?: boolean; json?: boolean }) => {
      if (!(TYPES as readonly string[]).includes(opts.type))
        throw new EdgewardError("EW_ERR_USAGE", { detail: `--type must be one of ${TYPES.join(", ")}` });
      // An existing key file may be the only copy of a key: refused unless --force, as age-keygen refuses.
      const output =
        opts.output === undefined ? undefined : await prepareKeyOutput(opts.output, "identity file", opts.force);
      const { identityText, recipient } = generateIdentity(opts.type as KeyType);
      if (output !== undefined) await output.write(async (out) => void (await out.writeFile(identityText)));
      else if (!opts.json) process.stdout.write(identityText);
      if (opts.json) printJson({ type: opts.type, recipient, file: opts.output ?? null });
      else if (opts.output !== undefined) printLines(`Public key: ${recipient}`);
      else process.stderr.write(`Public key: ${recipient}\n`);
    });
}
