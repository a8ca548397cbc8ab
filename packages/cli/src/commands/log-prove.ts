import type { Command } from "commander";
import { EdgewardError } from "@edgeward/core/errors";
import { LogReader, encodeBase64 } from "@edgeward/tlog";
import { parseCount, printJson, withStore, withStoreOptions, type StoreOptions } from "./log-common.ts";

interface ProveOptions extends StoreOptions {
  index?: string;
  size?: string;
  from?: string;
  to?: string;
  json?: boolean;
  bundle?: boolean;
}

/** `edgeward log prove`: an inclusion proof (--index) or a consistency proof (--from/--to) from the stored tree. */
export function registerLogProve(log: Command): void {
  withStoreOptions(log.command("prove"))
    .description("print an inclusion proof (--index N [--size S]) or a consistency proof (--from S1 [--to S2])")
    .option("--index <n>", "entry index for an inclusion proof")
    .option("--size <s>", "tree size the inclusion proof is for (default: the latest checkpoint's)")
    .option("--from <s1>", "older tree size of a consistency proof")
    .option("--to <s2>", "newer tree size of a consistency proof (default: the latest checkpoint's)")
    .option("--json", "print the proof as JSON, hashes in base64")
    .option("--bundle", "print a c2sp.org/tlog-proof bundle for --index under the latest checkpoint")
    .action(async (opts: ProveOptions) => {
      const index = parseCount(opts.index, "--index");
      const from = parseCount(opts.from, "--from");
      if ((index === undefined) === (from === undefined))
        throw new EdgewardError("EW_ERR_USAGE", { detail: "give either --index N or --from S1" });
      await withStore(
        opts,
        async (store) => {
          const reader = await LogReader.open(store);
          if (index !== undefined) {
            if (opts.to !== undefined) throw new EdgewardError("EW_ERR_USAGE", { detail: "--to goes with --from" });
            if (opts.bundle === true) {
              if (opts.size !== undefined)
                throw new EdgewardError("EW_ERR_USAGE", { detail: "a bundle is for the latest checkpoint" });
              process.stdout.write(await reader.proofBundle(index));
              return;
            }
            const p = await reader.inclusionProof(index, parseCount(opts.size, "--size"));
            if (opts.json === true)
              printJson({
                index: p.index,
                treeSize: p.treeSize,
                leafHash: p.leafHash,
                rootHash: p.rootHash,
                proof: p.proof,
              });
            else
              print(
                [
                  `index ${p.index}`,
                  `tree size ${p.treeSize}`,
                  `leaf ${encodeBase64(p.leafHash)}`,
                  `root ${encodeBase64(p.rootHash)}`,
                ],
                p.proof,
              );
          } else {
            if (opts.size !== undefined || opts.bundle === true)
              throw new EdgewardError("EW_ERR_USAGE", { detail: "--size and --bundle go with --index" });
            const p = await reader.consistencyProof(from!, parseCount(opts.to, "--to"));
            if (opts.json === true)
              printJson({ size1: p.size1, size2: p.size2, root1: p.root1, root2: p.root2, proof: p.proof });
            else
              print(
                [
                  `size1 ${p.size1}`,
                  `size2 ${p.size2}`,
                  `root1 ${encodeBase64(p.root1)}`,
                  `root2 ${encodeBase64(p.root2)}`,
                ],
                p.proof,
              );
          }
        },
        "read-only",
      );
    });
}

function print(head: string[], proof: readonly Uint8Array[]): void {
  process.stdout.write(`${[...head, "proof", ...proof.map(encodeBase64)].join("\n")}\n`);
}
