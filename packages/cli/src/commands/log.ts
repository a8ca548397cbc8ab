import { loadSubcommands, type SubcommandTable } from "../support/subcommands.ts";
import type { RegisterCommand } from "./index.ts";

/** The `log` subcommands, each loaded on demand (`log verify` needs no signing code, `log init` no auditor). */
const SUBCOMMANDS: SubcommandTable = {
  init: async () => (await import("./log-init.ts")).registerLogInit,
  append: async () => (await import("./log-append.ts")).registerLogAppend,
  checkpoint: async () => (await import("./log-checkpoint.ts")).registerLogCheckpoint,
  prove: async () => (await import("./log-prove.ts")).registerLogProve,
  verify: async () => (await import("./log-verify.ts")).registerLogVerify,
};

/**
 * `edgeward log`: the tamper-evident audit log (ARCHITECTURE.md, promise 10; docs/log.md). Every subcommand takes
 * `--db PATH` (SQLite) or `--postgres URL`. With `sub` naming a subcommand only that one is loaded; otherwise
 * (`edgeward log --help`, an unknown name) all of them are.
 */
export async function loadLog(sub?: string): Promise<RegisterCommand> {
  const registers = await loadSubcommands(SUBCOMMANDS, sub);
  return (program) => {
    const log = program
      .command("log")
      .description("tamper-evident audit log: RFC 6962 Merkle tree, signed C2SP checkpoints, proofs, audit");
    for (const register of registers) register(log);
  };
}
