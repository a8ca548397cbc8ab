import type { Command } from "commander";
import { registerLogAppend } from "./log-append.ts";
import { registerLogCheckpoint } from "./log-checkpoint.ts";
import { registerLogInit } from "./log-init.ts";
import { registerLogProve } from "./log-prove.ts";
import { registerLogVerify } from "./log-verify.ts";

/**
 * `edgeward log`: the tamper-evident audit log (ARCHITECTURE.md, promise 10; docs/log.md). Every subcommand takes
 * `--db PATH` (SQLite) or `--postgres URL`.
 */
export function registerLog(program: Command): void {
  const log = program
    .command("log")
    .description("tamper-evident audit log: RFC 6962 Merkle tree, signed C2SP checkpoints, proofs, audit");
  registerLogInit(log);
  registerLogAppend(log);
  registerLogCheckpoint(log);
  registerLogProve(log);
  registerLogVerify(log);
}
