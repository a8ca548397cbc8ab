import { existsSync } from "node:fs";
import type { Command } from "commander";
import { EdgewardError, isEdgewardError } from "@edgeward/core/errors";
import { auditLog, parseVerifierKey } from "@edgeward/tlog";
import { printJson, readText, withStore, withStoreOptions, type StoreOptions } from "./log-common.ts";

interface VerifyOptions extends StoreOptions {
  vkey: string;
  checkpoint?: string[];
  origin?: string;
  json?: boolean;
}

/**
 * `edgeward log verify`: audit a whole log against a trusted verifier key: every stored checkpoint's signature,
 * the tree recomputed from the entries at every checkpoint (so all are consistent), every stored node, and any
 * checkpoint kept elsewhere. Fails with the problem's code, naming the first entry where history was changed.
 */
export function registerLogVerify(log: Command): void {
  withStoreOptions(log.command("verify"))
    .description("audit the whole log: signatures, consistency of every checkpoint, and the first changed entry")
    .requiredOption("--vkey <vkey>", "the log's verifier key (name+keyid+base64), or a file holding it")
    .option("--checkpoint <file>", "a checkpoint kept elsewhere that the log must still contain (repeatable)", collect)
    .option("--origin <name>", "expected origin (default: the key's name)")
    .option("--json", "print the report as JSON (also on failure)")
    .action(async (opts: VerifyOptions) => {
      const vkey = await loadVkey(opts.vkey);
      const external = await Promise.all((opts.checkpoint ?? []).map((f) => readText(f, "checkpoint file")));
      // Read-only: an auditor changes nothing, and can check a copy on write-protected media.
      const report = await withStore(
        opts,
        (store) => auditLog(store, { vkey, external, ...(opts.origin === undefined ? {} : { origin: opts.origin }) }),
        "read-only",
      );
      if (opts.json === true)
        printJson({
          ...report,
          problem:
            report.problem === undefined ? undefined : { ...report.problem, firstBadIndex: report.problem.index },
        });
      if (report.problem !== undefined) {
        const { index, detail } = report.problem;
        const where =
          index === undefined || detail.includes(`entry ${index}`) || detail.includes(`entries from ${index}`)
            ? ""
            : ` (entry ${index})`;
        throw new EdgewardError(report.problem.code, { detail: `${detail}${where}` });
      }
      if (opts.json !== true)
        process.stdout.write(
          `OK: ${report.entries} entries; ${report.checkpoints} checkpoints verified; tree size ${report.treeSize}; root ${report.root}\n`,
        );
    });
}

/** A verifier key given inline, or the path of a file holding one. */
async function loadVkey(value: string): Promise<string> {
  try {
    parseVerifierKey(value);
    return value.trim();
  } catch (err) {
    if (!isEdgewardError(err, "EW_ERR_NOTE_VKEY") || !existsSync(value)) throw err;
  }
  const text = (await readText(value, "verifier key file")).trim();
  parseVerifierKey(text);
  return text;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
