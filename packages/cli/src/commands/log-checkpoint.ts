import type { Command } from "commander";
import { LogReader } from "@edgeward/tlog";
import { withStore, withStoreOptions, type StoreOptions } from "./log-common.ts";

/** `edgeward log checkpoint`: print the latest signed checkpoint, exactly its C2SP note text. */
export function registerLogCheckpoint(log: Command): void {
  withStoreOptions(log.command("checkpoint"))
    .description("print the latest signed checkpoint (c2sp.org/tlog-checkpoint), exactly as signed")
    .action(async (opts: StoreOptions) => {
      // checkpoint() verifies the stored note with the log's key before printing it.
      const note = await withStore(
        opts,
        async (store) => (await (await LogReader.open(store)).checkpoint()).note,
        "read-only",
      );
      process.stdout.write(note);
    });
}
